package watch

import (
	"context"
	"time"
)

// Every calls fn at once and then every interval from the start of the
// previous call; a call that takes longer than interval is followed by the
// next one at once, never overlapped by it. It returns nil when ctx ends
// (Ctrl-C), also when that interrupts a call, and fn's error otherwise.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context) error) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := time.Now()
		err := fn(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		t.Reset(max(interval-time.Since(start), 0))
	}
}
