package parallel

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

func TestForEachBoundsAndKeepsOrder(t *testing.T) {
	const n, limit = 50, 4
	var inFlight, peak atomic.Int32
	out := make([]int, n)
	release := make(chan struct{})
	var once sync.Once
	started := ForEach(context.Background(), n, limit, func(i int) {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		if cur == limit {
			once.Do(func() { close(release) })
		}
		<-release
		out[i] = i * i
		inFlight.Add(-1)
	})
	if started != n {
		t.Fatalf("started %d, want %d", started, n)
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak in flight %d, want %d", p, limit)
	}
	for i, v := range out {
		if v != i*i {
			t.Fatalf("out[%d] = %d", i, v)
		}
	}
}

func TestForEachStopsStartingAfterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	started := ForEach(ctx, 100, 1, func(i int) {
		if calls.Add(1) == 3 {
			cancel()
		}
	})
	if started != 3 || calls.Load() != 3 {
		t.Errorf("started %d, calls %d; want 3 and 3", started, calls.Load())
	}
}

func TestForEachZeroLimitRunsOneAtATime(t *testing.T) {
	var inFlight, peak atomic.Int32
	ForEach(context.Background(), 10, 0, func(int) {
		if c := inFlight.Add(1); c > peak.Load() {
			peak.Store(c)
		}
		inFlight.Add(-1)
	})
	if peak.Load() != 1 {
		t.Errorf("peak %d, want 1", peak.Load())
	}
}

func TestForEachCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n := ForEach(ctx, 5, 2, func(int) { t.Error("called after cancel") }); n != 0 {
		t.Errorf("started %d", n)
	}
}

func TestForEachOneCall(t *testing.T) {
	calls := 0
	if got := ForEach(context.Background(), 1, 8, func(i int) { calls++ }); got != 1 || calls != 1 {
		t.Errorf("started %d, %d calls; want 1, 1", got, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := ForEach(ctx, 1, 8, func(int) { t.Error("called after cancel") }); got != 0 {
		t.Errorf("started %d after cancel, want 0", got)
	}
}
