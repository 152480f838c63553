package commands

import (
	"slices"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// logs is a reading command, but --reopen makes the runtime close and
// create log files (ReopenContainerLog): read-only mode refuses it before
// any RPC, and reading the log stays allowed.
func TestReadOnlyRefusesLogsReopen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-7")
	p.add(t, e, "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(1, "stdout", "F", "line"))
	e.vars["CRICTL_READ_ONLY"] = "1"
	e.srv.ResetCalls()
	oneError(t, e.run("logs --reopen app"), "logs --reopen refused: read-only mode is on (CRICTL_READ_ONLY=1)")
	if calls := e.srv.Calls(); len(calls) > 0 {
		t.Errorf("RPCs made: %v", calls)
	}
	if out := e.ok("logs app"); out != "line\n" {
		t.Errorf("logs in read-only mode: %q", out)
	}
	if slices.Contains(e.srv.Calls(), "ReopenContainerLog") {
		t.Errorf("ReopenContainerLog called in read-only mode")
	}
	delete(e.vars, "CRICTL_READ_ONLY")
	if r := e.run("logs -r app"); r.code != 0 || !strings.Contains(r.stderr, "Container logs reopened") {
		t.Errorf("logs -r without read-only mode: exit %d stderr %q", r.code, r.stderr)
	}
}
