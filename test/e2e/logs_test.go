package e2e

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// logsPod starts a pod of its own with the given containers and scripts.
func logsPod(t *testing.T, env *harness.Env, name string, scripts map[string]string) *harness.Pod {
	t.Helper()
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: name, Namespace: "e2e-logs", UID: harness.PodUID("e2e-logs", name), HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pod.ID) })
	for ctr, script := range scripts {
		if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: ctr, Script: script}); err != nil {
			t.Fatal(err)
		}
	}
	return pod
}

func TestLogsReal(t *testing.T) {
	env := needCommand(t, "logs")
	pod := logsPod(t, env, "logs-basic", map[string]string{
		"printer": `echo one; echo oops >&2; printf 'no newline yet'; sleep 0.2; echo ' done'; echo two; exec sleep 3600`,
	})
	c := pod.Containers[0]
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _, _ := crictl(t, env, "logs", "--namespace", "e2e-logs", "printer")
		if strings.Contains(out, "two") || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	out, errOut, code := crictl(t, env, "logs", "printer", "--namespace", "e2e-logs")
	if code != 0 || out != "one\nno newline yet done\ntwo\n" || errOut != "oops\n" {
		t.Errorf("logs: exit %d stdout %q stderr %q", code, out, errOut)
	}
	if out := mustCrictl(t, env, "logs", "--tail", "1", "--stream", "stdout", c.ID[:10]); out != "two\n" {
		t.Errorf("logs --tail 1 --stream stdout: %q", out)
	}
	out = mustCrictl(t, env, "logs", "-t", "--tail", "1", c.ID)
	if !strings.HasSuffix(out, "Z two\n") || len(out) != len("2006-01-02T15:04:05.000000000Z two\n") {
		t.Errorf("logs -t: %q", out)
	}
	if out := mustCrictl(t, env, "logs", "--since", "1h", "--stream", "stdout", c.ID); !strings.Contains(out, "one") {
		t.Errorf("logs --since 1h: %q", out)
	}
	if out := mustCrictl(t, env, "logs", "--until", "2000-01-01", c.ID); out != "" {
		t.Errorf("logs --until 2000-01-01: %q", out)
	}
}

func TestLogsPodMergedAndRotated(t *testing.T) {
	env := needCommand(t, "logs")
	pod := logsPod(t, env, "logs-pod", map[string]string{
		"a": `echo a1; sleep 0.5; echo a2; exec sleep 3600`,
		"b": `sleep 0.25; echo b1; sleep 0.5; echo b2; exec sleep 3600`,
	})
	time.Sleep(1500 * time.Millisecond)
	// The containers start one after the other, so check the merge by the
	// timestamps rather than by a fixed order.
	out := mustCrictl(t, env, "logs", "-t", "--pod", "logs-pod", "--namespace", "e2e-logs")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	var got []string
	prev := ""
	for _, l := range lines {
		ts, rest, _ := strings.Cut(l, " ")
		if ts < prev {
			t.Errorf("logs --pod: not in time order:\n%s", out)
		}
		prev = ts
		got = append(got, rest)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "[a] a1,[a] a2,[b] b1,[b] b2" {
		t.Errorf("logs --pod: %q", out)
	}
	// kubelet-style rotation: rename, then ask the runtime to reopen.
	var a *harness.Container
	for _, c := range pod.Containers {
		if c.Name == "a" {
			a = c
		}
	}
	if err := os.Rename(a.LogPath, a.LogPath+".20260101-000000"); err != nil {
		t.Fatal(err)
	}
	mustCrictl(t, env, "logs", "--reopen", "--tail", "5", a.ID)
	if out := mustCrictl(t, env, "logs", "--tail", "2", a.ID); out != "a1\na2\n" {
		t.Errorf("logs --tail across the rotated file: %q", out)
	}
}

func TestLogsFollowEndsWhenContainerExits(t *testing.T) {
	env := needCommand(t, "logs")
	pod := logsPod(t, env, "logs-follow", map[string]string{
		"short": `for i in 1 2 3; do echo line $i; sleep 0.3; done; exit 0`,
	})
	start := time.Now()
	out, errOut, code := crictl(t, env, "logs", "-f", pod.Containers[0].ID)
	if code != 0 || out != "line 1\nline 2\nline 3\n" {
		t.Errorf("logs -f: exit %d stdout %q stderr %q", code, out, errOut)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("logs -f took %v after the container exited", d)
	}
	if _, err := env.WaitContainer(ctxT(t), pod.Containers[0].ID, runtimeapi.ContainerState_CONTAINER_EXITED); err != nil {
		t.Fatal(err)
	}
}

func TestLogsFollowCtrlC(t *testing.T) {
	env := needCommand(t, "logs")
	pod := logsPod(t, env, "logs-ctrlc", map[string]string{"ticker": harness.TickScript("t")})
	cmd := exec.Command(crictlPath, "-r", env.Endpoint, "logs", "-f", pod.Containers[0].ID)
	cmd.Env = crictlEnv()
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("logs -f after Ctrl-C: %v, want exit 0", err)
		}
		if !strings.Contains(out.String(), "t tick 0") {
			t.Errorf("logs -f printed %q", out.String())
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("logs -f did not end on SIGINT")
	}
}

func TestLogsPreviousMissing(t *testing.T) {
	env := needCommand(t, "logs")
	c := samples.Container("migrate")
	_, errOut, code := crictl(t, env, "logs", "-p", c.ID)
	if code != 1 || !strings.Contains(errOut, "no previous log") {
		t.Errorf("logs -p without a previous log file: exit %d stderr %q", code, errOut)
	}
	// The exited container's own log: its stdout and stderr lines.
	out, errOut, code := crictl(t, env, "logs", c.ID)
	if code != 0 || !strings.Contains(out, "migrate: connecting to db") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("logs of the exited container: exit %d %q %q", code, out, errOut)
	}
}
