// Package resolve turns command-line arguments into the CRI objects they
// name, by the one rule every crictl command uses (decisions.md,
// "Addressing a container or pod by argument"):
//
//  1. a full ID;
//  2. an exact name, narrowed by the scope (--namespace, --pod); among
//     several containers of that name in one pod, the running one, else the
//     newest attempt (for pods: the ready one, else the newest);
//  3. a unique ID prefix;
//  4. otherwise an error that names the candidates.
//
// Images are resolved the same way from one image list (Image).
package resolve

import (
	"context"
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Scope narrows names: the namespace of the pod, and for containers the
// pod (a pod ID, ID prefix or name).
type Scope struct {
	Namespace *kube.Matcher
	Pod       string
}

// Resolver resolves container and pod arguments. It lists the pods (and
// containers) once, on the first argument that is not a full ID outside any
// scope, and keeps the lists for the next ones.
type Resolver struct {
	rs    runtimeapi.RuntimeServiceClient
	scope Scope

	podID      string // the scope's pod, once resolved
	containers []*runtimeapi.Container
	podList    []*runtimeapi.PodSandbox
	pods       kube.PodIndex
}

// New returns a resolver that lists through rs.
func New(rs runtimeapi.RuntimeServiceClient, scope Scope) *Resolver {
	return &Resolver{rs: rs, scope: scope}
}

// Pods lists the pods (once) and returns them with their index.
func (r *Resolver) Pods(ctx context.Context) ([]*runtimeapi.PodSandbox, kube.PodIndex, error) {
	if r.pods == nil {
		pr, err := r.rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil {
			return nil, nil, err
		}
		r.podList = pr.Items
		r.pods = kube.IndexPods(pr.Items)
	}
	return r.podList, r.pods, nil
}

// Containers lists the containers, pause containers left out, and the pods
// (once, concurrently) and returns them.
func (r *Resolver) Containers(ctx context.Context) ([]*runtimeapi.Container, kube.PodIndex, error) {
	if r.containers == nil {
		errc := make(chan error, 1)
		go func() { _, _, err := r.Pods(ctx); errc <- err }()
		cr, err := r.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		if perr := <-errc; err == nil {
			err = perr
		}
		if err != nil {
			return nil, nil, err
		}
		r.containers = make([]*runtimeapi.Container, 0, len(cr.Containers))
		for _, c := range cr.Containers {
			if !kube.IsSandboxContainer(c) {
				r.containers = append(r.containers, c)
			}
		}
	}
	return r.containers, r.pods, nil
}

// Listed reports whether the runtime answered a list call.
func (r *Resolver) Listed() bool { return r.pods != nil }

// Loaded returns what was listed so far, without listing: the containers
// (nil if they were not listed) and the pods (nil likewise).
func (r *Resolver) Loaded() ([]*runtimeapi.Container, kube.PodIndex) {
	return r.containers, r.pods
}

// ScopePod resolves the scope's pod (once); "" when the scope has none.
func (r *Resolver) ScopePod(ctx context.Context) (string, error) {
	if r.scope.Pod == "" || r.podID != "" {
		return r.podID, nil
	}
	id, err := r.Pod(ctx, r.scope.Pod)
	if err != nil {
		return "", err
	}
	r.podID = id
	return id, nil
}

// InScope reports whether a listed container is in the scope's namespace
// and pod (ScopePod must have been resolved).
func (r *Resolver) InScope(c *runtimeapi.Container) bool {
	if r.podID != "" && c.GetPodSandboxId() != r.podID {
		return false
	}
	_, ns := r.pods.PodOf(c)
	return r.scope.Namespace.Match(ns)
}

// Container resolves one container argument to its ID.
func (r *Resolver) Container(ctx context.Context, arg string) (string, error) {
	if err := kube.CheckArg("container", arg); err != nil {
		return "", err
	}
	if kube.IsFullID(arg) && r.scope.Pod == "" && r.scope.Namespace == nil {
		return arg, nil
	}
	if _, err := r.ScopePod(ctx); err != nil {
		return "", err
	}
	cs, _, err := r.Containers(ctx)
	if err != nil {
		return "", err
	}
	exact, named, prefixed := candidates(cs, arg, r.InScope, func(c *runtimeapi.Container) string { return c.GetMetadata().GetName() })
	if exact {
		return arg, nil
	}
	if len(named) > 0 {
		if best := PickContainer(named); best != nil {
			return best.GetId(), nil
		}
		return "", fmt.Errorf("container name %q is ambiguous: %s; give an ID or narrow with --namespace or --pod", arg, r.describeContainers(named))
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0].GetId(), nil
	case 0:
		return "", fmt.Errorf("container %q not found%s (not an ID, ID prefix or container name)", arg, r.scopeText(true))
	}
	return "", fmt.Errorf("ID prefix %q is ambiguous: %s", arg, r.describeContainers(prefixed))
}

// Pod resolves one pod argument to its ID.
func (r *Resolver) Pod(ctx context.Context, arg string) (string, error) {
	if err := kube.CheckArg("pod", arg); err != nil {
		return "", err
	}
	if kube.IsFullID(arg) && r.scope.Namespace == nil {
		return arg, nil
	}
	pods, _, err := r.Pods(ctx)
	if err != nil {
		return "", err
	}
	inScope := func(p *runtimeapi.PodSandbox) bool { return r.scope.Namespace.Match(p.GetMetadata().GetNamespace()) }
	exact, named, prefixed := candidates(pods, arg, inScope, func(p *runtimeapi.PodSandbox) string { return p.GetMetadata().GetName() })
	if exact {
		return arg, nil
	}
	if len(named) > 0 {
		if best := PickPod(named); best != nil {
			return best.GetId(), nil
		}
		return "", fmt.Errorf("pod name %q is ambiguous: %s; give an ID or narrow with --namespace", arg, describePods(named))
	}
	switch len(prefixed) {
	case 1:
		return prefixed[0].GetId(), nil
	case 0:
		return "", fmt.Errorf("pod sandbox %q not found%s (not an ID, ID prefix or pod name)", arg, r.scopeText(false))
	}
	return "", fmt.Errorf("ID prefix %q is ambiguous: %s", arg, describePods(prefixed))
}

// PodContainers resolves a pod argument and picks one container per name
// in it, in list order: the running attempt, else the newest.
func (r *Resolver) PodContainers(ctx context.Context, pod string) ([]string, error) {
	podID, err := r.Pod(ctx, pod)
	if err != nil {
		return nil, err
	}
	cs, _, err := r.Containers(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string][]*runtimeapi.Container{}
	var names []string
	for _, c := range cs {
		if c.GetPodSandboxId() != podID {
			continue
		}
		n := c.GetMetadata().GetName()
		if byName[n] == nil {
			names = append(names, n)
		}
		byName[n] = append(byName[n], c)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pod %q has no containers", pod)
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		ids = append(ids, PickContainer(byName[n]).GetId())
	}
	return ids, nil
}

// candidates sorts the objects in scope by how they match arg: exact when
// one's ID is arg, named those called arg, prefixed those whose ID starts
// with it.
func candidates[T interface{ GetId() string }](items []T, arg string, inScope func(T) bool, name func(T) string) (exact bool, named, prefixed []T) {
	for _, it := range items {
		switch {
		case !inScope(it):
		case it.GetId() == arg:
			return true, nil, nil
		case name(it) == arg:
			named = append(named, it)
		case strings.HasPrefix(it.GetId(), arg):
			prefixed = append(prefixed, it)
		}
	}
	return false, named, prefixed
}

// PickContainer chooses among containers of one name: all must be in one
// pod (else nil); the running one wins, else the newest attempt, else the
// newest.
func PickContainer(cs []*runtimeapi.Container) *runtimeapi.Container {
	for _, c := range cs[1:] {
		if c.GetPodSandboxId() != cs[0].GetPodSandboxId() {
			return nil
		}
	}
	running := func(c *runtimeapi.Container) bool {
		return c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	best := cs[0]
	for _, c := range cs[1:] {
		switch {
		case running(c) != running(best):
			if running(c) {
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

// PickPod chooses among pods of one name: all must be in one namespace
// (else nil); the ready one wins, else the newest.
func PickPod(ps []*runtimeapi.PodSandbox) *runtimeapi.PodSandbox {
	for _, p := range ps[1:] {
		if p.GetMetadata().GetNamespace() != ps[0].GetMetadata().GetNamespace() {
			return nil
		}
	}
	ready := func(p *runtimeapi.PodSandbox) bool {
		return p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY
	}
	best := ps[0]
	for _, p := range ps[1:] {
		switch {
		case ready(p) != ready(best):
			if ready(p) {
				best = p
			}
		case p.GetCreatedAt() > best.GetCreatedAt():
			best = p
		}
	}
	return best
}

func (r *Resolver) scopeText(withPod bool) string {
	var parts []string
	if r.scope.Namespace != nil {
		parts = append(parts, "namespace "+r.scope.Namespace.String())
	}
	if withPod && r.scope.Pod != "" {
		parts = append(parts, "pod "+r.scope.Pod)
	}
	if len(parts) == 0 {
		return ""
	}
	return " in " + strings.Join(parts, ", ")
}

// maxCandidates is how many candidates an ambiguity error names.
const maxCandidates = 8

// describe lists candidates for an error: the first maxCandidates, then
// how many more.
func describe[T any](kind string, items []T, one func(T) string) string {
	var parts []string
	for i, it := range items {
		if i == maxCandidates {
			parts = append(parts, fmt.Sprintf("and %d more", len(items)-maxCandidates))
			break
		}
		parts = append(parts, one(it))
	}
	return fmt.Sprintf("%d %s match: %s", len(items), kind, strings.Join(parts, "; "))
}

func (r *Resolver) describeContainers(cs []*runtimeapi.Container) string {
	kube.SortNewestFirst(cs)
	return describe("containers", cs, func(c *runtimeapi.Container) string {
		pod, ns := r.pods.PodOf(c)
		return fmt.Sprintf("%s (pod %s, namespace %s, ID %s, %s)", c.GetMetadata().GetName(), pod, ns,
			output.TruncateID(c.GetId(), "", false), kube.ContainerState(c.GetState()))
	})
}

func describePods(ps []*runtimeapi.PodSandbox) string {
	kube.SortNewestFirst(ps)
	return describe("pods", ps, func(p *runtimeapi.PodSandbox) string {
		return fmt.Sprintf("%s (namespace %s, ID %s, %s)", p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(),
			output.TruncateID(p.GetId(), "", false), kube.PodState(p.GetState()))
	})
}
