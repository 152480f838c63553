package commands

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// logPod adds a pod with containers whose logs are files the test writes,
// in kubelet's layout.
type logPod struct {
	pod  *runtimeapi.PodSandbox
	dir  string
	ctrs map[string]*runtimeapi.Container
}

func (e *env) logPod(t *testing.T, name string) *logPod {
	t.Helper()
	p := &logPod{pod: crifake.KubeletPod(name, "default", 0, ago(time.Hour), true), dir: t.TempDir(), ctrs: map[string]*runtimeapi.Container{}}
	e.srv.AddPod(p.pod, crifake.WithPodLogDirectory(p.dir))
	return p
}

func (p *logPod) add(t *testing.T, e *env, name string, attempt uint32, state runtimeapi.ContainerState, lines ...string) string {
	t.Helper()
	c := crifake.KubeletContainer(p.pod, name, attempt, "docker.io/library/busybox:1.36", state, ago(time.Hour))
	path := filepath.Join(p.dir, name, fmt.Sprintf("%d.log", attempt))
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	e.srv.AddContainer(c, crifake.WithLogPath(path))
	p.ctrs[name] = c
	return path
}

func criLine(sec int, stream, tag, content string) string {
	return fmt.Sprintf("2026-01-02T03:04:%02d.000000000Z %s %s %s\n", sec, stream, tag, content)
}

func TestLogs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-1")
	run := runtimeapi.ContainerState_CONTAINER_RUNNING
	p.add(t, e, "app", 0, run,
		criLine(1, "stdout", "F", "one"),
		criLine(2, "stderr", "F", "warn \x1b[31mred"),
		criLine(3, "stdout", "P", "two-"),
		criLine(3, "stdout", "F", "joined"),
		criLine(5, "stdout", "F", "three"))
	p.add(t, e, "sidecar", 0, run,
		criLine(2, "stdout", "F", "side a"),
		criLine(4, "stdout", "F", "side b"))

	r := e.run("logs app")
	if r.code != 0 || r.stdout != "one\ntwo-joined\nthree\n" || r.stderr != "warn \x1b[31mred\n" {
		t.Errorf("logs app: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := e.ok("logs --tail 2 app"); got != "two-joined\nthree\n" {
		t.Errorf("--tail 2 (logical lines) = %q", got)
	}
	if r := e.run("logs --stream stderr --tail 1 app"); r.stdout != "" || r.stderr != "warn \x1b[31mred\n" {
		t.Errorf("--stream stderr --tail 1: %q %q", r.stdout, r.stderr)
	}
	if got := e.ok("logs -t --since 2026-01-02T03:04:03Z --stream stdout app"); got != "2026-01-02T03:04:03.000000000Z two-joined\n2026-01-02T03:04:05.000000000Z three\n" {
		t.Errorf("-t --since = %q", got)
	}
	if got := e.ok("logs app --until 2026-01-02T03:04:01Z --stream stdout"); got != "one\n" {
		t.Errorf("--until (flag after the argument) = %q", got)
	}
	// Every container of a pod, merged in time order, prefixed.
	want := "[app] one\n[sidecar] side a\n[app] two-joined\n[sidecar] side b\n[app] three\n"
	if r := e.run("logs --pod web-1"); r.code != 0 || r.stdout != want {
		t.Errorf("logs --pod: exit %d\n%s\nwant\n%s(stderr %q)", r.code, r.stdout, want, r.stderr)
	}
	if got := e.ok("logs --pod web-1 sidecar"); got != "side a\nside b\n" {
		t.Errorf("--pod narrowing a name = %q", got)
	}
	// By full ID: one ContainerStatus, and (the log is not under
	// /var/log/pods here) the pod's log directory: its container's pod,
	// then the pod's verbose status.
	e.srv.ResetCalls()
	e.ok("logs --stream stdout " + p.ctrs["app"].Id)
	if got := strings.Join(e.srv.Calls(), " "); got != "ContainerStatus ListContainers PodSandboxStatus" {
		t.Errorf("logs by full ID made RPCs %q", got)
	}
	e.srv.ResetCalls()
	if r := e.run("logs --reopen --stream stdout app"); r.code != 0 || r.stderr != "crictl: Container logs reopened\n" {
		t.Errorf("logs --reopen: exit %d, stderr %q", r.code, r.stderr)
	}
	if calls := e.srv.Calls(); !slices.Contains(calls, "ReopenContainerLog") || slices.Index(calls, "ReopenContainerLog") > slices.Index(calls, "ContainerStatus") {
		t.Errorf("--reopen did not reopen first: %v", calls)
	}
}

func TestLogsPreviousAndErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-2")
	exited := runtimeapi.ContainerState_CONTAINER_EXITED
	p.add(t, e, "app", 0, exited, criLine(1, "stdout", "F", "first life"))
	p.add(t, e, "app", 1, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(9, "stdout", "F", "second life"))
	if got := e.ok("logs app"); got != "second life\n" {
		t.Errorf("the running attempt should win: %q", got)
	}
	if got := e.ok("logs -p app"); got != "first life\n" {
		t.Errorf("--previous = %q", got)
	}
	p.add(t, e, "fresh", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(1, "stdout", "F", "x"))
	oneError(t, e.run("logs -p fresh"), "no previous log", "attempt 0")

	fifo := filepath.Join(p.dir, "fifo.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	c := crifake.KubeletContainer(p.pod, "piped", 0, "x", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour))
	e.srv.AddContainer(c, crifake.WithLogPath(fifo))
	start := time.Now()
	r := e.run("logs piped")
	if time.Since(start) > 5*time.Second || r.code != 1 || !strings.Contains(r.stderr, "not a regular file") && !strings.Contains(r.stderr, "FIFO") {
		t.Errorf("FIFO log: exit %d stderr %q", r.code, r.stderr)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"logs", "--pod POD"},
		{"logs a b", "one container"},
		{"logs --tail -5 app", "--tail -5"},
		{"logs --stream both app", "stdout or stderr"},
		{"logs --since yesterday app", "--since"},
		{"logs --since 2026-01-02 --until 2026-01-01 app", "before --since"},
		{"logs nosuch", `container "nosuch" not found`},
	} {
		oneError(t, e.run(tc.cmd), tc.want)
	}
}

func TestLogsFollow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-3")
	path := p.add(t, e, "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(1, "stdout", "F", "before"))

	var out, errOut bytes.Buffer
	f := e.factory(IOStreams{Out: &syncBuffer{b: &out}, ErrOut: &syncBuffer{b: &errOut}})
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), f, []string{"crictl", "logs", "-f", "app"}) }()
	time.Sleep(300 * time.Millisecond)
	fh, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fh.WriteString(criLine(2, "stdout", "F", "after"))
	fh.Close()
	time.Sleep(300 * time.Millisecond)
	stopContainer(t, e.endpoint, p.ctrs["app"].Id)
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "before\nafter\n") {
			t.Errorf("logs -f: exit %d stdout %q stderr %q", code, out.String(), errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("logs -f did not end after the container exited")
	}

	// Ctrl-C ends a follow with exit 0.
	p.add(t, e, "idle", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(1, "stdout", "F", "idle"))
	ctx, cancel := context.WithCancel(context.Background())
	f = e.factory(IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	go func() { done <- Run(ctx, f, []string{"crictl", "logs", "-f", "idle"}) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("Ctrl-C during logs -f: exit %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("logs -f did not end on cancel")
	}
}

func stopContainer(t *testing.T, endpoint, id string) {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+strings.TrimPrefix(endpoint, "unix://"),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", addr)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := runtimeapi.NewRuntimeServiceClient(conn).StopContainer(context.Background(), &runtimeapi.StopContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// A log path that leads out of the pod's log directory and /var/log/pods
// is refused, naming both paths and no content (reliability matrix #53);
// --allow-any-log-path reads it.
func TestLogsPathConfined(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-4")
	path := p.add(t, e, "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(1, "stdout", "F", "fine"))
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte(criLine(1, "stdout", "F", "canary-secret")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, path); err != nil {
		t.Fatal(err)
	}
	r := e.run("logs app")
	want := "log path " + path + " resolves to " + secret + ", which is outside /var/log/pods and " + p.dir
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "canary") {
		t.Errorf("exit %d stdout %q stderr %q, want %q", r.code, r.stdout, r.stderr, want)
	}
	if got := e.ok("logs --allow-any-log-path app"); got != "canary-secret\n" {
		t.Errorf("--allow-any-log-path: %q", got)
	}
}

// On a terminal, control characters in a log (CR, CRLF, escape sequences)
// are shown escaped; --raw, and any pipe, get the bytes as they are
// (reliability matrix #46, #65).
func TestLogsEscapedOnATerminal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-5")
	p.add(t, e, "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING,
		criLine(1, "stdout", "F", "progress 10%\rprogress 100%\r"), criLine(2, "stdout", "F", "\x1b]0;owned\x07title"))
	raw := "progress 10%\rprogress 100%\r\n\x1b]0;owned\x07title\n"
	if got := e.ok("logs app"); got != raw {
		t.Errorf("into a pipe: %q, want the bytes %q", got, raw)
	}
	e.outTTY = true
	got := e.ok("logs app")
	if strings.ContainsAny(got, "\r\x1b\x07") || !strings.Contains(got, "progress 10%") || strings.Count(got, "\n") != 2 {
		t.Errorf("on a terminal: %q", got)
	}
	if got := e.ok("logs --raw app"); got != raw {
		t.Errorf("--raw on a terminal: %q", got)
	}
}
