package commands

import (
	"cmp"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// The descriptors are the only place the tree learns what a command's
// arguments are: a command that takes arguments and says nothing about them
// would silently lose completion, so that fails here.
func TestCommandDescriptors(t *testing.T) {
	a := newApp(testFactory(IOStreams{}, nil))
	if len(a.specs) != len(registered) || len(a.Commands) != len(registered) {
		t.Fatalf("%d commands built from %d descriptors", len(a.Commands), len(registered))
	}
	groups := []group{groupPods, groupContainers, groupImages, groupRuntime, groupClient}
	for _, cmd := range a.Commands {
		spec, ok := a.specs[cmd]
		if !ok {
			t.Errorf("%s: no descriptor", cmd.Name)
			continue
		}
		takesArgs := cmd.ArgsUsage != ""
		if takesArgs != (spec.args != argNone) {
			t.Errorf("%s: ArgsUsage %q but argument kind %d", cmd.Name, cmd.ArgsUsage, spec.args)
		}
		if (spec.firstArgOnly || spec.passThrough) && spec.args == argNone {
			t.Errorf("%s: firstArgOnly/passThrough without arguments", cmd.Name)
		}
		if !cmd.Hidden && !slices.Contains(groups, spec.group) {
			t.Errorf("%s: group %q is not a help heading", cmd.Name, spec.group)
		}
		if !cmd.Hidden && cmd.Category != string(spec.group) {
			t.Errorf("%s: listed under %q in help, want %q", cmd.Name, cmd.Category, spec.group)
		}
	}
	if !slices.IsSortedFunc(a.Commands, func(x, y *cli.Command) int { return cmp.Compare(x.Name, y.Name) }) {
		t.Error("commands are not sorted by name")
	}
}

func TestDuplicateCommandNamesRefused(t *testing.T) {
	descs := append(slices.Clone(registered), command{name: "pods", build: newPodsCommand})
	if _, _, err := buildCommands(testFactory(IOStreams{}, nil), descs); err == nil {
		t.Error("two commands called pods were accepted")
	}
}
