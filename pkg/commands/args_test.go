package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// flagHasName reads names without urfave's Names(); it must agree with
// Names() for every flag of the tree, whatever its type.
func TestFlagHasNameAgreesWithNames(t *testing.T) {
	a := newApp(testFactory(IOStreams{}, nil))
	var walk func(flags []cli.Flag, cmds []*cli.Command)
	n := 0
	walk = func(flags []cli.Flag, cmds []*cli.Command) {
		for _, f := range flags {
			for _, name := range f.Names() {
				n++
				if !flagHasName(f, name) {
					t.Errorf("flag %v: %q not found", f.Names(), name)
				}
			}
			if flagHasName(f, "no-such-flag") || flagHasName(f, "") {
				t.Errorf("flag %v: matched a name it does not have", f.Names())
			}
		}
		for _, c := range cmds {
			walk(c.Flags, c.Subcommands)
		}
	}
	walk(a.Flags, a.Commands)
	if n < 100 {
		t.Errorf("only %d flag names checked", n)
	}
}

// Flags after arguments move in front of them, values stay with their
// flags, and what follows "--" or exec's command is left alone.
func TestReorderArgs(t *testing.T) {
	a := newApp(testFactory(IOStreams{}, nil))
	for _, tc := range []struct{ in, want string }{
		{"inspect ID -o json", "inspect -o json ID"},
		{"-r unix:///x ps -a --name web", "-r unix:///x ps -a --name web"},
		{"logs ID -f --tail 5", "logs -f --tail 5 ID"},
		{"exec -it ID sh -c ls", "exec -it ID sh -c ls"},
		{"exec ID ls -l", "exec ID ls -l"},
		{"rm ID -- -odd", "rm -- ID -odd"},
		{"create jsonschema --pod", "create jsonschema --pod"},
		{"inspect ID -qo json", "inspect -qo json ID"},
		{"-Dr unix:///x inspect ID -o json", "-Dr unix:///x inspect -o json ID"},
		{"--timeout=3s -- ps", "--timeout=3s -- ps"},
		{"-r", "-r"},
	} {
		got := a.reorderArgs(append([]string{"crictl"}, strings.Fields(tc.in)...))
		if want := append([]string{"crictl"}, strings.Fields(tc.want)...); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", tc.in, got[1:], want[1:])
		}
	}
}
