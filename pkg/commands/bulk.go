package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// bulkParallel bounds how many objects a command that acts on many (rm,
// rmp, rmi, stop, stopp, update) works on at once. It is enough to overlap
// round trips and small enough that a busy runtime still answers each call
// within --timeout: the reference starts one goroutine per object, and
// `rmp -a -f` then fails with DeadlineExceeded at 200 pods (cri-tools#1749).
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

// runBulk calls fn for each index, at most bulkParallel at a time, and
// returns when all have returned. After an interrupt it starts no more.
// Each call makes its own RPCs, so each gets the per-call --timeout: there
// is no deadline for the whole operation.
func runBulk(ctx context.Context, n int, fn func(i int)) {
	sem := make(chan struct{}, bulkParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if ctx.Err() != nil {
			<-sem
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
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
// list needs no join with the pods.
func selectContainers(ctx context.Context, f *Factory, rep *reporter, args []string, all bool, scope scopeOptions,
	listState *runtimeapi.ContainerStateValue, keep func(*runtimeapi.Container) bool) ([]target, error) {
	if _, err := f.Runtime(); err != nil {
		return nil, err
	}
	r := &resolver{f: f, namespace: scope.namespace}
	if scope.pod != "" {
		id, err := r.podID(ctx, scope.pod)
		if err != nil {
			return nil, err
		}
		r.pod = id
	}
	if all {
		var cs []*runtimeapi.Container
		if scope.namespace == "" && scope.pod == "" {
			rs, err := f.Runtime()
			if err != nil {
				return nil, err
			}
			resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{State: listState}})
			if err != nil {
				return nil, err
			}
			cs = resp.GetContainers()
		} else {
			if err := r.loadContainers(ctx); err != nil {
				return nil, err
			}
			for _, c := range r.containers {
				_, ns := r.pods.podOf(c)
				if (r.pod == "" || c.GetPodSandboxId() == r.pod) && (scope.namespace == "" || ns == scope.namespace) {
					cs = append(cs, c)
				}
			}
		}
		var ts []target
		for _, c := range cs {
			if isSandboxContainer(c) || (keep != nil && !keep(c)) {
				continue
			}
			ts = append(ts, target{id: c.GetId(), ctrState: c.GetState(), knownState: true})
		}
		return ts, nil
	}
	var ts []target
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.container(ctx, a)
		if err != nil {
			if isRPCError(err) {
				return nil, err
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
	return ts, nil
}

// selectPods is selectContainers for pods: arguments or, with all, every
// pod (in --namespace when given) that keep accepts.
func selectPods(ctx context.Context, f *Factory, rep *reporter, args []string, all bool, scope scopeOptions,
	listState *runtimeapi.PodSandboxStateValue, keep func(*runtimeapi.PodSandbox) bool) ([]target, error) {
	rs, err := f.Runtime()
	if err != nil {
		return nil, err
	}
	if all {
		resp, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{State: listState}})
		if err != nil {
			return nil, err
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
		return ts, nil
	}
	r := &resolver{f: f, namespace: scope.namespace}
	var ts []target
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.podID(ctx, a)
		if err != nil {
			if isRPCError(err) {
				return nil, err
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
	return ts, nil
}
