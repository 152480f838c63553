package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// rowsOf is the first column of a table's rows, without the header.
func rowsOf(table string) []string {
	var out []string
	for i, l := range strings.Split(strings.TrimSuffix(table, "\n"), "\n") {
		if i > 0 && l != "" {
			out = append(out, strings.Fields(l)[1])
		}
	}
	return out
}

func TestStats(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	out := e.ok("stats")
	golden(t, "stats/table", out)
	// the runtime's rate: no second sample, no wait
	if calls := sortedCalls(e.srv.Calls()); !slices.Equal(calls, []string{"ListContainerStats", "ListContainers", "ListPodSandbox"}) {
		t.Errorf("calls %v", calls)
	}
	golden(t, "stats/all", e.ok("stats -a"))
	golden(t, "stats/json", e.ok("stats -o json --namespace kube-system"))
	if got := rowsOf(e.ok("stats --namespace kube-system")); !slices.Equal(got, []string{"coredns", "kube-proxy"}) &&
		!slices.Equal(got, []string{"kube-proxy", "coredns"}) {
		t.Errorf("--namespace kube-system: %v", got)
	}
	if got := rowsOf(e.ok("stats --pod web-5wpwzq2zt6-rg7jx --name ^n")); !slices.Equal(got, []string{"nginx"}) {
		t.Errorf("--pod --name: %v", got)
	}
	// a container by name, in any state
	if got := rowsOf(e.ok("stats migrate")); !slices.Equal(got, []string{"migrate"}) {
		t.Errorf("stats migrate: %v", got)
	}
	if r := e.runArgs("stats", "-o", "go-template", "--template", "{{range .stats}}{{.attributes.metadata.name}} {{end}}", "--name", "agent"); r.stdout != "agent \n" {
		t.Errorf("go-template: %+v", r)
	}
	if out := e.ok("stats -o yaml --name agent"); !strings.HasPrefix(out, "stats:\n- attributes:\n") {
		t.Errorf("yaml %q", out)
	}
}

func TestStatsUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	oneError(t, e.run("stats a b"), `unexpected argument "b"`)
	oneError(t, e.run("stats --id "+n.webC.Id+" nginx"), "give a CONTAINER or --id, not both")
	oneError(t, e.run("stats -o wide"), `unsupported output format "wide"`)
	oneError(t, e.run("stats -s 0"), "--seconds")
	oneError(t, e.run("stats --namespace ("), "invalid regular expression")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
	oneError(t, e.run("stats nosuch"), "nosuch")
	e.srv.Inject("ListContainerStats", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("stats"), "crictl: fakeruntime 0.1.0 does not implement ListContainerStats\n")
}

// containerd 1.6 gives no rate: two samples, --seconds apart.
func TestStatsTwoSamples(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	rate := strings.Fields(strings.Split(e.ok("stats --name nginx"), "\n")[1])[2]
	e.srv.NoCPURates = true
	e.srv.ResetCalls()
	out := e.ok("stats -s 100ms --name nginx")
	if calls := e.srv.Calls(); countCalls(calls, "ListContainerStats") != 2 {
		t.Errorf("calls %v", calls)
	}
	// the fake advances a second and its rate of usage per sample
	if f := strings.Fields(strings.Split(out, "\n")[1]); f[2] != rate {
		t.Errorf("CPU %q in %q, want the rate %s", f[2], out, rate)
	}
	// --seconds measures even where the runtime gives a rate
	e.srv.NoCPURates = false
	e.srv.ResetCalls()
	e.ok("stats -s 100ms --name nginx")
	if c := countCalls(e.srv.Calls(), "ListContainerStats"); c != 2 {
		t.Errorf("%d ListContainerStats with --seconds", c)
	}
	// a document needs no second sample, and the pods only to filter
	e.srv.NoCPURates = true
	e.srv.ResetCalls()
	e.ok("stats -o json")
	if calls := sortedCalls(e.srv.Calls()); !slices.Equal(calls, []string{"ListContainerStats", "ListContainers"}) {
		t.Errorf("calls for a document: %v", calls)
	}
}

// On a pipe: a table block per refresh, never an escape code; a container
// that exits between refreshes leaves the table; Ctrl-C exits 0.
func TestStatsWatchPipe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	exited := false
	r := e.watch(false, func(out string) bool {
		blocks := strings.Count(out, "CONTAINER ")
		if blocks == 1 && !exited {
			exited = e.srv.ExitContainer(n.webC.Id, 0)
		}
		return blocks >= 3
	}, "stats", "-w", "-s", "100ms")
	if r.code != 0 || r.stderr != "" || strings.Contains(r.stdout, "\x1b") {
		t.Fatalf("exit %d stderr %q stdout %q", r.code, r.stderr, r.stdout)
	}
	blocks := strings.Split(r.stdout, "\n\n")
	if len(blocks) < 3 || !strings.Contains(blocks[0], " nginx ") || strings.Contains(blocks[len(blocks)-1], " nginx ") {
		t.Errorf("nginx should leave the table once it exited:\n%s", r.stdout)
	}
	for _, b := range blocks {
		if !strings.HasPrefix(b, "CONTAINER       NAME") || strings.Contains(b, "TREND") {
			t.Errorf("block %q", b)
		}
	}
	// -o json: one document per line
	r = e.watch(false, func(out string) bool { return strings.Count(out, "\n") >= 2 }, "stats", "-w", "-s", "100ms", "-o", "json")
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
		if !strings.HasPrefix(l, `{"stats":[{"attributes":`) {
			t.Errorf("line %q", l)
		}
	}
}

// On a terminal: drawn in place, with trends and memory as a share of the
// limit where there is one; the cursor comes back at the end.
func TestStatsWatchTerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.AddContainer(n.webC, crifake.WithResources(&runtimeapi.ContainerResources{Linux: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 32 << 20}}))
	r := e.watch(true, func(out string) bool { return strings.Count(out, "\x1b[H") >= 3 }, "stats", "-w", "-s", "100ms")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	frames := strings.Split(r.stdout, "\x1b[H")
	last := frames[len(frames)-2]
	if !strings.Contains(frames[1], "CPU TREND") || !strings.HasSuffix(r.stdout, "\x1b[?25h") {
		t.Errorf("frames %q", r.stdout)
	}
	for _, l := range strings.Split(last, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) < 8:
		case f[1] == "nginx":
			// 8 MiB of 32: a quarter
			if f[6] != "25%" || !strings.ContainsAny(f[3], "▁▂▃▄▅▆▇█") {
				t.Errorf("nginx row %q", l)
			}
		case f[1] == "coredns":
			if f[6] != "-" {
				t.Errorf("no limit: %q", l)
			}
		}
	}
}

// The runtime going away ends a watch with one line, exit 1.
func TestStatsWatchRuntimeGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	r := e.watch(false, func(out string) bool {
		if strings.Contains(out, "CONTAINER") {
			e.srv.Close()
		}
		return false
	}, "stats", "-w", "-s", "100ms")
	if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "crictl: ") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

// stats completes containers, statsp pods, checkpoint containers; the new
// formats complete after -o.
func TestStatsCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"stats", ""}, "nginx"},
		{[]string{"statsp", ""}, "web-5wpwzq2zt6-rg7jx"},
		{[]string{"checkpoint", "-e", "/tmp", ""}, "coredns"},
		{[]string{"events", "-o", ""}, "table"},
		{[]string{"stats", "-o", ""}, "go-template"},
	} {
		out := strings.Fields(e.runArgs(append([]string{"__complete"}, tc.words...)...).stdout)
		if !slices.Contains(out, tc.want) {
			t.Errorf("__complete %v: %q missing from %v", tc.words, tc.want, out)
		}
	}
}
