package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

func TestStatsp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	golden(t, "statsp/table", e.ok("statsp"))
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"ListPodSandboxStats"}) {
		t.Errorf("calls %v", calls)
	}
	golden(t, "statsp/json", e.ok("statsp -o json --namespace kube-system --name ^kube-proxy"))
	if got := rowsOf(e.ok("statsp --namespace kube-system")); len(got) != 2 {
		t.Errorf("kube-system: %v", got)
	}
	// a pod by name
	out := e.ok("statsp web-5wpwzq2zt6-rg7jx")
	if !strings.Contains(out, n.web.Id[:13]) || strings.Count(out, "\n") != 2 {
		t.Errorf("statsp web: %q", out)
	}
	oneError(t, e.run("statsp a b"), `unexpected argument "b"`)
	oneError(t, e.run("statsp --id x web"), "give a POD or --id, not both")
	oneError(t, e.run("statsp -o wide"), `unsupported output format "wide"`)
	e.srv.Inject("ListPodSandboxStats", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("statsp"), "crictl: fakeruntime 0.1.0 does not implement ListPodSandboxStats\n")
}

// containerd fails ListPodSandboxStats as a whole when one pod has no
// cgroup parent: every other pod is shown, the broken one named, exit 1.
func TestStatspOneBrokenPod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.AddPod(n.web, crifake.WithPodStatsError("cgroupPath is empty"))
	r := e.run("statsp")
	if r.code != 1 {
		t.Errorf("exit %d", r.code)
	}
	if got := rowsOf(r.stdout); len(got) != 3 || slices.Contains(got, n.web.Id[:13]) {
		t.Errorf("rows %v in\n%s", got, r.stdout)
	}
	want := "crictl: pod web-5wpwzq2zt6-rg7jx (default, " + n.web.Id[:13] + "): PodSandboxStats: failed getting metrics for sandbox " + n.web.Id + ": cgroupPath is empty\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	// in a watch, the broken pod is named once, not every refresh
	r = e.watch(false, func(out string) bool { return strings.Count(out, "POD ") >= 3 }, "statsp", "-w", "-s", "100ms")
	if r.code != 0 || r.stderr != want {
		t.Errorf("watch: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestStatspWatchTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	r := e.watch(true, func(out string) bool { return strings.Count(out, "\x1b[H") >= 2 }, "statsp", "-w", "-s", "100ms")
	if r.code != 0 || !strings.Contains(r.stdout, "CPU TREND") || !strings.HasSuffix(r.stdout, "\x1b[?25h") {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
}
