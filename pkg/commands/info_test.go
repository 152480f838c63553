package commands

import "testing"

func TestInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	golden(t, "info/json", e.ok("info"))
	golden(t, "info/quiet-yaml", e.ok("info -q -o yaml"))
}
