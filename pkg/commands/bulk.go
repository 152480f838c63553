package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// bulkParallel is the most objects a command that acts on many (rm, rmp,
// rmi, stop, stopp, update) works on at once: enough to overlap round
// trips. The reference starts one goroutine per object, and `rmp -a -f`
// then fails with DeadlineExceeded at 200 pods (cri-tools#1749); the
// runner (bulk) also works on fewer while the runtime is slow.
const bulkParallel = 8

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
	if fl, ok := r.f.IO.Out.(interface{ Flush() error }); ok {
		_ = fl.Flush() // a write error is kept and reported when the command ends
	}
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
	fmt.Fprintf(r.f.IO.ErrOut, "crictl: %s\n", oneLine(err.Error()))
}

// warn reports something that did not fail the object.
func (r *reporter) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.f.IO.ErrOut, "crictl: warning: %s\n", oneLine(fmt.Sprintf(format, args...)))
}

// note tells the user something on stderr, e.g. that there was nothing to do.
func (r *reporter) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.f.IO.ErrOut, "crictl: %s\n", oneLine(msg))
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
const bulkHelp = "At most 8 objects are worked on at a time, fewer while the runtime is slow. Each call has\n" +
	"its own --timeout; a call that times out is retried (3 tries in all) once the runtime has\n" +
	"answered in this run; when calls keep going unanswered one at a time, the objects not yet\n" +
	"started are given up in one message."

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

// isRPCError reports whether err is a failed CRI call (the runtime is down,
// slow or refused), as opposed to an argument that names nothing.
func isRPCError(err error) bool {
	var ce *cri.Error
	var de *cri.DialError
	return errors.As(err, &ce) || errors.As(err, &de)
}

// bulkArgs checks the arguments of a command that takes objects or --all:
// one of them, not both.
func bulkArgs(c *cli.Context, all bool, kind, allFlag string) error {
	switch {
	case c.NArg() == 0 && !all:
		return usagef(commandPath(c), "give at least one %s, or %s", kind, allFlag)
	case c.NArg() > 0 && all:
		return usagef(commandPath(c), "give %ss or %s, not both", kind, allFlag)
	}
	return nil
}

// scopeOptions are --namespace and --pod for commands that act on
// containers: they narrow container names and, with --all, the containers
// acted on.
type scopeOptions struct {
	namespace, pod string
}

// containerFlags declares --namespace and --pod; verb, when given, is what
// the command's --all does.
func (s *scopeOptions) containerFlags(verb string) []cli.Flag {
	ns, pod := "narrow container names to pods in this namespace (exact)", "narrow container names to this pod (pod ID, ID prefix or name)"
	if verb != "" {
		ns += "; with --all, " + verb + " only the containers of pods in it"
		pod += "; with --all, " + verb + " only its containers"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "namespace", Destination: &s.namespace, Usage: ns},
		&cli.StringFlag{Name: "pod", Aliases: []string{"p"}, Destination: &s.pod, Usage: pod},
	}
}

func (s *scopeOptions) podFlags(verb string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "namespace", Destination: &s.namespace,
			Usage: "narrow pod names to this namespace (exact); with --all, " + verb + " only the pods in it"},
	}
}

func (s *scopeOptions) validate(c *cli.Context) error {
	if s.pod != "" {
		if err := checkArg("pod", s.pod); err != nil {
			return usagef(commandPath(c), "--pod: %v", err)
		}
	}
	if s.namespace != "" && checkArg("namespace", s.namespace) != nil {
		return usagef(commandPath(c), "--namespace %q: not a namespace name", s.namespace)
	}
	return nil
}

// target is one object a bulk command acts on. The state is known when the
// object came from a list; otherwise the command asks for its status when
// it needs the state.
type target struct {
	id         string
	ctrState   runtimeapi.ContainerState
	podState   runtimeapi.PodSandboxState
	knownState bool
}

// selectContainers turns the container arguments (or, with all, every
// container, narrowed by --namespace and --pod) into targets. An argument
// that names no container is reported and skipped; a failed RPC ends the
// command. keep, when given, filters the --all list (e.g. running only for
// stop); listState is sent as the ListContainers state filter when the
// list needs no join with the pods. listed tells whether the runtime
// answered a list.
func selectContainers(ctx context.Context, f *Factory, rep *reporter, args []string, all bool, scope scopeOptions,
	listState *runtimeapi.ContainerStateValue, keep func(*runtimeapi.Container) bool) (ts []target, listed bool, err error) {
	rs, err := f.Runtime()
	if err != nil {
		return nil, false, err
	}
	r := &resolver{f: f, namespace: scope.namespace}
	if scope.pod != "" {
		id, err := r.podID(ctx, scope.pod)
		if err != nil {
			return nil, false, err
		}
		r.pod = id
	}
	if all {
		var cs []*runtimeapi.Container
		if scope.namespace == "" && scope.pod == "" {
			resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{State: listState}})
			if err != nil {
				return nil, false, err
			}
			cs = resp.GetContainers()
		} else {
			if err := r.loadContainers(ctx); err != nil {
				return nil, false, err
			}
			for _, c := range r.containers {
				_, ns := r.pods.podOf(c)
				if (r.pod == "" || c.GetPodSandboxId() == r.pod) && (scope.namespace == "" || ns == scope.namespace) {
					cs = append(cs, c)
				}
			}
		}
		for _, c := range cs {
			if isSandboxContainer(c) || (keep != nil && !keep(c)) {
				continue
			}
			ts = append(ts, target{id: c.GetId(), ctrState: c.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.container(ctx, a)
		if err != nil {
			if isRPCError(err) {
				return nil, false, err
			}
			rep.fail(err)
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		t := target{id: id}
		for _, c := range r.containers {
			if c.GetId() == id {
				t.ctrState, t.knownState = c.GetState(), true
				break
			}
		}
		ts = append(ts, t)
	}
	return ts, r.containers != nil || r.pods != nil, nil
}

// selectPods is selectContainers for pods: arguments or, with all, every
// pod (in --namespace when given) that keep accepts.
func selectPods(ctx context.Context, f *Factory, rep *reporter, args []string, all bool, scope scopeOptions,
	listState *runtimeapi.PodSandboxStateValue, keep func(*runtimeapi.PodSandbox) bool) ([]target, bool, error) {
	rs, err := f.Runtime()
	if err != nil {
		return nil, false, err
	}
	if all {
		resp, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{State: listState}})
		if err != nil {
			return nil, false, err
		}
		var ts []target
		for _, p := range resp.GetItems() {
			if scope.namespace != "" && p.GetMetadata().GetNamespace() != scope.namespace {
				continue
			}
			if keep != nil && !keep(p) {
				continue
			}
			ts = append(ts, target{id: p.GetId(), podState: p.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	r := &resolver{f: f, namespace: scope.namespace}
	var ts []target
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.podID(ctx, a)
		if err != nil {
			if isRPCError(err) {
				return nil, false, err
			}
			rep.fail(err)
			continue
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		t := target{id: id}
		if p, ok := r.pods[id]; ok {
			t.podState, t.knownState = p.GetState(), true
		}
		ts = append(ts, t)
	}
	return ts, r.pods != nil, nil
}
