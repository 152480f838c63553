package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/crictl/crictl/test/e2e/harness"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// streamPod is a pod of the streaming tests, in its own namespace: a shell
// to exec into, busybox httpd on port 8080 and a container that reads one
// line from its stdin (for attach).
type streamPod struct {
	pod                *harness.Pod
	shell, web, reader *harness.Container
}

// streamPods holds the stream pod of each runtime's environment (the tests
// run once per runtime).
var streamPods sync.Map // *harness.Env -> *streamPodOnce

type streamPodOnce struct {
	once sync.Once
	pod  *streamPod
	err  error
}

func streamFixture(t *testing.T, env *harness.Env) *streamPod {
	t.Helper()
	v, _ := streamPods.LoadOrStore(env, &streamPodOnce{})
	f := v.(*streamPodOnce)
	f.once.Do(func() { f.pod, f.err = makeStreamPod(env) })
	if f.err != nil {
		t.Fatalf("stream pod: %v", f.err)
	}
	return f.pod
}

func makeStreamPod(env *harness.Env) (*streamPod, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := &streamPod{}
	var err error
	if p.pod, err = env.RunPod(ctx, harness.PodSpec{Name: "stream-pod", Namespace: "e2e-stream"}); err != nil {
		return nil, err
	}
	if p.shell, err = env.StartContainer(ctx, p.pod, harness.ContainerSpec{Name: "shell"}); err != nil {
		return nil, err
	}
	p.web, err = env.StartContainer(ctx, p.pod, harness.ContainerSpec{Name: "web",
		Script: `busybox mkdir -p /www && echo hello-from-pod > /www/index.html && exec busybox httpd -f -p 8080 -h /www`})
	if err != nil {
		return nil, err
	}
	p.reader, err = env.StartContainer(ctx, p.pod, harness.ContainerSpec{Name: "reader",
		Script: `read x; echo "got $x"; exit 7`, Stdin: true, StdinOnce: true})
	if err != nil {
		return nil, err
	}
	for _, c := range []*harness.Container{p.shell, p.web, p.reader} {
		if _, err = env.WaitContainer(ctx, c.ID, runtimeapi.ContainerState_CONTAINER_RUNNING); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// crictlIn runs crictl -r ENDPOINT args with stdin.
func crictlIn(t *testing.T, env *harness.Env, stdin string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return runIO(t, nil, strings.NewReader(stdin), append([]string{"-r", env.Endpoint}, args...)...)
}

func TestExecSyncRealRuntime(t *testing.T) {
	env := needCommand(t, "exec")
	p := streamFixture(t, env)
	out, errOut, code := crictl(t, env, "exec", "-s", p.shell.ID, "sh", "-c", "printf 'out\\nno newline'; echo err >&2; exit 3")
	if code != 3 || out != "out\nno newline" || errOut != "err\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3, the command's stdout and stderr byte for byte", code, out, errOut)
	}
	out, errOut, code = crictl(t, env, "exec", "--sync", "--namespace", "e2e-stream", "--name", "shell", "-q", "echo", "-n", "hi")
	if code != 0 || out != "hi" || errOut != "" {
		t.Errorf("by filter: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestExecStreamingRealRuntime(t *testing.T) {
	env := needCommand(t, "exec")
	p := streamFixture(t, env)
	for _, tr := range []string{"spdy", "websocket"} {
		t.Run(tr, func(t *testing.T) {
			// Over WebSocket v4 the remote stdin cannot be closed, so the
			// command reads one line.
			out, errOut, code := crictlIn(t, env, "piped line\n", "exec", "-i", "-r", tr, "shell", "sh", "-c", `read x; echo "got $x"; echo e >&2; exit 4`)
			if code != 4 || out != "got piped line\n" || errOut != "e\n" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			out, _, code = crictlIn(t, env, "", "exec", "-r", tr, p.shell.ID[:12], "echo", "ok")
			if code != 0 || out != "ok\n" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
		})
	}
	// SPDY closes the remote stdin when crictl's ends.
	big := strings.Repeat("0123456789abcdef", 20000)
	out, errOut, code := crictlIn(t, env, big, "exec", "-i", "shell", "sh", "-c", "cat; echo end")
	if code != 0 || out != big+"end\n" {
		t.Errorf("cat: exit %d, %d bytes out, stderr %q", code, len(out), errOut)
	}
}

// ptyRun runs crictl with a pseudo-terminal of size rows x cols as its
// controlling terminal and returns the master (what the "user" types into
// and reads), the terminal and the running command.
func ptyRun(t *testing.T, env *harness.Env, rows, cols uint16, args ...string) (master, tty *os.File, cmd *exec.Cmd) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close(); tty.Close() })
	if err := pty.Setsize(master, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(crictlPath, append([]string{"-r", env.Endpoint}, args...)...)
	cmd.Env = crictlEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return master, tty, cmd
}

// screen collects what the terminal shows.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) read(r io.Reader) {
	b := make([]byte, 4096)
	for {
		n, err := r.Read(b)
		s.mu.Lock()
		s.buf.Write(b[:n])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; it shows %q", want, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(runTimeout):
		t.Fatal("crictl did not exit")
	}
	return -1
}

func termiosOf(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

func TestExecTTYRealRuntime(t *testing.T) {
	env := needCommand(t, "exec")
	p := streamFixture(t, env)
	// The process starts as the streams open, before the first size can
	// arrive (as with kubectl): it waits for a line before asking.
	master, tty, cmd := ptyRun(t, env, 33, 101, "exec", "-it", p.shell.ID, "sh", "-c", "echo ready; read x; busybox stty size; read y; busybox stty size; exit 5")
	before := termiosOf(t, tty)
	scr := &screen{}
	go scr.read(master)
	scr.waitFor(t, "ready")
	time.Sleep(100 * time.Millisecond)
	if _, err := master.Write([]byte("\r")); err != nil {
		t.Fatal(err)
	}
	// The container's terminal has crictl's size.
	scr.waitFor(t, "33 101")
	// A resize reaches it (SIGWINCH to crictl, as the terminal sends).
	if err := pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGWINCH)
	time.Sleep(200 * time.Millisecond)
	if _, err := master.Write([]byte("\r")); err != nil {
		t.Fatal(err)
	}
	scr.waitFor(t, "40 120")
	if code := exitCodeOf(t, cmd); code != 5 {
		t.Errorf("exit %d, want the command's 5; terminal: %q", code, scr.String())
	}
	if after := termiosOf(t, tty); after != before {
		t.Errorf("terminal not restored")
	}
}

func TestExecTTYDetachRealRuntime(t *testing.T) {
	env := needCommand(t, "exec")
	streamFixture(t, env)
	master, tty, cmd := ptyRun(t, env, 24, 80, "exec", "-it", "--namespace", "e2e-stream", "--name", "shell", "sh")
	before := termiosOf(t, tty)
	scr := &screen{}
	go scr.read(master)
	time.Sleep(300 * time.Millisecond)
	if _, err := master.Write([]byte("echo $((6*7))\r")); err != nil {
		t.Fatal(err)
	}
	scr.waitFor(t, "42")
	// Ctrl-C goes to the container's shell, not to crictl.
	if _, err := master.Write([]byte("\x03")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if cmd.ProcessState != nil {
		t.Fatal("Ctrl-C ended crictl")
	}
	if _, err := master.Write([]byte{0x10, 0x11}); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd); code != 0 {
		t.Errorf("detach: exit %d, terminal %q", code, scr.String())
	}
	scr.waitFor(t, "detached")
	if termiosOf(t, tty) != before {
		t.Error("terminal not restored")
	}
}

func TestAttachRealRuntime(t *testing.T) {
	env := needCommand(t, "attach")
	p := streamFixture(t, env)
	out, errOut, code := crictlIn(t, env, "hello\n", "attach", "-i", p.reader.ID)
	if code != 7 || !strings.Contains(out, "got hello\n") {
		t.Errorf("exit %d, stdout %q, stderr %q; want the container's exit code 7 and its answer", code, out, errOut)
	}
}

func TestPortForwardRealRuntime(t *testing.T) {
	env := needCommand(t, "port-forward")
	p := streamFixture(t, env)
	cmd := exec.Command(crictlPath, "-r", env.Endpoint, "port-forward", "--namespace", "e2e-stream", p.pod.Name, ":8080")
	cmd.Env = crictlEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lineC := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lineC <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lineC:
	case <-time.After(runTimeout):
		t.Fatalf("no Forwarding line; stderr %q", errOut.String())
	}
	m := regexp.MustCompile(`^Forwarding from 127\.0\.0\.1:(\d+) -> 8080\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q, stderr %q", line, errOut.String())
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var body []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("http://127.0.0.1:" + m[1] + "/index.html")
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET through the forwarded port: %v %q; stderr %q", err, body, errOut.String())
		}
		time.Sleep(200 * time.Millisecond) // httpd may still be starting
	}
	if string(body) != "hello-from-pod\n" {
		t.Errorf("body %q", body)
	}
	// Ctrl-C ends it with 0.
	_ = cmd.Process.Signal(os.Interrupt)
	if code := exitCodeOf(t, cmd); code != 0 {
		t.Errorf("exit %d after Ctrl-C; stderr %q", code, errOut.String())
	}
}

// TestExecInterruptRealRuntime: the first SIGINT ends a session blocked in
// the stream at once (the reference ignored it).
func TestExecInterruptRealRuntime(t *testing.T) {
	env := needCommand(t, "exec")
	p := streamFixture(t, env)
	cmd := exec.Command(crictlPath, "-r", env.Endpoint, "exec", p.shell.ID, "sleep", "60")
	cmd.Env = crictlEnv()
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	_ = cmd.Process.Signal(os.Interrupt)
	code := exitCodeOf(t, cmd)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the first SIGINT took %v to end the session", d)
	}
	if code != 1 || !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q", code, errOut.String())
	}
}
