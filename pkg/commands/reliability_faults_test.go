package commands

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

// A call slower than --timeout fails with one line that names the call and
// says to raise --timeout, without retrying (a deadline is not a transient
// failure); the same call within a larger --timeout succeeds (reliability
// matrix #9, #18).
func TestSlowCallNeedsLargerTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.Inject("ListPodSandbox", crifake.Fault{Delay: 700 * time.Millisecond})
	r := e.run("-D --timeout 200ms pods")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("exit %d stdout %q, want 1 and nothing", r.code, r.stdout)
	}
	last := r.stderr[strings.LastIndex(strings.TrimSuffix(r.stderr, "\n"), "\n")+1:]
	for _, want := range []string{"crictl: ListPodSandbox: ", "did not answer within 200ms", "larger --timeout"} {
		if !strings.Contains(last, want) {
			t.Errorf("error line %q lacks %q", last, want)
		}
	}
	if strings.Contains(r.stderr, "retrying") {
		t.Errorf("a deadline was retried:\n%s", r.stderr)
	}
	if n := strings.Count(strings.Join(e.srv.Calls(), " "), "ListPodSandbox"); n != 1 {
		t.Errorf("ListPodSandbox called %d times, want 1", n)
	}
	if out := e.ok("--timeout 5s pods -q"); strings.Count(out, "\n") != 5 {
		t.Errorf("pods with --timeout 5s: %q, want the 5 pods", out)
	}
}

// crictl makes no validation call: a runtime without the optional
// ImageFsInfo still lists pods, containers and images (the reference
// failed ps and images while validating the connection; reliability
// matrix #10).
func TestImageFsInfoNotNeeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.Inject("ImageFsInfo", crifake.Fault{Code: codes.Unimplemented, Message: "unknown method ImageFsInfo"})
	for _, cmd := range []string{"pods", "ps -a", "ps -r", "images", "inspect coredns", "inspecti busybox:1.36"} {
		e.srv.ResetCalls()
		if out := e.ok(cmd); out == "" {
			t.Errorf("%s printed nothing", cmd)
		}
		if calls := e.srv.Calls(); slices.Contains(calls, "ImageFsInfo") {
			t.Errorf("%s called ImageFsInfo: %v", cmd, calls)
		}
	}
	// The command that needs it says so in one line.
	oneError(t, e.run("imagefsinfo"), "does not implement ImageFsInfo")
}
