package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/output"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// resolver turns command-line arguments into container and pod IDs by the
// one rule every command uses:
//  1. a full ID;
//  2. an exact name, narrowed by --namespace and --pod; among several
//     containers of that name in one pod, the running one, else the newest
//     attempt (for pods: the ready one, else the newest);
//  3. a unique ID prefix;
//  4. otherwise an error that names the candidates.
//
// The lists are fetched once, on the first argument that is not a full ID.
type resolver struct {
	f         *Factory
	namespace string // --namespace: narrows names
	pod       string // --pod: pod ID, ID prefix or name; narrows container names

	containers []*runtimeapi.Container
	pods       podIndex
	podList    []*runtimeapi.PodSandbox
}

func (r *resolver) loadPods(ctx context.Context) error {
	if r.pods != nil {
		return nil
	}
	rs, err := r.f.Runtime()
	if err != nil {
		return err
	}
	pr, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return err
	}
	r.podList = pr.Items
	r.pods = indexPods(pr.Items)
	return nil
}

func (r *resolver) loadContainers(ctx context.Context) error {
	if r.containers != nil {
		return nil
	}
	rs, err := r.f.Runtime()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- r.loadPods(ctx) }()
	cr, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if perr := <-errc; err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	r.containers = make([]*runtimeapi.Container, 0, len(cr.Containers))
	for _, c := range cr.Containers {
		if !isSandboxContainer(c) {
			r.containers = append(r.containers, c)
		}
	}
	return nil
}

// container resolves one container argument to its ID.
func (r *resolver) container(ctx context.Context, arg string) (string, error) {
	if err := checkArg("container", arg); err != nil {
		return "", err
	}
	if isFullID(arg) && r.pod == "" && r.namespace == "" {
		return arg, nil
	}
	if err := r.loadContainers(ctx); err != nil {
		return "", err
	}
	var podIDs map[string]bool
	if r.pod != "" {
		ids, err := r.podIDs(ctx, r.pod)
		if err != nil {
			return "", err
		}
		podIDs = ids
	}
	inScope := func(c *runtimeapi.Container) bool {
		if podIDs != nil && !podIDs[c.GetPodSandboxId()] {
			return false
		}
		_, ns := r.pods.podOf(c)
		return r.namespace == "" || ns == r.namespace
	}
	var named, prefixed []*runtimeapi.Container
	for _, c := range r.containers {
		if !inScope(c) {
			continue
		}
		if c.GetId() == arg {
			return arg, nil
		}
		if c.GetMetadata().GetName() == arg {
			named = append(named, c)
		} else if strings.HasPrefix(c.GetId(), arg) {
			prefixed = append(prefixed, c)
		}
	}
	if len(named) > 0 {
		if best := pickContainer(named); best != nil {
			return best.GetId(), nil
		}
		return "", fmt.Errorf("container name %q is ambiguous: %s; give an ID or narrow with --namespace or --pod", arg, r.describeContainers(named))
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0].GetId(), nil
	case 0:
		return "", fmt.Errorf("no container matches %q%s (not an ID, ID prefix or container name)", arg, r.scopeText())
	}
	return "", fmt.Errorf("ID prefix %q is ambiguous: %s", arg, r.describeContainers(prefixed))
}

// pickContainer chooses among containers of one name: all must be in one
// pod; the running one wins, else the newest attempt.
func pickContainer(cs []*runtimeapi.Container) *runtimeapi.Container {
	for _, c := range cs[1:] {
		if c.GetPodSandboxId() != cs[0].GetPodSandboxId() {
			return nil
		}
	}
	var best *runtimeapi.Container
	for _, c := range cs {
		switch {
		case best == nil:
			best = c
		case (c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING) != (best.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING):
			if c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
				best = c
			}
		case c.GetMetadata().GetAttempt() != best.GetMetadata().GetAttempt():
			if c.GetMetadata().GetAttempt() > best.GetMetadata().GetAttempt() {
				best = c
			}
		case c.GetCreatedAt() > best.GetCreatedAt():
			best = c
		}
	}
	return best
}

func (r *resolver) scopeText() string {
	var parts []string
	if r.namespace != "" {
		parts = append(parts, "namespace "+r.namespace)
	}
	if r.pod != "" {
		parts = append(parts, "pod "+r.pod)
	}
	if len(parts) == 0 {
		return ""
	}
	return " in " + strings.Join(parts, ", ")
}

func (r *resolver) describeContainers(cs []*runtimeapi.Container) string {
	sortContainers(cs)
	const max = 8
	var parts []string
	for i, c := range cs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-max))
			break
		}
		pod, ns := r.pods.podOf(c)
		parts = append(parts, fmt.Sprintf("%s (pod %s, namespace %s, ID %s, %s)",
			c.GetMetadata().GetName(), pod, ns, output.TruncateID(c.GetId(), "", false), containerState(c.GetState())))
	}
	return fmt.Sprintf("%d containers match: %s", len(cs), strings.Join(parts, "; "))
}

// pod resolves one pod argument to its ID.
func (r *resolver) podID(ctx context.Context, arg string) (string, error) {
	if err := checkArg("pod", arg); err != nil {
		return "", err
	}
	if isFullID(arg) && r.namespace == "" {
		return arg, nil
	}
	if err := r.loadPods(ctx); err != nil {
		return "", err
	}
	var named, prefixed []*runtimeapi.PodSandbox
	for _, p := range r.podList {
		if r.namespace != "" && p.GetMetadata().GetNamespace() != r.namespace {
			continue
		}
		if p.GetId() == arg {
			return arg, nil
		}
		if p.GetMetadata().GetName() == arg {
			named = append(named, p)
		} else if strings.HasPrefix(p.GetId(), arg) {
			prefixed = append(prefixed, p)
		}
	}
	if len(named) > 0 {
		if best := pickPod(named); best != nil {
			return best.GetId(), nil
		}
		return "", fmt.Errorf("pod name %q is ambiguous: %s; give an ID or narrow with --namespace", arg, describePods(named))
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0].GetId(), nil
	case 0:
		scope := ""
		if r.namespace != "" {
			scope = " in namespace " + r.namespace
		}
		return "", fmt.Errorf("no pod matches %q%s (not an ID, ID prefix or pod name)", arg, scope)
	}
	return "", fmt.Errorf("ID prefix %q is ambiguous: %s", arg, describePods(prefixed))
}

// podIDs resolves --pod for narrowing container names: the one pod the
// rule picks.
func (r *resolver) podIDs(ctx context.Context, arg string) (map[string]bool, error) {
	id, err := r.podID(ctx, arg)
	if err != nil {
		return nil, err
	}
	return map[string]bool{id: true}, nil
}

// pickPod chooses among pods of one name: all must be in one namespace; the
// ready one wins, else the newest.
func pickPod(ps []*runtimeapi.PodSandbox) *runtimeapi.PodSandbox {
	for _, p := range ps[1:] {
		if p.GetMetadata().GetNamespace() != ps[0].GetMetadata().GetNamespace() {
			return nil
		}
	}
	var best *runtimeapi.PodSandbox
	for _, p := range ps {
		switch {
		case best == nil:
			best = p
		case (p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY) != (best.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY):
			if p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
				best = p
			}
		case p.GetCreatedAt() > best.GetCreatedAt():
			best = p
		}
	}
	return best
}

func describePods(ps []*runtimeapi.PodSandbox) string {
	sortPods(ps)
	const max = 8
	var parts []string
	for i, p := range ps {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-max))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (namespace %s, ID %s, %s)",
			p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(), output.TruncateID(p.GetId(), "", false), podState(p.GetState())))
	}
	return fmt.Sprintf("%d pods match: %s", len(ps), strings.Join(parts, "; "))
}

// checkArg rejects arguments that can never name an object, before any
// RPC: empty, whitespace, control characters, slashes, absurd lengths.
func checkArg(kind, arg string) error {
	switch {
	case strings.TrimSpace(arg) == "":
		return fmt.Errorf("empty %s ID or name", kind)
	case len(arg) > 253:
		return fmt.Errorf("%s ID or name is %d bytes long; IDs are 64 hex digits and names at most 253 characters", kind, len(arg))
	case strings.ContainsAny(arg, "/\x00 \t\n"):
		return fmt.Errorf("%s ID or name %q contains a character IDs and names never have", kind, arg)
	}
	return nil
}
