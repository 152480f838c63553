package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

func TestMetricsp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	golden(t, "metricsp/json", e.ok("metricsp"))
	if out := e.ok("metricsp -o yaml"); !strings.HasPrefix(out, "podMetrics:\n") {
		t.Errorf("yaml: %q", out)
	}
	if r := e.runArgs("metricsp", "-o", "go-template", "--template", "{{len .podMetrics}}"); r.stdout != "4\n" {
		t.Errorf("ready pods: %+v", r)
	}
	oneError(t, e.run("metricsp -o table"), `unsupported output format "table"`)
	oneError(t, e.run("metricsp --interval 1ms"), "--interval")
	e.srv.Inject("ListPodSandboxMetrics", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("metricsp"), "crictl: fakeruntime 0.1.0 does not implement ListPodSandboxMetrics\n")
}

// On a pipe: one JSON document per line, no escape code; Ctrl-C exits 0.
func TestMetricspWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	r := e.watch(false, func(out string) bool { return strings.Count(out, "\n") >= 2 }, "metricsp", "-w", "--interval", "100ms")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) < 2 || strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("stdout %q", r.stdout)
	}
	for _, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["podMetrics"] == nil {
			t.Errorf("line %q: %v", l, err)
		}
	}
	// on a terminal: redrawn in place, the cursor shown again at the end
	r = e.watch(true, func(out string) bool { return strings.Count(out, "\x1b[H") >= 2 }, "metricsp", "-w", "--interval", "100ms")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "\x1b[?25l\x1b[2J\x1b[H{\x1b[K\n") || !strings.HasSuffix(r.stdout, "\x1b[?25h") {
		t.Errorf("terminal: exit %d stdout %.200q", r.code, r.stdout)
	}
	// the runtime going away: one line, exit 1
	n := 0
	r = e.watch(false, func(out string) bool {
		if n++; n == 1 {
			e.srv.Inject("ListPodSandboxMetrics", crifake.Fault{Code: codes.Unavailable, Message: "connection refused"})
		}
		return false
	}, "metricsp", "-w", "--interval", "100ms")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("runtime gone: exit %d stderr %q", r.code, r.stderr)
	}
}
