package kube

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/crictl/crictl/pkg/selector"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Matcher matches a pod, container or namespace name: exactly, or as the
// reference's unanchored regular expression. A nil Matcher matches
// everything.
type Matcher struct {
	value string
	re    *regexp.Regexp
}

// NameMatcher is the matcher of --name: the reference's unanchored
// regular expression (scripts rely on `--name 'kube-apiserver*'` and
// `--name 'a-*|b-*'`; people type a prefix of a generated name), or an
// exact name with --exact.
func NameMatcher(value string, exact bool) (*Matcher, error) {
	return NewMatcher("name", value, !exact)
}

// NamespaceMatcher is the matcher of --namespace: an exact namespace when
// the value is a valid namespace name (a DNS label), so kube-system does
// not also match kube-system-extra (cri-tools#1810), and a regular
// expression otherwise ('kube-.*'); regex makes it a regular expression
// always (--regex).
func NamespaceMatcher(value string, regex bool) (*Matcher, error) {
	return NewMatcher("namespace", value, regex || !IsDNSLabel(value))
}

// IsDNSLabel reports whether s is a valid Kubernetes namespace name: at
// most 63 lower-case letters, digits and '-', starting and ending with a
// letter or digit (RFC 1123 label).
func IsDNSLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// NewMatcher makes the matcher of a --name or --namespace value (flag
// names it in errors): nil for "", a regular expression when regex is set,
// else an exact match.
func NewMatcher(flag, value string, regex bool) (*Matcher, error) {
	if value == "" {
		return nil, nil
	}
	if !regex {
		return &Matcher{value: value}, nil
	}
	re, err := regexp.Compile(value)
	if err != nil {
		return nil, fmt.Errorf("--%s: invalid regular expression %q: %w", flag, value, err)
	}
	return &Matcher{value: value, re: re}, nil
}

// Match reports whether s is matched.
func (m *Matcher) Match(s string) bool {
	switch {
	case m == nil:
		return true
	case m.re != nil:
		return m.re.MatchString(s)
	}
	return m.value == s
}

// String is the value as given, for messages ("in namespace kube-system").
func (m *Matcher) String() string {
	if m == nil {
		return ""
	}
	return m.value
}

// Labels selects by labels: --label key=value pairs (the reference's exact
// match) and a Kubernetes set-based selector. Exact holds every equality
// among them, to be sent to the runtime in the CRI filter; Match checks the
// whole selection again on the client.
type Labels struct {
	Exact map[string]string
	sel   selector.Selector
}

// ParseLabels parses --label values and a --selector expression.
func ParseLabels(pairs []string, sel string) (Labels, error) {
	var l Labels
	exact, err := ParseKeyValues("--label", pairs)
	if err != nil {
		return l, err
	}
	if sel != "" {
		if l.sel, err = selector.Parse(sel); err != nil {
			return l, fmt.Errorf("--selector: %w", err)
		}
		for k, v := range l.sel.Equalities() {
			if exact == nil {
				exact = map[string]string{}
			}
			if old, ok := exact[k]; ok && old != v {
				// Contradictory: nothing can match; Match says so.
				continue
			}
			exact[k] = v
		}
	}
	l.Exact = exact
	return l, nil
}

// Match reports whether an object with these labels is selected.
func (l Labels) Match(labels map[string]string) bool {
	for k, v := range l.Exact {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return l.sel.Matches(labels)
}

// Empty reports whether no label selects anything.
func (l Labels) Empty() bool { return len(l.Exact) == 0 && l.sel.Empty() }

// ParseKeyValues parses repeated key=value flag values (split at the first
// '='; the last of a repeated key wins); nil for none.
func ParseKeyValues(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vals))
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want key=value", flag, kv)
		}
		m[k] = v
	}
	return m, nil
}

// Selector is what pods and containers are both selected by.
type Selector struct {
	// Name matches the pod's or container's name.
	Name *Matcher
	// Namespace matches the pod's namespace (for a container: its pod's).
	Namespace *Matcher
	Labels    Labels
	// Latest keeps only the newest; Last the N newest (0: all).
	Latest bool
	Last   int
}

// Match reports whether an object with this name, namespace and labels is
// selected.
func (s *Selector) Match(name, namespace string, labels map[string]string) bool {
	return s.Name.Match(name) && s.Namespace.Match(namespace) && s.Labels.Match(labels)
}

// PodFilter selects pods.
type PodFilter struct {
	Selector
	// ID is a pod ID or ID prefix, sent to the runtime.
	ID    string
	State *runtimeapi.PodSandboxStateValue
}

func (f *PodFilter) runtimeFilter() *runtimeapi.PodSandboxFilter {
	return &runtimeapi.PodSandboxFilter{Id: f.ID, State: f.State, LabelSelector: f.Labels.Exact}
}

// ContainerFilter selects containers.
type ContainerFilter struct {
	Selector
	// ID is a container ID or ID prefix, sent to the runtime.
	ID string
	// Pod is a pod ID, ID prefix or name.
	Pod string
	// Image is an image reference: name[:tag], digest or image ID.
	Image string
	State *runtimeapi.ContainerStateValue
	// All selects containers in every state; otherwise only running ones
	// are, unless State, Latest or Last says otherwise.
	All bool
}

func (f *ContainerFilter) runtimeFilter() *runtimeapi.ContainerFilter {
	filter := &runtimeapi.ContainerFilter{Id: f.ID, LabelSelector: f.Labels.Exact}
	switch {
	case f.State != nil:
		filter.State = f.State
	case !f.All && !f.Latest && f.Last == 0:
		filter.State = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	if IsFullID(f.Pod) {
		filter.PodSandboxId = f.Pod
	}
	return filter
}

// needsPods reports whether selecting needs the pods (to match namespaces
// or resolve a pod name or ID prefix).
func (f *ContainerFilter) needsPods() bool {
	return f.Namespace != nil || (f.Pod != "" && !IsFullID(f.Pod))
}
