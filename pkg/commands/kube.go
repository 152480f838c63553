package commands

import (
	"fmt"
	"sort"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels kubelet puts on containers and sandboxes.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// podState is the STATE column of pods: Ready, NotReady or UNKNOWN(n) for a
// value this build does not know (a newer runtime), never an error.
func podState(s runtimeapi.PodSandboxState) string {
	switch s {
	case runtimeapi.PodSandboxState_SANDBOX_READY:
		return "Ready"
	case runtimeapi.PodSandboxState_SANDBOX_NOTREADY:
		return "NotReady"
	}
	return unknownEnum(int32(s))
}

// containerState is the STATE column of ps.
func containerState(s runtimeapi.ContainerState) string {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return "Created"
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return "Running"
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return "Exited"
	case runtimeapi.ContainerState_CONTAINER_UNKNOWN:
		return "Unknown"
	}
	return unknownEnum(int32(s))
}

// enumName is the proto name of an enum value (CONTAINER_RUNNING), as the
// reference's inspect tables print it, or UNKNOWN(n).
func enumName(name string, n int32) string {
	if name == "" || name == fmt.Sprint(n) {
		return unknownEnum(n)
	}
	return name
}

func unknownEnum(n int32) string { return fmt.Sprintf("UNKNOWN(%d)", n) }

// isSandboxContainer reports whether a container is a pod's pause
// container, which some runtimes list as a container.
func isSandboxContainer(c *runtimeapi.Container) bool {
	l := c.GetLabels()
	return l["io.cri-containerd.kind"] == "sandbox" ||
		l["io.kubernetes.docker.type"] == "podsandbox" ||
		c.GetMetadata().GetName() == "POD"
}

// podIndex maps sandbox IDs to sandboxes, for joining containers to pods.
type podIndex map[string]*runtimeapi.PodSandbox

func indexPods(pods []*runtimeapi.PodSandbox) podIndex {
	idx := make(podIndex, len(pods))
	for _, p := range pods {
		idx[p.GetId()] = p
	}
	return idx
}

// podOf returns the pod name and namespace of a container: from its sandbox,
// or from kubelet's labels when the sandbox is gone, else "unknown".
func (idx podIndex) podOf(c *runtimeapi.Container) (name, namespace string) {
	if p := idx[c.GetPodSandboxId()]; p != nil {
		return p.GetMetadata().GetName(), p.GetMetadata().GetNamespace()
	}
	return labelOr(c.GetLabels(), labelPodName), labelOr(c.GetLabels(), labelPodNamespace)
}

func labelOr(l map[string]string, key string) string {
	if v, ok := l[key]; ok {
		return v
	}
	return "unknown"
}

// sortPods orders pods newest first, by ID on equal times.
func sortPods(pods []*runtimeapi.PodSandbox) {
	sort.Slice(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if a.GetCreatedAt() != b.GetCreatedAt() {
			return a.GetCreatedAt() > b.GetCreatedAt()
		}
		return a.GetId() < b.GetId()
	})
}

// sortContainers orders containers newest first, by ID on equal times.
func sortContainers(cs []*runtimeapi.Container) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.GetCreatedAt() != b.GetCreatedAt() {
			return a.GetCreatedAt() > b.GetCreatedAt()
		}
		return a.GetId() < b.GetId()
	})
}

// limit applies --latest and --last to a sorted list.
func limit[T any](items []T, latest bool, last int) []T {
	n := len(items)
	if latest {
		n = 1
	}
	if last > 0 {
		n = last
	}
	return items[:min(n, len(items))]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parsePodState parses --state for pods.
func parsePodState(s string) (*runtimeapi.PodSandboxStateValue, error) {
	switch strings.ToLower(s) {
	case "":
		return nil, nil
	case "ready", "sandbox_ready":
		return &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}, nil
	case "notready", "sandbox_notready":
		return &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY}, nil
	}
	return nil, fmt.Errorf("--state %q: use ready or notready", s)
}

// parseContainerState parses --state for containers.
func parseContainerState(s string) (*runtimeapi.ContainerStateValue, error) {
	var st runtimeapi.ContainerState
	switch strings.TrimPrefix(strings.ToLower(s), "container_") {
	case "":
		return nil, nil
	case "created":
		st = runtimeapi.ContainerState_CONTAINER_CREATED
	case "running":
		st = runtimeapi.ContainerState_CONTAINER_RUNNING
	case "exited":
		st = runtimeapi.ContainerState_CONTAINER_EXITED
	case "unknown":
		st = runtimeapi.ContainerState_CONTAINER_UNKNOWN
	default:
		return nil, fmt.Errorf("--state %q: use created, running, exited or unknown", s)
	}
	return &runtimeapi.ContainerStateValue{State: st}, nil
}
