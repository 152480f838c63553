package commands

import (
	"slices"
	"strings"
	"testing"
)

// An empty or blank container, pod or image argument is refused by every
// command that takes one, in one line and before any RPC: it never
// reaches the runtime, which would answer "Prefix can't be empty" or
// resolve it to something (reliability matrix #35).
func TestEmptyArgumentsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "%"}, "empty container ID or name"},
		{[]string{"logs", "%"}, "empty container ID or name"},
		{[]string{"start", "%"}, "empty container ID or name"},
		{[]string{"stop", "%"}, "empty container ID or name"},
		{[]string{"rm", "%"}, "empty container ID or name"},
		{[]string{"update", "--memory", "1G", "%"}, "empty container ID or name"},
		{[]string{"exec", "-s", "%", "ls"}, "empty container ID or name"},
		{[]string{"attach", "%"}, "empty container ID or name"},
		{[]string{"inspectp", "%"}, "empty pod ID or name"},
		{[]string{"stopp", "%"}, "empty pod ID or name"},
		{[]string{"rmp", "%"}, "empty pod ID or name"},
		{[]string{"port-forward", "%", "80"}, "empty pod ID or name"},
		{[]string{"inspecti", "%"}, "invalid reference format"},
		{[]string{"pull", "%"}, "invalid reference format"},
		{[]string{"rmi", "%"}, "not an image reference or ID"},
	} {
		for _, blank := range []string{"", " ", "\t"} {
			args := slices.Clone(tc.args)
			for i, a := range args {
				if a == "%" {
					args[i] = blank
				}
			}
			e.srv.ResetCalls()
			r := e.runArgs(args...)
			if r.code != 1 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("%q: exit %d stdout %q stderr %q, want one line with %q", args, r.code, r.stdout, r.stderr, tc.want)
			}
			if calls := e.srv.Calls(); len(calls) > 0 {
				t.Errorf("%q made RPCs: %v", args, calls)
			}
		}
	}
	// A blank flag value naming a pod is refused too; an empty one means
	// the flag is not given, as in the reference.
	for _, args := range [][]string{{"ps", "--pod", " "}, {"logs", "--pod", "\t"}, {"exec", "-s", "--pod", " ", "ls"}} {
		e.srv.ResetCalls()
		oneError(t, e.runArgs(args...), "--pod: empty pod ID or name")
		if calls := e.srv.Calls(); len(calls) > 0 {
			t.Errorf("%q made RPCs: %v", args, calls)
		}
	}
}
