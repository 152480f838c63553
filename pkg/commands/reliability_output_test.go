package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// Every command with -o refuses a format it does not have, in one line
// naming the value and the formats it has, before any RPC; none falls
// back to a table (the reference's stats did; reliability matrix #40).
func TestUnknownOutputFormatEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	var paths [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := append(slices.Clone(prefix), c.Name)
			if len(path) == 1 && path[0] == "bundle" {
				continue // bundle's -o is the archive's path, not a format
			}
			for _, fl := range c.Flags {
				if slices.Contains(fl.Names(), "output") {
					paths = append(paths, path)
					break
				}
			}
			walk(path, c.Subcommands)
		}
	}
	walk(nil, newApp(e.factory(IOStreams{})).Commands)
	for _, must := range []string{"pods", "ps", "images", "inspect", "inspectp", "inspecti", "info", "version", "imagefsinfo"} {
		if !slices.ContainsFunc(paths, func(p []string) bool { return len(p) == 1 && p[0] == must }) {
			t.Errorf("%s has no -o flag", must)
		}
	}
	for _, p := range paths {
		e.srv.ResetCalls()
		args := append(slices.Clone(p), "-o", "bogus")
		r := e.runArgs(args...)
		want := `unsupported output format "bogus" (use one of: `
		if p[0] == "events" {
			want = `don't support "bogus" format` // the reference's words, which scripts know
		}
		if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d stdout %q stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		if calls := e.srv.Calls(); len(calls) > 0 {
			t.Errorf("%s made RPCs: %v", strings.Join(args, " "), calls)
		}
	}
}
