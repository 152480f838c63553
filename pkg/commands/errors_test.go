package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// oneError checks a failure: exit 1, nothing on stdout, one stderr line
// containing every want.
func oneError(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit code %d, want 1 (stderr %q)", r.code, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "crictl: ") {
		t.Errorf("want one line 'crictl: ...' on stderr, got %q", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not contain %q", r.stderr, w)
		}
	}
}

func TestConnectionFailures(t *testing.T) {
	t.Parallel()
	dir := crifake.ShortTempDir(t)
	file := filepath.Join(dir, "file.sock")
	os.WriteFile(file, nil, 0o600)
	hang, stopHang, _ := crifake.ListenHang(dir)
	t.Cleanup(stopHang)
	mute, stopMute, _ := crifake.ListenReadNoAnswer(dir)
	t.Cleanup(stopMute)
	closer, stopClose, _ := crifake.ListenClose(dir)
	t.Cleanup(stopClose)
	http1, stopHTTP, _ := crifake.ListenHTTP1(dir)
	t.Cleanup(stopHTTP)
	stale, stopStale, _ := crifake.StaleSocket(dir)
	t.Cleanup(stopStale)

	for _, tc := range []struct {
		name, endpoint string
		want           []string
		maxTime        time.Duration
	}{
		{"missing socket", "unix://" + filepath.Join(dir, "none.sock"), []string{"none.sock", "no such file or directory"}, time.Second},
		{"not a socket", "unix://" + file, []string{"is not a socket (it is a regular file)"}, time.Second},
		{"directory", "unix://" + dir, []string{"is not a socket (it is a directory)"}, time.Second},
		{"host in unix URL", "unix://tmp/x.sock", []string{`names a host ("tmp")`, "unix:///tmp/x.sock"}, time.Second},
		{"over-long path", "unix:///" + strings.Repeat("x", 120), []string{"over the 107-byte limit"}, time.Second},
		{"tcp", "tcp://127.0.0.1:1", []string{"only unix socket endpoints"}, time.Second},
		{"relative", "unix:relative.sock", []string{"unix:///absolute/path"}, time.Second},
		{"accepts, never answers", hang, []string{hang, "did not answer within 300ms"}, 3 * time.Second},
		{"reads, never answers", mute, []string{mute, "did not answer within 300ms"}, 3 * time.Second},
		{"closes at once", closer, []string{closer, "does not speak gRPC"}, 3 * time.Second},
		{"HTTP/1.1", http1, []string{http1, "does not speak gRPC"}, 3 * time.Second},
		{"stale socket", stale, []string{stale, "connection refused"}, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := &env{t: t, vars: map[string]string{"CRI_CONFIG_FILE": "", "CONTAINER_RUNTIME_ENDPOINT": tc.endpoint}}
			e.vars["CRI_CONFIG_FILE"] = emptyConfig(t)
			start := time.Now()
			r := e.run("--timeout 300ms pods")
			if d := time.Since(start); d > tc.maxTime {
				t.Errorf("took %v, want at most %v", d, tc.maxTime)
			}
			oneError(t, r, tc.want...)
		})
	}
}

func emptyConfig(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "crictl.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRuntimeErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method, cmd string
		fault             crifake.Fault
		want              []string
	}{
		{"unimplemented", "ListPodSandbox", "pods", crifake.Fault{Code: codes.Unimplemented, Message: "nope"}, []string{"does not implement ListPodSandbox"}},
		{"not found", "ContainerStatus", "inspect " + strings.Repeat("b", 64), crifake.Fault{Code: codes.NotFound, Message: "not found"}, []string{`container "bbbb`, "not found"}},
		{"internal", "ListImages", "images", crifake.Fault{Code: codes.Internal, Message: "boom\x1b]0;PWNED\x07"}, []string{"ListImages: boom^[]0;PWNED\\x07"}},
		{"slow rpc", "Version", "--timeout 200ms version", crifake.Fault{Delay: 2 * time.Second}, []string{"Version: the runtime at", "did not answer within 200ms"}},
		{"hung rpc", "ListContainers", "--timeout 200ms ps", crifake.Fault{Block: true}, []string{"ListContainers", "did not answer within 200ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.srv.Inject(tc.method, tc.fault)
			oneError(t, e.run(tc.cmd), tc.want...)
		})
	}
}

func TestReplyTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("ListPodSandbox", crifake.Fault{PadBytes: 17 << 20})
	oneError(t, e.run("pods -q"), "ListPodSandbox", "larger than the 16 MiB limit", "--label")
}

func TestUnavailableRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("Version", crifake.Fault{Code: codes.Unavailable, Message: "restarting", Times: 1})
	if out := e.ok("version"); !strings.Contains(out, "RuntimeName:  fakeruntime") {
		t.Errorf("retried version: %q", out)
	}
	e.srv.Inject("Version", crifake.Fault{Code: codes.Unavailable, Message: "restarting", Times: 1})
	oneError(t, e.run("--max-retries 0 version"), "Version: restarting")
}

func TestUnknownEnumsAndEscapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	evil := "evil\x1b]0;PWNED\x07\x1b[31mred\nFAKEROW\tx\u202eabc\u009b\x7f"
	pod := crifake.KubeletPod(evil, "ns\r\x08", 0, ago(time.Hour), true)
	pod.State = runtimeapi.PodSandboxState(7)
	e.srv.AddPod(pod)
	c := crifake.KubeletContainer(pod, evil, 0, "img\x1b[2J", runtimeapi.ContainerState(99), ago(time.Hour))
	e.srv.AddContainer(c)
	pods := e.ok("pods")
	ps := e.ok("ps -a")
	golden(t, "escape/pods", pods)
	golden(t, "escape/ps", ps)
	for _, out := range []string{pods, ps, e.ok("pods -v"), e.ok("ps -a -v"), e.ok("inspect -o table " + c.Id), e.ok("inspectp -o table " + pod.Id)} {
		if strings.ContainsAny(out, "\x1b\x07\r\b\x7f\u009b\u202e") {
			t.Errorf("a control character reached the terminal: %q", out)
		}
	}
	if n := strings.Count(pods, "\n"); n != 2 {
		t.Errorf("pods table has %d lines, want header + 1 row", n)
	}
	if !strings.Contains(pods, "UNKNOWN(7)") || !strings.Contains(ps, "UNKNOWN(99)") {
		t.Errorf("unknown enums not shown as UNKNOWN(n):\n%s%s", pods, ps)
	}
	// JSON keeps the data exact.
	if js := e.ok("ps -a -o json"); !strings.Contains(js, `\u001b]0;PWNED\u0007`) {
		t.Errorf("JSON lost the exact name: %s", js)
	}
	// Templates on a terminal are escaped, newlines kept.
	e.outTTY = true
	if out := e.ok("inspectp -o go-template --template {{.status.metadata.name}}{{\"\\n\"}} " + pod.Id); strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("template output on a terminal not escaped: %q", out)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"pods -o bogus", []string{`unsupported output format "bogus"`, "crictl pods --help"}},
		{"images -o go-template", []string{"needs a template"}},
		{"ps -o go-template --template {{.x", []string{"invalid template"}},
		{"pods --state maybe", []string{"--state", "ready or notready"}},
		{"ps --name ( --regex", []string{"invalid regular expression"}},
		{"pods --label a", []string{"--label", "key=value"}},
		{"pods --selector a+in", []string{"--selector"}},
		{"pods --last -1", []string{"--last"}},
		{"pods extra", []string{"takes no arguments"}},
		{"podz", []string{`unknown command "podz"`}},
		{"pods --bogus", []string{"flag provided but not defined: -bogus"}},
		{"--timeout 5x pods", []string{"--timeout"}},
		{"inspect ''", nil},
	} {
		r := e.run(tc.cmd)
		if tc.want == nil {
			continue
		}
		oneError(t, r, tc.want...)
	}
	e.srv.ResetCalls()
	e.run("pods -o bogus")
	e.run("ps -o go-template --template {{.x")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
	oneError(t, e.runArgs("inspect", " "), "empty container ID or name")
}

func TestInvalidUTF8Reply(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddPod(crifake.KubeletPod("bad"+crifake.BadUTF8, "default", 0, ago(time.Hour), true))
	oneError(t, e.run("pods"), "ListPodSandbox", "invalid UTF-8")
}

// Bad input that can never name anything is refused before any RPC, in
// one line (reliability matrix #33, #35, #37, #38, #39).
func TestRefusedBeforeAnyRPC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"inspecti", "upper/X"}, "invalid reference format"},
		{[]string{"inspecti", "a b"}, "invalid reference format"},
		{[]string{"inspecti", "busybox@sha256:abc"}, "invalid reference format"},
		{[]string{"images", "a b"}, "invalid reference format"},
		{[]string{"images", "Busybox"}, "invalid reference format"},
		{[]string{"inspect", "a\x00b"}, "never have"},
		{[]string{"inspect", ".."}, "is a path"},
		{[]string{"inspectp", strings.Repeat("a", 254)}, "254 bytes long"},
		{[]string{"logs", "../x"}, "never have"},
		{[]string{"rm", "."}, "is a path"},
		{[]string{"inspect", "-o", "go-template", "--template", "{{.x"}, "invalid template"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.node()
			e.srv.ResetCalls()
			oneError(t, e.runArgs(tc.args...), tc.want)
			if calls := e.srv.Calls(); len(calls) > 0 {
				t.Errorf("RPCs made: %v", calls)
			}
		})
	}
}

// A template that reads a key the document does not have fails with one
// line naming the key (reliability matrix #39).
func TestTemplateMissingKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	oneError(t, e.run("inspect -o go-template --template {{.status.nosuch}} coredns"), "nosuch")
	oneError(t, e.run("pods -o go-template --template {{range.items}}{{.nope}}{{end}}"), "nope")
	// index on a missing map key fails the same way (reliability matrix #39)
	oneError(t, e.runArgs("inspect", "-o", "go-template", "--template", `{{index .status.labels "nosuch"}}`, "coredns"), `map has no key "nosuch"`)
}

// A missing socket is not retried, even with a long --timeout (no runtime
// will appear there in time); a socket that refuses at first (a runtime
// starting) is, and the command succeeds once it listens (reliability
// matrix #1, #2, #18).
func TestConnectRetries(t *testing.T) {
	t.Parallel()
	dir := crifake.ShortTempDir(t)
	e := &env{t: t, vars: map[string]string{"CRI_CONFIG_FILE": emptyConfig(t),
		"CONTAINER_RUNTIME_ENDPOINT": "unix://" + filepath.Join(dir, "none.sock")}}
	r := e.run("-D --timeout 10s version")
	if r.code != 1 || strings.Contains(r.stderr, "retrying") || !strings.Contains(r.stderr, "no such file or directory") {
		t.Errorf("missing socket with --timeout 10s: exit %d stderr %q", r.code, r.stderr)
	}

	srv := crifake.New()
	t.Cleanup(srv.Close)
	ep, listen, err := srv.ListenLate(dir)
	if err != nil {
		t.Fatal(err)
	}
	e.vars["CONTAINER_RUNTIME_ENDPOINT"] = ep
	time.AfterFunc(600*time.Millisecond, func() {
		if err := listen(); err != nil {
			t.Error(err)
		}
	})
	r = e.run("-D --timeout 10s version")
	if r.code != 0 || !strings.Contains(r.stderr, "retrying") || !strings.Contains(r.stdout, "RuntimeName") {
		t.Errorf("late socket: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
