package commands

import (
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	golden(t, "version/table", e.ok("version"))
	golden(t, "version/json", e.ok("version -o json"))
	e.srv.ResetCalls()
	e.ok("version")
	if got := strings.Join(e.srv.Calls(), " "); got != "Version" {
		t.Errorf("version made RPCs %q, want one Version", got)
	}
}
