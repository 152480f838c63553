package kube

import (
	"cmp"
	"encoding/json"
	"slices"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// IsSandboxContainer reports whether a container is a pod's pause
// container, which some runtimes list as a container.
func IsSandboxContainer(c *runtimeapi.Container) bool {
	l := c.GetLabels()
	return l["io.cri-containerd.kind"] == "sandbox" ||
		l["io.kubernetes.docker.type"] == "podsandbox" ||
		c.GetMetadata().GetName() == "POD"
}

// PodIndex maps sandbox IDs to sandboxes, for joining containers to pods.
type PodIndex map[string]*runtimeapi.PodSandbox

// IndexPods indexes pods by ID.
func IndexPods(pods []*runtimeapi.PodSandbox) PodIndex {
	idx := make(PodIndex, len(pods))
	for _, p := range pods {
		idx[p.GetId()] = p
	}
	return idx
}

// Unknown is what the pod and namespace of a container read when neither
// its sandbox nor kubelet's labels tell them.
const Unknown = "unknown"

// PodOf returns the pod name and namespace of a container: from its
// sandbox, or from kubelet's labels when the sandbox is gone, else
// "unknown".
func (idx PodIndex) PodOf(c *runtimeapi.Container) (name, namespace string) {
	if p := idx[c.GetPodSandboxId()]; p != nil {
		return p.GetMetadata().GetName(), p.GetMetadata().GetNamespace()
	}
	return labelOr(c.GetLabels(), LabelPodName), labelOr(c.GetLabels(), LabelPodNamespace)
}

func labelOr(l map[string]string, key string) string {
	if v, ok := l[key]; ok {
		return v
	}
	return Unknown
}

// createdObject is what the CRI's pods and containers both are.
type createdObject interface {
	GetId() string
	GetCreatedAt() int64
}

// SortNewestFirst orders pods or containers newest first, by ID on equal
// times, as the reference's lists.
func SortNewestFirst[T createdObject](items []T) {
	slices.SortFunc(items, func(a, b T) int {
		if c := cmp.Compare(b.GetCreatedAt(), a.GetCreatedAt()); c != 0 {
			return c
		}
		return cmp.Compare(a.GetId(), b.GetId())
	})
}

// Limit applies --latest (one) and --last N to a list sorted newest first;
// last wins when both are given, 0 means no limit.
func Limit[T any](items []T, latest bool, last int) []T {
	n := len(items)
	if latest {
		n = 1
	}
	if last > 0 {
		n = last
	}
	return items[:min(n, len(items))]
}

// PodLogDirectory is the log directory a pod was created with, as the
// runtime reports it in PodSandboxStatus's verbose info (containerd and
// CRI-O: the pod's config under "info"); "" when it does not say.
func PodLogDirectory(info map[string]string) string {
	var doc struct {
		Config struct {
			LogDirectory      string `json:"log_directory"`
			LogDirectoryCamel string `json:"logDirectory"`
		} `json:"config"`
	}
	for _, key := range []string{"info", "config"} {
		raw, ok := info[key]
		if !ok || json.Unmarshal([]byte(raw), &doc) != nil {
			continue
		}
		if d := doc.Config.LogDirectory; d != "" {
			return d
		}
		if d := doc.Config.LogDirectoryCamel; d != "" {
			return d
		}
	}
	return ""
}
