package commands

import (
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/selector"
	"github.com/urfave/cli/v2"
)

// labelFilter is --label key=value (repeatable, the reference's exact
// match) and --selector (Kubernetes set-based syntax). The exact-match
// requirements go to the runtime in the CRI filter; the whole selector is
// checked again on every result.
type labelFilter struct {
	labels   cli.StringSlice
	selector string

	exact map[string]string
	sel   selector.Selector
}

func (l *labelFilter) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "label", Destination: &l.labels,
			Usage: "keep only items with this label, key=value (repeatable)"},
		&cli.StringFlag{Name: "selector", Destination: &l.selector,
			Usage: "label selector in Kubernetes syntax, e.g. 'app in (web,api),tier!=db'"},
	}
}

func (l *labelFilter) parse() error {
	l.exact = map[string]string{}
	for _, kv := range l.labels.Value() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--label %q: expected key=value", kv)
		}
		l.exact[k] = v
	}
	if l.selector != "" {
		sel, err := selector.Parse(l.selector)
		if err != nil {
			return fmt.Errorf("--selector: %w", err)
		}
		l.sel = sel
		for k, v := range sel.Equalities() {
			if old, ok := l.exact[k]; ok && old != v {
				// Contradictory: nothing can match; let Matches say so.
				continue
			}
			l.exact[k] = v
		}
	}
	if len(l.exact) == 0 {
		l.exact = nil
	}
	return nil
}

func (l *labelFilter) match(labels map[string]string) bool {
	for k, v := range l.exact {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return l.selector == "" || l.sel.Matches(labels)
}
