package commands

import (
	"slices"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
)

// filterFlag is one of the flags that select pods or containers, or narrow
// the names given as arguments.
type filterFlag int

const (
	fID filterFlag = iota
	fName
	fNamespace
	fPod
	fImage
	fRegex
	fExact
	fState
	fLatest
	fLast
	fAll
	fLabel
	fSelector
)

// filterFlags are those flags: one field and one meaning each, whichever
// command declares them. A command declares the ones it has, worded for its
// help, and its validation turns them into a kube.PodFilter or
// kube.ContainerFilter (what lists select) and a resolve.Scope (what
// narrows a name given as argument); both use the same matchers, so
// --namespace means the same for a list and for a name.
type filterFlags struct {
	id, name, namespace, pod, image, state, selector string
	regex, exact, latest, all                        bool
	last                                             int
	labels                                           cli.StringSlice

	sel kube.Selector
}

// Usage texts of the flags every command words the same.
const (
	regexUsage    = "match --namespace as a regular expression even when it is a plain namespace name"
	exactUsage    = "match --name exactly instead of as a regular expression"
	labelUsage    = "keep only items with this label, key=value (repeatable)"
	selectorUsage = "label selector in Kubernetes syntax, e.g. 'app in (web,api),tier!=db'"
)

// selectionUsage words the flags that select pods (or containers) for a
// command that lists or acts on what they select: when says when they
// apply ("with no POD given: "), names (POD, CONTAINER) that --namespace
// (and --pod) also narrow a name given as argument, and omit the flags the
// command does not have.
func selectionUsage(pods bool, when, names string, omit ...filterFlag) map[filterFlag]string {
	u := map[filterFlag]string{fRegex: regexUsage, fExact: exactUsage, fLabel: labelUsage, fSelector: selectorUsage}
	narrows := ""
	if names != "" {
		narrows = "; also narrows a " + names + " name"
	}
	if pods {
		u[fID] = "keep only the pod with this ID (or ID prefix)"
		u[fName] = "keep only pods whose name matches this regular expression (unanchored, as the reference; --exact: this exact name)"
		u[fNamespace] = "keep only pods in this namespace: an exact namespace name, or a regular expression such as 'kube-.*'" + narrows
		u[fState] = "keep only pods in this state: ready or notready"
		u[fLatest] = "keep only the most recently created pod"
		u[fLast] = "keep only the N most recently created pods (0: all)"
	} else {
		u[fID] = "keep only the container with this ID (or ID prefix)"
		u[fName] = "keep only containers whose name matches this regular expression (unanchored, as the reference; --exact: this exact name)"
		u[fNamespace] = "keep only containers of pods in this namespace: an exact namespace name, or a regular expression such as 'kube-.*'" + narrows
		u[fPod] = "keep only containers of this pod (pod ID, ID prefix or name)" + narrows
		u[fImage] = "keep only containers of this image (name[:tag], digest or image ID)"
		u[fState] = "keep only containers in this state: created, running, exited or unknown (default: running)"
		u[fLatest] = "keep only the most recently created container (any state)"
		u[fLast] = "keep only the N most recently created containers, any state (0: all)"
		u[fAll] = "keep containers in every state, not only running ones"
	}
	for ff, text := range u {
		if ff != fRegex && ff != fExact && ff != fLabel && ff != fSelector {
			u[ff] = when + text
		}
	}
	for _, ff := range omit {
		delete(u, ff)
	}
	return u
}

// flags declares the filter flags usage has a text for, in a fixed order;
// the ones in noShort lose their one-letter alias (-p, -s) where the
// command gives that letter to another flag.
func (o *filterFlags) flags(usage map[filterFlag]string, noShort ...filterFlag) []cli.Flag {
	specs := []struct {
		ff          filterFlag
		name, short string
		dest        any
	}{
		{fID, "id", "", &o.id},
		{fName, "name", "", &o.name},
		{fNamespace, "namespace", "", &o.namespace},
		{fPod, "pod", "p", &o.pod},
		{fImage, "image", "", &o.image},
		{fRegex, "regex", "", &o.regex},
		{fExact, "exact", "", &o.exact},
		{fState, "state", "s", &o.state},
		{fLatest, "latest", "l", &o.latest},
		{fLast, "last", "n", &o.last},
		{fAll, "all", "a", &o.all},
		{fLabel, "label", "", &o.labels},
		{fSelector, "selector", "", &o.selector},
	}
	var out []cli.Flag
	for _, sp := range specs {
		u, ok := usage[sp.ff]
		if !ok {
			continue
		}
		var aliases []string
		if sp.short != "" && !slices.Contains(noShort, sp.ff) {
			aliases = []string{sp.short}
		}
		switch d := sp.dest.(type) {
		case *string:
			out = append(out, &cli.StringFlag{Name: sp.name, Aliases: aliases, Destination: d, Usage: u})
		case *bool:
			out = append(out, &cli.BoolFlag{Name: sp.name, Aliases: aliases, Destination: d, Usage: u})
		case *int:
			out = append(out, &cli.IntFlag{Name: sp.name, Aliases: aliases, Destination: d, Usage: u})
		case *cli.StringSlice:
			out = append(out, &cli.StringSliceFlag{Name: sp.name, Aliases: aliases, Destination: d, Usage: u})
		}
	}
	return out
}

// validate checks the flags before any RPC and compiles what pods and
// containers are both selected by.
func (o *filterFlags) validate(cmd string) error {
	if o.regex && o.exact {
		return usagef(cmd, "--regex and --exact cannot be used together")
	}
	var err error
	if o.sel.Name, err = kube.NameMatcher(o.name, o.exact); err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.sel.Namespace, err = kube.NamespaceMatcher(o.namespace, o.regex); err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.pod != "" {
		if err := kube.CheckArg("pod", o.pod); err != nil {
			return usagef(cmd, "--pod: %v", err)
		}
	}
	if o.sel.Labels, err = kube.ParseLabels(o.labels.Value(), o.selector); err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.last < 0 {
		return usagef(cmd, "--last %d: must be 0 or more", o.last)
	}
	o.sel.Latest, o.sel.Last = o.latest, o.last
	return nil
}

// podFilter validates the flags as a pod filter.
func (o *filterFlags) podFilter(cmd string) (*kube.PodFilter, error) {
	state, err := validateWithState(o, cmd, kube.ParsePodState)
	return &kube.PodFilter{Selector: o.sel, ID: o.id, State: state}, err
}

// containerFilter validates the flags as a container filter.
func (o *filterFlags) containerFilter(cmd string) (*kube.ContainerFilter, error) {
	state, err := validateWithState(o, cmd, kube.ParseContainerState)
	return &kube.ContainerFilter{Selector: o.sel, ID: o.id, Pod: o.pod, Image: o.image, State: state, All: o.all}, err
}

// validateWithState validates the flags and parses --state for pods or
// containers.
func validateWithState[S any](o *filterFlags, cmd string, parse func(string) (S, error)) (state S, err error) {
	if err = o.validate(cmd); err != nil {
		return state, err
	}
	if state, err = parse(o.state); err != nil {
		return state, usagef(cmd, "%v", err)
	}
	return state, nil
}

// scope is what narrows names given as arguments (call after validate):
// the same namespace matcher as the filter, and --pod.
func (o *filterFlags) scope() resolve.Scope {
	return resolve.Scope{Namespace: o.sel.Namespace, Pod: o.pod}
}

// selecting reports whether any flag selects containers (exec then takes
// no CONTAINER argument).
func (o *filterFlags) selecting() bool {
	return o.name != "" || o.namespace != "" || o.pod != "" || o.image != "" || o.state != "" ||
		len(o.labels.Value()) > 0 || o.selector != "" || o.latest || o.last > 0
}
