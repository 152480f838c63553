package doctor

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Severity is how bad a finding is.
type Severity int

// The severities, in increasing order. Never is above every severity: a
// --fail-on of never makes no finding fail.
const (
	Info Severity = iota
	Warning
	Critical
	Never
)

var severityNames = [...]string{Info: "info", Warning: "warning", Critical: "critical", Never: "never"}

func (s Severity) String() string {
	if s < Info || s > Never {
		return fmt.Sprintf("Severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads critical, warning, info or never (for --fail-on).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: use critical, warning, info or never", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Object kinds.
const (
	KindRuntime    = "runtime"
	KindContainer  = "container"
	KindPod        = "pod"
	KindFilesystem = "filesystem"
	KindCrictl     = "crictl"
)

// Object is what a finding is about.
type Object struct {
	// Kind is runtime, container, pod, filesystem or crictl.
	Kind string `json:"kind"`
	// Name is the container's or pod's name, the condition's type, the
	// mountpoint, or the config file.
	Name string `json:"name"`
	// Namespace and Pod are the pod's (for a container: its pod's).
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	// ID is the short (13 character) container or pod ID.
	ID string `json:"id,omitempty"`
}

// KV is one piece of evidence: a field and its value as the runtime gave
// it (or as crictl measured it).
type KV struct {
	Key, Value string
}

// Evidence is a finding's ordered evidence. In JSON it is an object (keys
// sorted), so scripts can read .evidence.exitCode.
type Evidence []KV

// MarshalJSON writes the evidence as an object.
func (e Evidence) MarshalJSON() ([]byte, error) {
	m := make(map[string]string, len(e))
	for _, kv := range e {
		m[kv.Key] = kv.Value
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads the object (keys then in sorted order).
func (e *Evidence) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	*e = (*e)[:0]
	for _, k := range keys {
		*e = append(*e, KV{k, m[k]})
	}
	return nil
}

// Get returns the value of key, or "".
func (e Evidence) Get(key string) string {
	for _, kv := range e {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

func (e *Evidence) add(key, value string) {
	if value != "" {
		*e = append(*e, KV{key, value})
	}
}

// Finding is one problem found.
type Finding struct {
	// Check is the name of the check that found it (see Checks).
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Object   Object   `json:"object"`
	// Message says what is wrong, in one line.
	Message  string   `json:"message"`
	Evidence Evidence `json:"evidence"`
	// Log is the last lines of the log that shows it (a previous
	// attempt's), oldest first, as written.
	Log []string `json:"log,omitempty"`
	// Hint is the crictl command to run next.
	Hint string `json:"hint,omitempty"`
}

// Key identifies a finding across checks of a watch: the same problem of
// the same object, whatever its evidence now says (a crash loop keeps its
// key from attempt to attempt).
func (f *Finding) Key() string {
	o := f.Object
	return strings.Join([]string{f.Check, o.Kind, o.Namespace, o.Pod, o.Name}, "\x00")
}

// Sort orders findings most severe first, then by check (in the order of
// Checks), namespace, pod, name and ID.
func Sort(fs []Finding) {
	order := map[string]int{}
	for i, c := range Checks {
		order[c.Name] = i
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(order[a.Check], order[b.Check]),
			cmp.Compare(a.Object.Namespace, b.Object.Namespace),
			cmp.Compare(a.Object.Pod, b.Object.Pod),
			cmp.Compare(a.Object.Name, b.Object.Name),
			cmp.Compare(a.Object.ID, b.Object.ID),
		)
	})
}

// Counts are the number of findings of each severity.
type Counts struct {
	Critical int `json:"critical"`
	Warning  int `json:"warning"`
	Info     int `json:"info"`
}

// Count counts findings by severity.
func Count(fs []Finding) Counts {
	var c Counts
	for _, f := range fs {
		switch f.Severity {
		case Critical:
			c.Critical++
		case Warning:
			c.Warning++
		case Info:
			c.Info++
		}
	}
	return c
}

// Worst is the highest severity among findings, and false when there are
// none.
func Worst(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	w := Info
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w, true
}

// Change is what a watch prints: the findings that appeared, the ones that
// went away, and the ones whose severity or message changed.
type Change struct {
	Added    []Finding `json:"added"`
	Resolved []Finding `json:"resolved"`
	Changed  []Finding `json:"changed"`
}

// Empty reports whether nothing changed.
func (c *Change) Empty() bool {
	return len(c.Added) == 0 && len(c.Resolved) == 0 && len(c.Changed) == 0
}

// Diff compares two checks' findings by Key.
func Diff(before, after []Finding) Change {
	old := make(map[string]*Finding, len(before))
	for i := range before {
		old[before[i].Key()] = &before[i]
	}
	c := Change{Added: []Finding{}, Resolved: []Finding{}, Changed: []Finding{}}
	seen := make(map[string]bool, len(after))
	for _, f := range after {
		k := f.Key()
		seen[k] = true
		switch o := old[k]; {
		case o == nil:
			c.Added = append(c.Added, f)
		case o.Severity != f.Severity || o.Message != f.Message:
			c.Changed = append(c.Changed, f)
		}
	}
	for _, f := range before {
		if !seen[f.Key()] {
			c.Resolved = append(c.Resolved, f)
		}
	}
	return c
}
