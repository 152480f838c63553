package watch

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEveryRunsUntilCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n, inFlight atomic.Int32
	err := Every(ctx, time.Millisecond, func(context.Context) error {
		if inFlight.Add(1) != 1 {
			t.Error("two calls at a time")
		}
		defer inFlight.Add(-1)
		// longer than the interval: the next starts after, not during
		time.Sleep(3 * time.Millisecond)
		if n.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	if err != nil || n.Load() != 3 {
		t.Errorf("err %v after %d calls", err, n.Load())
	}
}

func TestEveryFirstCallAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	var first time.Duration
	_ = Every(ctx, time.Hour, func(context.Context) error {
		first = time.Since(start)
		cancel()
		return nil
	})
	if first > time.Second {
		t.Errorf("first call after %v", first)
	}
}

func TestEveryErrors(t *testing.T) {
	boom := errors.New("boom")
	if err := Every(context.Background(), time.Millisecond, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	// an error caused by the end of the context (Ctrl-C during a call) is
	// the normal end
	ctx, cancel := context.WithCancel(context.Background())
	err := Every(ctx, time.Millisecond, func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	})
	if err != nil {
		t.Errorf("err %v after cancel", err)
	}
}
