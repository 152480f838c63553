package commands

import (
	"context"
	"fmt"
	"sync"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/parallel"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// bulkParallel is the most objects a command that acts on many (rm, rmp,
// rmi, stop, stopp, update) works on at once. The reference starts one
// goroutine per object, and `rmp -a -f` then fails with DeadlineExceeded at
// 200 pods (cri-tools#1749); the runner (bulk) also works on fewer while
// the runtime is slow.
const bulkParallel = parallel.DefaultLimit

// reporter prints the results of a command that acts on many objects as
// each one completes: success lines on stdout, flushed at once; one
// `crictl: ...` line on stderr per failure or warning. It is safe for
// concurrent use.
type reporter struct {
	ctx    context.Context
	f      *Factory
	mu     sync.Mutex
	failed bool
}

func newReporter(ctx context.Context, f *Factory) *reporter {
	return &reporter{ctx: ctx, f: f}
}

// success prints the lines of one object together and flushes them.
func (r *reporter) success(lines ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range lines {
		fmt.Fprintln(r.f.IO.Out, l)
	}
	r.f.flushOut()
}

// fail reports one object that failed. After an interrupt the calls still
// in flight fail too; those are not reported one by one.
func (r *reporter) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	if r.ctx.Err() != nil {
		return
	}
	r.f.printError(err)
}

// warn reports something that did not fail the object.
func (r *reporter) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.warnf(format, args...)
}

// note tells the user something on stderr, e.g. that there was nothing to do.
func (r *reporter) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.notef("%s", msg)
}

// result ends the command: interrupted, exit 1 when any object failed (each
// was reported already), else success.
func (r *reporter) result() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed {
		return errSilent
	}
	return nil
}

// bulk runs the per-object work of a command that acts on many objects.
//
// At most bulkParallel objects are worked on at a time, and fewer while the
// runtime is slow: containerd serializes much of pod teardown (CNI,
// iptables), so the more calls wait in it, the longer each takes, until they
// pass --timeout. When a call times out, the limit halves (once per round of
// calls, down to one object at a time) and the call is retried, at most
// bulkAttempts times in all, after waiting for a place under the new limit;
// but only once the runtime has answered a call in this run, so a runtime
// that never answers still fails in about --timeout. Answered calls let the
// limit grow back by one per limit calls. When bulkGiveUp calls in a row go
// unanswered although each was the only one in flight, the objects not yet
// started are given up in one message. Every call has its own --timeout;
// nothing bounds the whole run.
type bulk struct {
	ctx context.Context
	rep *reporter

	mu         sync.Mutex
	cond       *sync.Cond
	limit      int  // objects worked on at once
	inflight   int  // objects being worked on
	epoch      int  // times the limit was lowered
	streak     int  // answered calls since the limit last changed
	unanswered int  // calls in a row that went unanswered while alone
	alive      bool // the runtime has answered a call in this run
	gaveUp     bool
}

// bulkHelp explains the runner in the help of the commands that use it.
var bulkHelp = fmt.Sprintf("At most %d objects are worked on at a time, fewer while the runtime is slow. Each call has\n"+
	"its own --timeout; a call that times out is retried (%d tries in all) once the runtime has\n"+
	"answered in this run; when calls keep going unanswered one at a time, the objects not yet\n"+
	"started are given up in one message.", bulkParallel, bulkAttempts)

// bulkAttempts is how often one call is made when it times out.
const bulkAttempts = 3

// bulkGiveUp is how many calls in a row, each alone in flight, may go
// unanswered before the rest is given up.
const bulkGiveUp = 3

// newBulk starts a run; alive tells whether the runtime answered already
// (e.g. the list of objects).
func newBulk(ctx context.Context, rep *reporter, alive bool) *bulk {
	b := &bulk{ctx: ctx, rep: rep, limit: bulkParallel, alive: alive}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// run calls fn for each index and returns when all have returned. After an
// interrupt, or when the runtime stopped answering, it starts no more;
// what was given up is reported as one failure naming kind ("pods").
func (b *bulk) run(n int, kind string, fn func(i int)) {
	stop := context.AfterFunc(b.ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	var wg sync.WaitGroup
	started := 0
	for i := range n {
		if !b.acquire() {
			break
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.release()
			fn(i)
		}()
	}
	wg.Wait()
	if b.gaveUp && started < n && b.ctx.Err() == nil {
		b.rep.fail(fmt.Errorf("gave up: the runtime stopped answering, %d of %d %s not attempted (a busy runtime may need a larger --timeout)", n-started, n, kind))
	}
}

// acquire waits for a place under the limit; false after an interrupt or
// when the run gave up.
func (b *bulk) acquire() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.inflight >= b.limit && !b.gaveUp && b.ctx.Err() == nil {
		b.cond.Wait()
	}
	if b.gaveUp || b.ctx.Err() != nil {
		return false
	}
	b.inflight++
	return true
}

func (b *bulk) release() {
	b.mu.Lock()
	b.inflight--
	b.cond.Broadcast()
	b.mu.Unlock()
}

// call makes one RPC of an object's work under the runner's rules. The
// object holds a place while it runs; before a retry it gives the place up
// and waits for one under the lowered limit.
func (b *bulk) call(rpc func() error) error {
	for attempt := 1; ; attempt++ {
		b.mu.Lock()
		epoch, alone := b.epoch, b.inflight <= 1
		b.mu.Unlock()
		err := rpc()
		if !b.record(err, epoch, alone) || attempt == bulkAttempts {
			return err
		}
		b.release()
		if !b.acquire() {
			b.mu.Lock()
			b.inflight++ // keep the place the caller releases
			b.mu.Unlock()
			return err
		}
	}
}

// record accounts for the outcome of a call that started in epoch (alone:
// with no other object in flight) and reports whether to retry it.
func (b *bulk) record(err error, epoch int, alone bool) (retry bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	code := status.Code(err)
	switch {
	case b.ctx.Err() != nil:
		return false
	case code != codes.DeadlineExceeded && code != codes.Unavailable:
		// Answered, even if with an error (NotFound, a refusal).
		b.alive = true
		b.unanswered = 0
		if b.streak++; b.streak >= b.limit && b.limit < bulkParallel {
			b.limit++
			b.streak = 0
			b.cond.Broadcast()
		}
		return false
	}
	if epoch == b.epoch {
		// The first timeout of calls made under this limit lowers it; the
		// others of the same round were made under it too.
		b.limit = max(1, b.limit/2)
		b.epoch++
		b.streak = 0
	}
	if alone {
		if b.unanswered++; b.unanswered >= bulkGiveUp {
			b.gaveUp = true
			b.cond.Broadcast()
		}
	}
	return code == codes.DeadlineExceeded && b.alive && !b.gaveUp
}

// do makes one call of an object's work under the runner's rules; when it
// fails, the failure is reported as "<doing>: <error>" and do returns false.
func (b *bulk) do(doing string, rpc func() error) bool {
	if err := b.call(rpc); err != nil {
		b.rep.fail(fmt.Errorf("%s: %w", doing, err))
		return false
	}
	return true
}

// containerStatus asks for a container's status for doing ("removing
// container ID"); nil when that failed (and was reported).
func (b *bulk) containerStatus(ctx context.Context, rs runtimeapi.RuntimeServiceClient, id, doing string) *runtimeapi.ContainerStatus {
	resp, _ := fetchStatus(b, "container", id, doing, func() (*runtimeapi.ContainerStatusResponse, error) {
		return rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	})
	return resp.GetStatus()
}

// podState asks for a pod's state for doing; ok is false when that failed
// (and was reported).
func (b *bulk) podState(ctx context.Context, rs runtimeapi.RuntimeServiceClient, id, doing string) (runtimeapi.PodSandboxState, bool) {
	resp, ok := fetchStatus(b, "pod", id, doing, func() (*runtimeapi.PodSandboxStatusResponse, error) {
		return rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	})
	return resp.GetStatus().GetState(), ok
}

// fetchStatus makes one status call under the runner's rules; a failure is
// reported (a missing object as "<kind> <id> not found") and ok is false.
func fetchStatus[R any](b *bulk, kind, id, doing string, rpc func() (R, error)) (r R, ok bool) {
	if err := b.call(func() (err error) { r, err = rpc(); return err }); err != nil {
		b.failStatus(kind, id, doing, err)
		return r, false
	}
	return r, true
}

func (b *bulk) failStatus(kind, id, doing string, err error) {
	if cri.IsNotFound(err) {
		b.rep.fail(notFound(kind, id, err))
	} else {
		b.rep.fail(fmt.Errorf("%s: %w", doing, err))
	}
}
