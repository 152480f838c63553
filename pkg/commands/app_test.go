package commands

import (
	"strings"
	"testing"
)

// A run builds only the command it runs; help, __complete, an unknown
// command and no command at all get the whole tree, --version none.
func TestCommandsForBuildsWhatTheRunNeeds(t *testing.T) {
	global := globalFlags(&globalOptions{}, testFactory(IOStreams{}, nil))
	all := len(registered)
	for _, tc := range []struct {
		args string
		want []string // nil: the whole tree
		none bool
	}{
		{args: "inspect ID", want: []string{"inspect"}},
		{args: "-r unix:///x.sock --timeout=3s ps -a", want: []string{"ps"}},
		{args: "-r help ps", want: []string{"ps"}},
		{args: "--debug -c /dev/null img", want: []string{"images"}},
		{args: "inspect --help", want: []string{"inspect"}},
		{args: "create jsonschema", want: []string{"create"}},
		{args: "help inspect"},
		{args: "h"},
		{args: "__complete ps --na"},
		{args: "--help"},
		{args: "-h ps"},
		{args: "podz"},
		{args: ""},
		{args: "-D"},
		{args: "-- ps"},
		{args: "--version", none: true},
		{args: "-r unix:///x.sock -v", none: true},
		{args: "-v ps", want: []string{"ps"}},
	} {
		got := commandsFor(global, append([]string{"crictl"}, strings.Fields(tc.args)...))
		var names []string
		for _, c := range got {
			names = append(names, c.name)
		}
		switch {
		case tc.none:
			if len(got) != 0 {
				t.Errorf("%q: built %q, want none", tc.args, names)
			}
		case tc.want == nil:
			if len(got) != all {
				t.Errorf("%q: built %q, want the whole tree", tc.args, names)
			}
		case strings.Join(names, " ") != strings.Join(tc.want, " "):
			t.Errorf("%q: built %q, want %q", tc.args, names, tc.want)
		}
	}
}

// What a user sees does not depend on how much of the tree was built: the
// command list in help, a command's help by either route, and the
// unknown-command message.
func TestHelpAndErrorsWithThePartialTree(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	list := e.ok("help")
	for _, c := range registered {
		if c.name == "__complete" {
			continue
		}
		if !strings.Contains(list, "\n     "+c.name+" ") && !strings.Contains(list, "\n     "+c.name+",") {
			t.Errorf("help does not list %s", c.name)
		}
	}
	if got := e.ok("--help"); got != list {
		t.Errorf("--help and help differ:\n%s\n---\n%s", got, list)
	}
	viaHelp := e.ok("help inspect")
	viaFlag := e.ok("inspect --help")
	if viaHelp != viaFlag || !strings.Contains(viaFlag, "--output") {
		t.Errorf("help inspect:\n%s\n--- inspect --help:\n%s", viaHelp, viaFlag)
	}
	if r := e.run("podz"); r.code != 1 || !strings.Contains(r.stderr, `unknown command "podz"`) {
		t.Errorf("podz: exit %d, stderr %q", r.code, r.stderr)
	}
	if got := e.ok("--version"); got != "crictl version v0.0.0-test\n" {
		t.Errorf("--version: %q", got)
	}
}
