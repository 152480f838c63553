package bundle

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Summary is what summary.txt says, as summary.json (for merge).
type Summary struct {
	Node          string      `json:"node"`
	TakenAt       string      `json:"takenAt"`
	CrictlVersion string      `json:"crictlVersion"`
	Runtime       RuntimeInfo `json:"runtime"`
	Conditions    []Condition `json:"conditions"`
	Selection     string      `json:"selection"`
	Pods          int         `json:"pods"`
	PodsReady     int         `json:"podsReady"`
	Containers    int         `json:"containers"`
	// States counts the containers by state (Running, Exited, ...).
	States     map[string]int `json:"states"`
	Images     int            `json:"images"`
	NotRunning []ContainerRef `json:"notRunning"`
	Restarted  []ContainerRef `json:"restarted"`
	// ListErrors are the failures of the calls the summary is made from.
	ListErrors []string `json:"listErrors"`
}

// RuntimeInfo is the runtime's Version answer and endpoint.
type RuntimeInfo struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	APIVersion string `json:"apiVersion"`
	Endpoint   string `json:"endpoint,omitempty"`
}

// Condition is one runtime condition of Status.
type Condition struct {
	Type    string `json:"type"`
	Status  bool   `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// ContainerRef is a container the summary lists.
type ContainerRef struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
	ID        string `json:"id"`
	State     string `json:"state"`
	Attempt   uint32 `json:"attempt"`
	ExitCode  int32  `json:"exitCode"`
	Reason    string `json:"reason,omitempty"`
	// Path is the container's directory in the bundle.
	Path string `json:"path"`
}

// summarize counts the selected objects.
func (s *Summary) addObjects(pods []*podItem, images int) {
	s.Pods = len(pods)
	s.Images = images
	s.States = map[string]int{}
	for _, p := range pods {
		if p.pod != nil && p.pod.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
			s.PodsReady++
		}
		for _, c := range p.ctrs {
			s.Containers++
			st := kube.ContainerState(c.ctr.GetState())
			s.States[st]++
			ref := ContainerRef{Namespace: p.namespace, Pod: p.name, Container: c.ctr.GetMetadata().GetName(), ID: c.ctr.GetId(),
				State: st, Attempt: c.ctr.GetMetadata().GetAttempt(), Path: c.dir}
			if c.ctr.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
				s.NotRunning = append(s.NotRunning, ref)
			}
			if ref.Attempt > 0 {
				s.Restarted = append(s.Restarted, ref)
			}
		}
	}
	// The newest attempt of a name says how often it restarted.
	seen := map[string]bool{}
	out := s.Restarted[:0]
	slices.SortStableFunc(s.Restarted, func(a, b ContainerRef) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(b.Attempt, a.Attempt))
	})
	for _, r := range s.Restarted {
		k := r.Namespace + "\x00" + r.Pod + "\x00" + r.Container
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	s.Restarted = out
	if s.NotRunning == nil {
		s.NotRunning = []ContainerRef{}
	}
	if s.Restarted == nil {
		s.Restarted = []ContainerRef{}
	}
}

// conditionsText is "RuntimeReady=true, NetworkReady=false (reason: message)".
func conditionsText(cs []Condition) string {
	if len(cs) == 0 {
		return "unknown"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Type + "=" + strconv.FormatBool(c.Status)
		if !c.Status && (c.Reason != "" || c.Message != "") {
			parts[i] += " (" + strings.TrimPrefix(c.Reason+": "+c.Message, ": ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// ready is "yes", or the conditions that are not true.
func ready(cs []Condition) string {
	var bad []string
	for _, c := range cs {
		if !c.Status {
			bad = append(bad, c.Type+"=false")
		}
	}
	switch {
	case len(cs) == 0:
		return "unknown"
	case len(bad) == 0:
		return "yes"
	}
	return strings.Join(bad, ",")
}

func runtimeText(r RuntimeInfo) string {
	if r.Name == "" && r.Version == "" {
		return "unknown (Version failed)"
	}
	s := r.Name + " " + r.Version
	if r.APIVersion != "" {
		s += " (CRI " + r.APIVersion + ")"
	}
	return s
}

func statesText(m map[string]int) string {
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], strings.ToLower(k)))
	}
	return strings.Join(parts, ", ")
}

// WriteText writes summary.txt.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "crictl bundle of node %s, taken %s by crictl %s\n\n", output.Escape(s.Node), s.TakenAt, output.Escape(s.CrictlVersion))
	line := func(k, v string) { fmt.Fprintf(&b, "%-12s%s\n", k+":", output.Escape(v)) }
	line("Runtime", runtimeText(s.Runtime))
	if s.Runtime.Endpoint != "" {
		line("Endpoint", s.Runtime.Endpoint)
	}
	line("Conditions", conditionsText(s.Conditions))
	line("Selection", s.Selection)
	line("Pods", fmt.Sprintf("%d (%d ready, %d not ready)", s.Pods, s.PodsReady, s.Pods-s.PodsReady))
	ctrs := strconv.Itoa(s.Containers)
	if s.Containers > 0 {
		ctrs += ": " + statesText(s.States)
	}
	line("Containers", ctrs)
	line("Images", strconv.Itoa(s.Images))
	for _, e := range s.ListErrors {
		line("Failed", e)
	}
	fmt.Fprintf(&b, "\nContainers not running (%d):\n", len(s.NotRunning))
	if len(s.NotRunning) > 0 {
		t := output.NewTable("NAMESPACE", "POD", "CONTAINER", "STATE", "EXIT CODE", "REASON", "ATTEMPT", "IN THE BUNDLE")
		for _, c := range s.NotRunning {
			t.Row(c.Namespace, c.Pod, c.Container, c.State, strconv.Itoa(int(c.ExitCode)), c.Reason, strconv.Itoa(int(c.Attempt)), c.Path)
		}
		if err := t.Write(&b, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "\nRestarted containers (%d):\n", len(s.Restarted))
	if len(s.Restarted) > 0 {
		t := output.NewTable("NAMESPACE", "POD", "CONTAINER", "RESTARTS", "STATE", "IN THE BUNDLE")
		for _, c := range s.Restarted {
			t.Row(c.Namespace, c.Pod, c.Container, strconv.Itoa(int(c.Attempt)), c.State, c.Path)
		}
		if err := t.Write(&b, false); err != nil {
			return err
		}
	}
	b.WriteString("\nWhat was collected, from where, and what failed: manifest.json.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
