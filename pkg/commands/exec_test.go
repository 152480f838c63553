package commands

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestExecSync(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.SetExecSync(func(req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
		switch strings.Join(req.Cmd, " ") {
		case "ok":
			return &runtimeapi.ExecSyncResponse{Stdout: []byte("out\x00 no newline"), Stderr: []byte("warn\n")}, nil
		case "fail":
			return &runtimeapi.ExecSyncResponse{Stdout: []byte("partial\n"), Stderr: []byte("boom\n"), ExitCode: 3}, nil
		case "huge":
			return &runtimeapi.ExecSyncResponse{ExitCode: 256}, nil
		}
		return &runtimeapi.ExecSyncResponse{}, nil
	})
	r := e.run("exec -s nginx ok")
	if r.code != 0 || r.stdout != "out\x00 no newline" || r.stderr != "warn\n" {
		t.Errorf("ok: %+v", r)
	}
	r = e.run("exec --sync " + n.webC.Id[:8] + " fail")
	if r.code != 3 || r.stdout != "partial\n" || r.stderr != "boom\n" {
		t.Errorf("fail: %+v, want exit 3 with stdout kept", r)
	}
	if r := e.run("exec -s nginx huge"); r.code != 255 {
		t.Errorf("exit code 256 gave %d, want 255 (never 0)", r.code)
	}
	// --timeout reaches the runtime.
	e.srv.ResetCalls()
	e.run("exec -s --timeout 7 nginx ok")
	if req := e.srv.Requests("ExecSync")[0].(*runtimeapi.ExecSyncRequest); req.Timeout != 7 || req.ContainerId != n.webC.Id {
		t.Errorf("request %v", req)
	}
	// Only the calls needed: the name is resolved with one list pair.
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"ListContainers", "ListPodSandbox", "ExecSync"}) &&
		!slices.Equal(calls, []string{"ListPodSandbox", "ListContainers", "ExecSync"}) {
		t.Errorf("calls %v", calls)
	}
}

func TestExecSyncDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("ExecSync", crifake.Fault{Delay: 800 * time.Millisecond})
	// The call gets the global --timeout plus the exec --timeout.
	if r := e.run("--timeout 500ms exec -s --timeout 2 " + n.webC.Id + " x"); r.code != 0 {
		t.Errorf("ExecSync within 500ms+2s failed: %+v", r)
	}
	e.srv.ClearFaults()
	e.srv.Inject("ExecSync", crifake.Fault{Delay: 10 * time.Second})
	start := time.Now()
	oneError(t, e.run("--timeout 500ms exec -s --timeout 1 "+n.webC.Id+" x"), "ExecSync", "did not answer within 1.5s")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestExecCommandPassThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"exec", "-s", n.webC.Id, "sh", "-c", "echo -x"}, []string{"sh", "-c", "echo -x"}},
		{[]string{"exec", "-s", "nginx", "ls", "-l", "--all", "-s"}, []string{"ls", "-l", "--all", "-s"}},
		{[]string{"exec", "-s", "--name", "nginx", "--", "ls", "-l"}, []string{"ls", "-l"}},
		{[]string{"exec", "-s", "--name", "nginx", "--", "-x"}, []string{"-x"}},
		{[]string{"exec", "-s", "-q", "--name", "nginx", "ls", "--", "x"}, []string{"ls", "--", "x"}},
	} {
		e.srv.ResetCalls()
		if r := e.runArgs(tc.args...); r.code != 0 {
			t.Errorf("%q: %+v", tc.args, r)
			continue
		}
		reqs := e.srv.Requests("ExecSync")
		if len(reqs) != 1 || !slices.Equal(reqs[0].(*runtimeapi.ExecSyncRequest).Cmd, tc.want) {
			t.Errorf("%q: ExecSync requests %v, want one with %q", tc.args, reqs, tc.want)
		}
	}
}

func TestExecUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.ResetCalls()
	for _, tc := range []struct {
		cmd  string
		want string
	}{
		{"exec", "needs a container and a command"},
		{"exec nginx", "no command given"},
		{"exec -t nginx sh", "-t/--tty needs -i/--interactive"},
		{"exec -it nginx sh", "-t/--tty needs a terminal on stdin"},
		{"exec -s -i nginx sh", "--sync runs the command without stdin"},
		{"exec -s --timeout -1 nginx sh", "--timeout -1"},
		{"exec -r grpc nginx sh", `--transport "grpc": must be spdy or websocket`},
		{"exec --detach-keys ctrl-1 nginx sh", "--detach-keys"},
		{"exec --tls-cert c.pem nginx sh", "--tls-cert and --tls-key must be given together"},
		{"exec --tls-key k.pem nginx sh", "--tls-cert and --tls-key must be given together"},
		{"exec --tls-ca /nonexistent/ca.pem nginx sh", "--tls-ca"},
		{"exec -x --max-parallel 0 --name nginx sh", "--max-parallel 0"},
		{"exec --state maybe sh", "--state"},
		{"exec --label a sh", "--label"},
	} {
		oneError(t, e.run(tc.cmd), tc.want)
	}
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
}

func TestExecStreaming(t *testing.T) {
	t.Parallel()
	e, n, ss := streamEnv(t)
	for _, tr := range []string{"spdy", "websocket"} {
		// stdin piped in; the remote stdout and stderr kept apart, byte
		// for byte; the remote exit code is crictl's.
		e.stdin = "line one\nline two\n"
		r := e.runArgs("exec", "-i", "-r", tr, "nginx", "readline", "printf", "out", "stderr", "err\x00", "exit", "3")
		if r.code != 3 || r.stdout != "got line one\nout" || r.stderr != "err\x00" {
			t.Errorf("%s: %+v", tr, r)
		}
		e.stdin = ""
		if r := e.runArgs("exec", "--transport", tr, n.webC.Id, "echo", "hi"); r.code != 0 || r.stdout != "hi\n" || r.stderr != "" {
			t.Errorf("%s: %+v", tr, r)
		}
	}
	// SPDY half-closes stdin at its end.
	e.stdin = strings.Repeat("x", 200000)
	if r := e.run("exec -i nginx cat echo end"); r.code != 0 || r.stdout != e.stdin+"end\n" {
		t.Errorf("cat: exit %d, %d bytes, stderr %q", r.code, len(r.stdout), r.stderr)
	}
	e.stdin = ""
	// A failure to start the command is the runtime's message, exit 1.
	oneError(t, e.run("exec nginx fail no-such-binary"), "no-such-binary")
	if got := ss.Execs(); len(got) == 0 || got[0] != n.webC.Id {
		t.Errorf("exec'd into %v", got)
	}
}

func TestExecStreamTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.SetStreamURL("Exec", blackholeURL(t))
	start := time.Now()
	oneError(t, e.run("--timeout 300ms exec nginx sh"), "did not answer within 300ms")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a blackholed stream took %v with --timeout 300ms", d)
	}

	// Ctrl-C ends a session blocked in the stream at once.
	e2, _, _ := streamEnv(t)
	r := e2.start(strings.NewReader(""), false, "exec", "nginx", "sleep")
	waitUntil(t, "the session", func() bool { return len(e2.srv.Calls()) > 0 })
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	r.cancel()
	if code := r.wait(t, 2*time.Second); code != 1 || !strings.Contains(r.errOut.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Ctrl-C took %v", d)
	}
}

func TestExecWebSocketRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "websocket is not supported", http.StatusForbidden)
	}))
	t.Cleanup(hs.Close)
	e.srv.SetStreamURL("Exec", hs.URL+"/exec/x")
	oneError(t, e.run("exec -r websocket nginx sh"), "403 Forbidden", "websocket is not supported", "use --transport spdy")
	// A redirect is refused, not followed.
	e.srv.SetStreamURL("Attach", hs.URL+"/attach/x")
	hs.Config.Handler = http.RedirectHandler("http://198.51.100.7:10250/attach/y", http.StatusTemporaryRedirect)
	oneError(t, e.run("attach nginx"), "307", "redirects are refused")
}

func TestExecManyContainers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.SetExecSync(func(req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
		code := int32(0)
		switch req.ContainerId {
		case n.corednsC.Id:
			code = 4
		case n.proxyC.Id:
			code = 5
		}
		return &runtimeapi.ExecSyncResponse{Stdout: []byte("from " + req.ContainerId[:6] + "\n"), ExitCode: code}, nil
	})
	// Sequential, in list order (newest first), a header per container,
	// the first non-zero exit code.
	r := e.run("exec -s --namespace kube-system hostname")
	want := fmt.Sprintf("==> coredns (pod coredns-5d78c9869d-x2kqv, namespace kube-system, ID %s) <==\nfrom %s\n"+
		"==> kube-proxy (pod kube-proxy-xk2p9, namespace kube-system, ID %s) <==\nfrom %s\n",
		n.corednsC.Id[:13], n.corednsC.Id[:6], n.proxyC.Id[:13], n.proxyC.Id[:6])
	if r.code != 4 || r.stdout != want {
		t.Errorf("exit %d, stdout\n%s\nwant\n%s", r.code, r.stdout, want)
	}
	if !strings.Contains(r.stderr, "coredns") || !strings.Contains(r.stderr, "code 4") || !strings.Contains(r.stderr, "code 5") {
		t.Errorf("stderr %q", r.stderr)
	}
	// -q leaves out the headers; -e exits 0.
	if r := e.run("exec -s -q -e --namespace kube-system hostname"); r.code != 0 || strings.Contains(r.stdout, "==>") {
		t.Errorf("-q -e: %+v", r)
	}
	// Running containers only, by default.
	if out := e.ok("exec -s -q --pod web-5wpwzq2zt6-rg7jx hostname"); strings.Count(out, "from ") != 2 {
		t.Errorf("--pod selected %q", out)
	}
	// Nothing matched: one line, exit 1.
	oneError(t, e.run("exec -s --name nope hostname"), "No containers found per filter flags")
	// -i with several containers is refused after the list.
	e.srv.ResetCalls()
	oneError(t, e.run("exec -i --namespace kube-system sh"), "-i and -t work with one container", "2 match")
	for _, c := range e.srv.Calls() {
		if c == "Exec" {
			t.Errorf("Exec called for an ambiguous -i")
		}
	}
	// A crictl failure for one container (it is not running) gives 1.
	e.srv.ResetCalls()
	r = e.run("exec -s --name migrate --state exited hostname")
	if r.code != 1 || !strings.Contains(r.stderr, "migrate") || !strings.Contains(r.stderr, "EXITED") && !strings.Contains(r.stderr, "exited") {
		t.Errorf("exited container: %+v", r)
	}
}

// TestExecParallelBounded checks that --parallel runs at most
// --max-parallel sessions at once (and reaches it), that sequential runs
// one at a time, and that blocks of output never interleave.
func TestExecParallelBounded(t *testing.T) {
	t.Parallel()
	e, _, ss := streamEnv(t)
	pod := crifake.KubeletPod("many", "batch", 0, ago(time.Hour), true)
	e.srv.AddPod(pod)
	for i := 0; i < 6; i++ {
		e.srv.AddContainer(crifake.KubeletContainer(pod, fmt.Sprintf("worker-%d", i), 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Duration(i)*time.Minute)))
	}
	run := func(args ...string) (max int, out string) {
		r := e.start(strings.NewReader(""), false, args...)
		// Two sessions hold at once before any is let go: the bound is
		// reached, deterministically.
		waitUntil(t, "two sessions in flight", func() bool { now, _ := ss.InFlight(); return now == 2 })
		for {
			select {
			case code := <-r.done:
				if code != 0 {
					t.Fatalf("exit %d: %s", code, r.errOut.String())
				}
				_, max := ss.InFlight()
				return max, r.out.String()
			default:
			}
			if now, _ := ss.InFlight(); now > 0 {
				ss.Release()
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	max, out := run("exec", "-x", "--max-parallel", "2", "--namespace", "batch", "printf", "a\n", "hold", "printf", "b\n")
	if max != 2 {
		t.Errorf("--max-parallel 2: at most %d in flight", max)
	}
	blocks := strings.Split(out, "==> ")[1:]
	if len(blocks) != 6 {
		t.Fatalf("%d blocks:\n%s", len(blocks), out)
	}
	for _, b := range blocks {
		if !strings.HasSuffix(b, "<==\na\nb\n") {
			t.Errorf("block interleaved: %q", b)
		}
	}
}

func TestExecSequentialOneAtATime(t *testing.T) {
	t.Parallel()
	e, _, ss := streamEnv(t)
	pod := crifake.KubeletPod("many", "batch", 0, ago(time.Hour), true)
	e.srv.AddPod(pod)
	for i := 0; i < 3; i++ {
		e.srv.AddContainer(crifake.KubeletContainer(pod, fmt.Sprintf("worker-%d", i), 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Duration(i)*time.Minute)))
	}
	r := e.start(strings.NewReader(""), false, "exec", "-q", "--namespace", "batch", "hold", "echo", "x")
	for {
		select {
		case code := <-r.done:
			if _, max := ss.InFlight(); max != 1 || code != 0 || r.out.String() != "x\nx\nx\n" {
				t.Errorf("sequential: max in flight %d, exit %d, stdout %q", max, code, r.out.String())
			}
			return
		default:
		}
		if now, _ := ss.InFlight(); now > 0 {
			time.Sleep(30 * time.Millisecond)
			ss.Release()
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// exec, attach and port-forward connect only to this machine unless told
// otherwise: a runtime's stream URL is not trusted to send the session off
// the node (reliability matrix #59).
func TestStreamURLConfined(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, m := range []string{"Exec", "Attach", "PortForward"} {
		e.srv.SetStreamURL(m, "http://203.0.113.7:10010/"+strings.ToLower(m)+"/token")
	}
	for _, args := range [][]string{{"exec", "nginx", "ls"}, {"attach", "nginx"}, {"port-forward", "web-5wpwzq2zt6-rg7jx", "0:80"}} {
		r := e.runArgs(args...)
		if r.code != 1 || !strings.Contains(r.stderr, `points at "203.0.113.7", which is not this machine`) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	// Allowed by the flag: crictl then tries to connect (and, here, times out).
	r := e.runArgs("-t", "300ms", "exec", "--allow-remote-stream", "nginx", "ls")
	if r.code != 1 || strings.Contains(r.stderr, "not this machine") {
		t.Errorf("--allow-remote-stream: exit %d stderr %q", r.code, r.stderr)
	}
	// A local address of this machine is fine.
	e2 := newEnv(t)
	e2.node()
	e2.srv.SetStreamURL("Exec", "http://10.9.8.7:1/exec/x")
	f := e2.factory(IOStreams{Out: io.Discard, ErrOut: io.Discard})
	f.InterfaceAddrs = func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("10.9.8.7"), Mask: net.CIDRMask(8, 32)}}, nil
	}
	var errOut strings.Builder
	f.IO.ErrOut = &errOut
	Run(context.Background(), f, []string{"crictl", "-t", "300ms", "exec", "nginx", "ls"})
	if strings.Contains(errOut.String(), "not this machine") {
		t.Errorf("a local address was refused: %q", errOut.String())
	}
}
