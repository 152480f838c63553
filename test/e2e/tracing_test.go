package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/otlpfake"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// needTracing skips t when the crictl under test has no --enable-tracing.
func needTracing(t *testing.T) {
	t.Helper()
	if out, _, _ := run(t, "--help"); !strings.Contains(out, "--enable-tracing") {
		t.Skip("crictl has no --enable-tracing yet")
	}
}

// The built binary, traced against the real containerd: one trace per
// run, the command's root span and a child span per CRI call with the
// runtime's answers; a collector that is down costs one warning line.
func TestTracingAgainstContainerd(t *testing.T) {
	env := needCommand(t, "ps")
	needTracing(t)
	rcv := otlpfake.Start(t)
	plain := mustCrictl(t, env, "ps", "-a", "-q")
	out := mustCrictl(t, env, "--enable-tracing", "--tracing-endpoint", rcv.Addr, "ps", "-a", "-q")
	if out != plain {
		t.Errorf("traced ps -a -q printed %q, untraced %q", out, plain)
	}
	// crictl has sent everything before it exits.
	spans := rcv.Spans()
	var root *tracepb.Span
	var methods []string
	for _, s := range spans {
		if len(s.GetParentSpanId()) == 0 {
			root = s
		}
	}
	if root == nil || root.GetName() != "ps" {
		t.Fatalf("no root span \"ps\" among %d spans: %v", len(spans), spans)
	}
	for _, s := range spans {
		if s == root {
			continue
		}
		if !bytes.Equal(s.GetTraceId(), root.GetTraceId()) || !bytes.Equal(s.GetParentSpanId(), root.GetSpanId()) {
			t.Errorf("span %s is not a child of the root in its trace", s.GetName())
		}
		if s.GetStartTimeUnixNano() < root.GetStartTimeUnixNano() || s.GetEndTimeUnixNano() > root.GetEndTimeUnixNano() {
			t.Errorf("span %s is not within the root span", s.GetName())
		}
		if code := otlpfake.Attr(s.GetAttributes(), "rpc.grpc.status_code"); code != "0" {
			t.Errorf("span %s: status code %s from containerd", s.GetName(), code)
		}
		methods = append(methods, s.GetName())
	}
	slices.Sort(methods)
	want := []string{"runtime.v1.RuntimeService/ListContainers", "runtime.v1.RuntimeService/ListPodSandbox"}
	if !slices.Equal(methods, want) {
		t.Errorf("CRI spans %q, want %q", methods, want)
	}
	res := rcv.Resources()
	if len(res) == 0 || otlpfake.Attr(res[0], "service.name") != "cri-tools" {
		t.Errorf("resource %v", res)
	}

	// A failing command against containerd keeps its exit code and error;
	// the trace says it failed.
	_, failErr, failCode := crictl(t, env, "inspect", "no-such-container")
	_, errOut, code := crictl(t, env, "--enable-tracing", "--tracing-endpoint", rcv.Addr, "inspect", "no-such-container")
	if code != failCode || errOut != failErr || code == 0 {
		t.Errorf("traced failing inspect: exit %d, %q; untraced exit %d, %q", code, errOut, failCode, failErr)
	}
	var failed *tracepb.Span
	for _, s := range rcv.Spans() {
		if s.GetName() == "inspect" {
			failed = s
		}
	}
	if failed == nil || failed.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("root span of the failing inspect: %v", failed)
	}

	// Nothing listens: one warning line, the output and exit code as
	// without tracing (runIO fails the test on a hang).
	down := otlpfake.Closed(t)
	out, errOut, code = crictl(t, env, "--enable-tracing", "--tracing-endpoint", down, "ps", "-a", "-q")
	warning := "crictl: warning: tracing: could not send spans to " + down + ": connection refused (is a collector listening there?)\n"
	if code != 0 || out != plain || errOut != warning {
		t.Errorf("collector down: exit %d, stderr %q; want exit 0 and %q", code, errOut, warning)
	}
}

func TestProfilesAgainstContainerd(t *testing.T) {
	env := needCommand(t, "pods")
	needTracing(t)
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	mustCrictl(t, env, "--profile-cpu", cpu, "--profile-mem", mem, "pods")
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %v, %d bytes; want a gzipped pprof profile", p, err, len(b))
		}
	}
}
