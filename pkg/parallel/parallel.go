// Package parallel runs work on many objects with a bounded number in
// flight: the one way crictl fans out (inspect of many objects, exec in
// many containers, per-pod fallbacks, support bundles).
package parallel

import (
	"context"
	"sync"
)

// DefaultLimit is how many calls crictl makes to a runtime at once unless a
// command says otherwise: enough to overlap round trips, few enough not to
// swamp a busy runtime (the reference starts one goroutine per object and
// times out at a few hundred pods, cri-tools#1749).
const DefaultLimit = 8

// ForEach calls fn(i) for i in [0, n) with at most limit calls running at
// once (limit < 1 means 1) and returns when all started calls have
// returned. Once ctx is done it starts no more; it returns how many it
// started. Results are the caller's to keep by index, so order is kept.
//
// A single call runs on the caller's goroutine: `crictl inspect ID` is the
// common case, and a fresh goroutine grows its stack again through the
// gRPC and protobuf calls the caller's stack has already been through.
func ForEach(ctx context.Context, n, limit int, fn func(i int)) (started int) {
	if n == 1 {
		if ctx.Err() != nil {
			return 0
		}
		fn(0)
		return 1
	}
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
	return started
}
