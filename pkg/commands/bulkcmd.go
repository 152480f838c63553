package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// isRPCError reports whether err is a failed CRI call (the runtime is down,
// slow or refused), as opposed to an argument that names nothing.
func isRPCError(err error) bool {
	var ce *cri.Error
	var de *cri.DialError
	return errors.As(err, &ce) || errors.As(err, &de)
}

// bulkCommand is a command that acts on many containers or pods, named as
// arguments or all of them with --all (rm, rmp, stop, stopp; update has no
// --all): the runner (bulk) works on them a few at a time and each one's
// result is printed as it completes.
type bulkCommand struct {
	// description is the command's help, before the runner's.
	description string
	// pods: the command acts on pods, else on containers.
	pods bool
	// verb words --all and the scope flags ("remove"); "" means the
	// command has no --all.
	verb string
	// running: --all takes only running containers (ready pods).
	running bool
	// none is what --all says when it selects nothing, in the reference's
	// words (scripts grep them).
	none string
	// noArgsIsUsage: with no argument and no --all, nothing is done and the
	// usage is shown, exit 0, as the reference: `crictl rm $(crictl ps -aq)`
	// with nothing listed must not fail a `set -e` script.
	noArgsIsUsage bool
	// flags and check are the command's own flags and validation.
	flags []cli.Flag
	check func(c *cli.Context) error
	// begin starts the work once the objects are selected and returns
	// what is done to each.
	begin func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(b *bulk, t target), error)
}

func (bc bulkCommand) build(f *Factory) *cli.Command {
	var (
		all    bool
		filter filterFlags
	)
	kind, objects, args := "container", "containers", "CONTAINER (ID, ID prefix or name)..."
	if bc.pods {
		kind, objects, args = "pod", "pods", "POD (ID, ID prefix or name)..."
	}
	flags := bc.flags
	if bc.verb != "" {
		flags = append(flags, &cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &all, Usage: bc.allUsage()})
		args += " | --all"
	}
	flags = append(flags, filter.flags(scopeUsage(bc.pods, bc.verb))...)
	return &cli.Command{
		ArgsUsage:   args,
		Description: bc.description + "\n\n" + bulkHelp,
		Flags:       flags,
		Action: action(func(c *cli.Context) error {
			if c.NArg() == 0 && !all {
				return showUsage(c, f)
			}
			return bc.run(c.Context, f, all, filter.scope(), objects, c.Args().Slice())
		}, func(c *cli.Context) error {
			// The reference's words (it prints them without a prefix, so
			// scripts match them whole).
			id := strings.ToUpper(kind) + "-ID"
			switch {
			case c.NArg() == 0 && !all && bc.noArgsIsUsage:
			case c.NArg() == 0 && !all && bc.verb != "":
				return usagef(commandPath(c), "you must specify at least one %s or use --all", id)
			case c.NArg() == 0 && !all:
				return usagef(commandPath(c), "you must specify at least one %s", id)
			case c.NArg() > 0 && all:
				return usagef(commandPath(c), "cannot specify %s(s) when using --all", id)
			}
			return filter.validate(commandPath(c))
		}, bc.check),
	}
}

func (bc bulkCommand) allUsage() string {
	switch {
	case bc.running && bc.pods:
		return bc.verb + " every ready pod"
	case bc.running:
		return bc.verb + " every running container"
	case bc.pods:
		return bc.verb + " every pod"
	}
	return bc.verb + " every container"
}

func (bc bulkCommand) run(ctx context.Context, f *Factory, all bool, scope resolve.Scope, objects string, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	rep := newReporter(ctx, f)
	var ts []target
	var listed bool
	if bc.pods {
		ts, listed, err = selectPods(ctx, rs, rep, args, all, scope, bc.running)
	} else {
		ts, listed, err = selectContainers(ctx, rs, rep, args, all, scope, bc.running)
	}
	if err != nil {
		return err
	}
	if all && len(ts) == 0 {
		rep.note(bc.none)
		return nil
	}
	act, err := bc.begin(ctx, rs)
	if err != nil {
		return err
	}
	b := newBulk(ctx, rep, listed)
	b.run(len(ts), objects, func(i int) { act(b, ts[i]) })
	return rep.result()
}

// scopeUsage words --namespace (and for containers --pod): they narrow
// the names given and, with --all, the objects acted on (verb).
func scopeUsage(pods bool, verb string) map[filterFlag]string {
	all := func(s string) string {
		if verb == "" {
			return ""
		}
		return "; with --all, " + verb + " only " + s
	}
	if pods {
		return map[filterFlag]string{
			fNamespace: "narrow pod names to this namespace (a namespace name, or a regular expression)" + all("the pods in it"),
		}
	}
	return map[filterFlag]string{
		fNamespace: "narrow container names to pods in this namespace (a namespace name, or a regular expression)" + all("the containers of pods in it"),
		fPod:       "narrow container names to this pod (pod ID, ID prefix or name)" + all("its containers"),
	}
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
// container in the scope, running ones only when running is set) into
// targets. An argument that names no container is reported and skipped; a
// failed RPC ends the command. listed tells whether the runtime answered a
// list.
func selectContainers(ctx context.Context, rs runtimeapi.RuntimeServiceClient, rep *reporter, args []string, all bool, scope resolve.Scope,
	running bool) (ts []target, listed bool, err error) {
	var listState *runtimeapi.ContainerStateValue
	if running {
		listState = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	r := resolve.New(rs, scope)
	if _, err := r.ScopePod(ctx); err != nil {
		return nil, false, err
	}
	if all {
		var cs []*runtimeapi.Container
		if scope.Namespace == nil && scope.Pod == "" {
			resp, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{State: listState}})
			if err != nil {
				return nil, false, err
			}
			cs = resp.GetContainers()
		} else {
			listedCs, _, err := r.Containers(ctx)
			if err != nil {
				return nil, false, err
			}
			for _, c := range listedCs {
				if r.InScope(c) {
					cs = append(cs, c)
				}
			}
		}
		for _, c := range cs {
			if kube.IsSandboxContainer(c) || (running && c.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING) {
				continue
			}
			ts = append(ts, target{id: c.GetId(), ctrState: c.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	ts, err = resolveTargets(ctx, rep, args, r.Container, func(t *target) {
		cs, _ := r.Loaded()
		for _, c := range cs {
			if c.GetId() == t.id {
				t.ctrState, t.knownState = c.GetState(), true
				return
			}
		}
	})
	return ts, r.Listed(), err
}

// selectPods is selectContainers for pods: arguments or, with all, every
// pod in the scope's namespace (ready ones only when running is set).
func selectPods(ctx context.Context, rs runtimeapi.RuntimeServiceClient, rep *reporter, args []string, all bool, scope resolve.Scope,
	running bool) ([]target, bool, error) {
	if all {
		var listState *runtimeapi.PodSandboxStateValue
		if running {
			listState = &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
		}
		resp, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{State: listState}})
		if err != nil {
			return nil, false, err
		}
		var ts []target
		for _, p := range resp.GetItems() {
			if !scope.Namespace.Match(p.GetMetadata().GetNamespace()) || (running && p.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY) {
				continue
			}
			ts = append(ts, target{id: p.GetId(), podState: p.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	r := resolve.New(rs, scope)
	ts, err := resolveTargets(ctx, rep, args, r.Pod, func(t *target) {
		if _, pods := r.Loaded(); pods != nil {
			if p, ok := pods[t.id]; ok {
				t.podState, t.knownState = p.GetState(), true
			}
		}
	})
	return ts, r.Listed(), err
}

// resolveTargets resolves each argument once: one that names nothing is
// reported and skipped, a failed RPC ends the selection; known fills in
// the state when a list told it.
func resolveTargets(ctx context.Context, rep *reporter, args []string, resolveOne func(context.Context, string) (string, error), known func(*target)) ([]target, error) {
	var ts []target
	seen := map[string]bool{}
	for _, a := range args {
		id, err := resolveOne(ctx, a)
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
		known(&t)
		ts = append(ts, t)
	}
	return ts, nil
}
