package commands

import (
	"context"
	"errors"

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

// containerScopeUsage words --namespace and --pod for a command that acts
// on containers (rm, stop): they narrow container names and, with --all,
// the containers acted on (verb).
func containerScopeUsage(verb string) map[filterFlag]string {
	return map[filterFlag]string{
		fNamespace: "narrow container names to pods in this namespace (exact); with --all, " + verb + " only the containers of pods in it",
		fPod:       "narrow container names to this pod (pod ID, ID prefix or name); with --all, " + verb + " only its containers",
	}
}

// podScopeUsage words --namespace for a command that acts on pods (rmp,
// stopp).
func podScopeUsage(verb string) map[filterFlag]string {
	return map[filterFlag]string{
		fNamespace: "narrow pod names to this namespace (exact); with --all, " + verb + " only the pods in it",
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
// container in the scope) into targets. An argument that names no
// container is reported and skipped; a failed RPC ends the command. keep,
// when given, filters the --all list (e.g. running only for stop);
// listState is sent as the ListContainers state filter when the list needs
// no join with the pods. listed tells whether the runtime answered a list.
func selectContainers(ctx context.Context, rs runtimeapi.RuntimeServiceClient, rep *reporter, args []string, all bool, scope resolve.Scope,
	listState *runtimeapi.ContainerStateValue, keep func(*runtimeapi.Container) bool) (ts []target, listed bool, err error) {
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
			if kube.IsSandboxContainer(c) || (keep != nil && !keep(c)) {
				continue
			}
			ts = append(ts, target{id: c.GetId(), ctrState: c.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.Container(ctx, a)
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
		cs, _ := r.Loaded()
		for _, c := range cs {
			if c.GetId() == id {
				t.ctrState, t.knownState = c.GetState(), true
				break
			}
		}
		ts = append(ts, t)
	}
	return ts, r.Listed(), nil
}

// selectPods is selectContainers for pods: arguments or, with all, every
// pod in the scope's namespace that keep accepts.
func selectPods(ctx context.Context, rs runtimeapi.RuntimeServiceClient, rep *reporter, args []string, all bool, scope resolve.Scope,
	listState *runtimeapi.PodSandboxStateValue, keep func(*runtimeapi.PodSandbox) bool) ([]target, bool, error) {
	if all {
		resp, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{State: listState}})
		if err != nil {
			return nil, false, err
		}
		var ts []target
		for _, p := range resp.GetItems() {
			if !scope.Namespace.Match(p.GetMetadata().GetNamespace()) || (keep != nil && !keep(p)) {
				continue
			}
			ts = append(ts, target{id: p.GetId(), podState: p.GetState(), knownState: true})
		}
		return ts, true, nil
	}
	r := resolve.New(rs, scope)
	var ts []target
	seen := map[string]bool{}
	for _, a := range args {
		id, err := r.Pod(ctx, a)
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
		if _, pods := r.Loaded(); pods != nil {
			if p, ok := pods[id]; ok {
				t.podState, t.knownState = p.GetState(), true
			}
		}
		ts = append(ts, t)
	}
	return ts, r.Listed(), nil
}
