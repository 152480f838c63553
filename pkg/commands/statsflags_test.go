package commands

import (
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

// In a watch each error is named once, however many refreshes repeat it.
func TestStatsWatchErrorsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	// the pod list fails: POD and NAMESPACE come from kubelet's labels
	e.srv.Inject("ListPodSandbox", crifake.Fault{Code: codes.Internal, Message: "pods unavailable"})
	r := e.watch(false, func(out string) bool { return strings.Count(out, "CONTAINER ") >= 3 }, "stats", "-w", "-s", "100ms")
	if r.code != 0 || strings.Count(r.stderr, "pods unavailable") != 1 {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "web-5wpwzq2zt6-rg7jx") {
		t.Errorf("labels did not stand in for the pods:\n%s", r.stdout)
	}
	// once: the same error, exit 1 after the table
	r = e.run("stats")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stdout, "CONTAINER") {
		t.Errorf("one-shot: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
