package commands

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

// A traced `ps` sends one trace: the root span "ps" and one span per CRI
// call it made, children of the root; the output is as without tracing.
func TestTracingSpansOfACommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	plain := e.ok("ps -a")
	e.srv.ResetCalls()
	rcv := otlpfake.Start(t)
	r := e.run("--enable-tracing --tracing-endpoint " + rcv.Addr + " ps -a")
	if r.code != 0 || r.stderr != "" || r.stdout != plain {
		t.Fatalf("traced ps: exit %d, stderr %q, output differs: %v", r.code, r.stderr, r.stdout != plain)
	}
	calls := e.srv.Calls()
	if len(calls) < 2 {
		t.Fatalf("ps made %d CRI calls, the test wants at least 2", len(calls))
	}
	spans := rcv.Spans()
	if len(spans) != len(calls)+1 {
		t.Fatalf("%d spans for %d CRI calls: %v", len(spans), len(calls), spans)
	}
	var root *tracepb.Span
	for _, s := range spans {
		if len(s.GetParentSpanId()) == 0 {
			root = s
		}
	}
	if root == nil || root.GetName() != "ps" || otlpfake.Attr(root.GetAttributes(), "process.exit.code") != "0" {
		t.Fatalf("root span %v", root)
	}
	var names []string
	for _, s := range spans {
		if s == root {
			continue
		}
		names = append(names, otlpfake.Attr(s.GetAttributes(), "rpc.method"))
		if !bytes.Equal(s.GetTraceId(), root.GetTraceId()) || !bytes.Equal(s.GetParentSpanId(), root.GetSpanId()) {
			t.Errorf("%s is not a child of the root in its trace", s.GetName())
		}
		if !strings.HasPrefix(s.GetName(), "runtime.v1.") {
			t.Errorf("span name %q is not the full method", s.GetName())
		}
	}
	// ps makes its calls concurrently: compare the sets.
	slices.Sort(names)
	slices.Sort(calls)
	if !slices.Equal(names, calls) {
		t.Errorf("spans of %q, calls made %q", names, calls)
	}
}

func TestTracingRootSpanNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ args, want string }{
		{"create js --pod", "create jsonschema"},
		{"--version", "crictl"},
		{"inspectp nope", "inspectp"},
	} {
		rcv := otlpfake.Start(t)
		r := e.run("--enable-tracing --tracing-endpoint " + rcv.Addr + " " + tc.args)
		spans := rcv.Spans()
		if len(spans) == 0 {
			t.Errorf("%s: no span sent (exit %d, %q)", tc.args, r.code, r.stderr)
			continue
		}
		root := spans[len(spans)-1]
		if root.GetName() != tc.want {
			t.Errorf("%s: root span %q, want %q", tc.args, root.GetName(), tc.want)
		}
		if r.code != 0 && (root.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || root.GetStatus().GetMessage() == "") {
			t.Errorf("%s: exit %d but root status %v", tc.args, r.code, root.GetStatus())
		}
	}
}

// A collector that is down or never answers costs one warning line; the
// command's output and exit code stay as they were. (The harness fails a
// run that does not return: the hang check.)
func TestTracingCollectorTrouble(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	plain := e.ok("pods")
	failing := e.run("inspect nope")
	if failing.code != 1 {
		t.Fatalf("inspect nope: exit %d", failing.code)
	}
	for _, tc := range []struct{ addr, why string }{
		{otlpfake.Closed(t), "connection refused (is a collector listening there?)"},
		{otlpfake.Silent(t), "no answer within 1s"},
	} {
		warning := "crictl: warning: tracing: could not send spans to " + tc.addr + ": " + tc.why + "\n"
		r := e.run("--enable-tracing --tracing-endpoint " + tc.addr + " pods")
		if r.code != 0 || r.stdout != plain || r.stderr != warning {
			t.Errorf("pods, collector at %s: exit %d, stderr %q; want exit 0 and %q", tc.addr, r.code, r.stderr, warning)
		}
		r = e.run("--enable-tracing --tracing-endpoint " + tc.addr + " inspect nope")
		if r.code != failing.code || r.stderr != failing.stderr+warning {
			t.Errorf("inspect nope, collector at %s: exit %d, stderr %q; want exit %d and %q", tc.addr, r.code, r.stderr, failing.code, failing.stderr+warning)
		}
	}
}

func TestTracingNotSampledSendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := otlpfake.Start(t)
	e.ok("--enable-tracing --tracing-endpoint " + rcv.Addr + " --tracing-sampling-rate-per-million 0 pods")
	// Nothing to wait for: Run returns after its last send.
	if n := len(rcv.Requests()); n != 0 {
		t.Errorf("%d requests sent at sampling rate 0", n)
	}
	// Without --enable-tracing the endpoint is not used at all.
	e.ok("--tracing-endpoint " + rcv.Addr + " pods")
	if n := len(rcv.Requests()); n != 0 {
		t.Errorf("%d requests sent without --enable-tracing", n)
	}
}

func TestTracingBadEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.run("--enable-tracing --tracing-endpoint localhost pods")
	want := `crictl: tracing endpoint "localhost" is not HOST:PORT (e.g. 127.0.0.1:4317)` + "\n"
	if r.code != 1 || r.stderr != want || len(e.srv.Calls()) != 0 {
		t.Errorf("exit %d, stderr %q, calls %v; want exit 1, %q and no call", r.code, r.stderr, e.srv.Calls(), want)
	}
}

// The profile flags write pprof files of the run (their format is checked
// in pkg/profile); a path that cannot be written fails before any work.
// Not parallel: the process has one CPU profiler.
func TestProfileFlags(t *testing.T) {
	e := newEnv(t)
	e.node()
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	plain := e.ok("ps -a")
	if out := e.ok("--profile-cpu " + cpu + " --profile-mem " + mem + " ps -a"); out != plain {
		t.Errorf("profiled ps printed %q", out)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %v, %d bytes, not a gzipped profile", p, err, len(b))
		}
	}
	e.srv.ResetCalls()
	bad := filepath.Join(dir, "missing", "cpu.pprof")
	r := e.run("--profile-cpu " + bad + " ps")
	want := "crictl: cannot write the CPU profile: open " + bad + ": no such file or directory\n"
	if r.code != 1 || r.stderr != want || len(e.srv.Calls()) != 0 {
		t.Errorf("bad profile path: exit %d, stderr %q, calls %v; want exit 1, %q, no call", r.code, r.stderr, e.srv.Calls(), want)
	}
}
