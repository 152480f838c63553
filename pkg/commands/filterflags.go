package commands

import (
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
	regex, latest, all                               bool
	last                                             int
	labels                                           cli.StringSlice

	sel kube.Selector
}

// Usage texts of the flags every command words the same.
const (
	regexUsage    = "match --name and --namespace as unanchored regular expressions, as the reference crictl"
	labelUsage    = "keep only items with this label, key=value (repeatable)"
	selectorUsage = "label selector in Kubernetes syntax, e.g. 'app in (web,api),tier!=db'"
)

// flags declares the filter flags usage has a text for, in a fixed order;
// the ones in noShort lose their one-letter alias (-p, -s) where the
// command gives that letter to another flag.
func (o *filterFlags) flags(usage map[filterFlag]string, noShort ...filterFlag) []cli.Flag {
	short := func(ff filterFlag, s string) []string {
		for _, n := range noShort {
			if n == ff {
				return nil
			}
		}
		return []string{s}
	}
	var out []cli.Flag
	for ff := fID; ff <= fSelector; ff++ {
		u, ok := usage[ff]
		if !ok {
			continue
		}
		var fl cli.Flag
		switch ff {
		case fID:
			fl = &cli.StringFlag{Name: "id", Destination: &o.id, Usage: u}
		case fName:
			fl = &cli.StringFlag{Name: "name", Destination: &o.name, Usage: u}
		case fNamespace:
			fl = &cli.StringFlag{Name: "namespace", Destination: &o.namespace, Usage: u}
		case fPod:
			fl = &cli.StringFlag{Name: "pod", Aliases: short(ff, "p"), Destination: &o.pod, Usage: u}
		case fImage:
			fl = &cli.StringFlag{Name: "image", Destination: &o.image, Usage: u}
		case fRegex:
			fl = &cli.BoolFlag{Name: "regex", Destination: &o.regex, Usage: u}
		case fState:
			fl = &cli.StringFlag{Name: "state", Aliases: short(ff, "s"), Destination: &o.state, Usage: u}
		case fLatest:
			fl = &cli.BoolFlag{Name: "latest", Aliases: short(ff, "l"), Destination: &o.latest, Usage: u}
		case fLast:
			fl = &cli.IntFlag{Name: "last", Aliases: short(ff, "n"), Destination: &o.last, Usage: u}
		case fAll:
			fl = &cli.BoolFlag{Name: "all", Aliases: short(ff, "a"), Destination: &o.all, Usage: u}
		case fLabel:
			fl = &cli.StringSliceFlag{Name: "label", Destination: &o.labels, Usage: u}
		case fSelector:
			fl = &cli.StringFlag{Name: "selector", Destination: &o.selector, Usage: u}
		}
		out = append(out, fl)
	}
	return out
}

// validate checks the flags before any RPC and compiles what pods and
// containers are both selected by.
func (o *filterFlags) validate(cmd string) error {
	var err error
	if o.sel.Name, err = kube.NewMatcher("name", o.name, o.regex); err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.namespace != "" && !o.regex {
		if kube.CheckArg("namespace", o.namespace) != nil {
			return usagef(cmd, "--namespace %q: not a namespace name", o.namespace)
		}
	}
	if o.sel.Namespace, err = kube.NewMatcher("namespace", o.namespace, o.regex); err != nil {
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
	if err := o.validate(cmd); err != nil {
		return nil, err
	}
	state, err := kube.ParsePodState(o.state)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return &kube.PodFilter{Selector: o.sel, ID: o.id, State: state}, nil
}

// containerFilter validates the flags as a container filter.
func (o *filterFlags) containerFilter(cmd string) (*kube.ContainerFilter, error) {
	if err := o.validate(cmd); err != nil {
		return nil, err
	}
	state, err := kube.ParseContainerState(o.state)
	if err != nil {
		return nil, usagef(cmd, "%v", err)
	}
	return &kube.ContainerFilter{Selector: o.sel, ID: o.id, Pod: o.pod, Image: o.image, State: state, All: o.all}, nil
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
