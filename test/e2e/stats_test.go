package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// runtimeName is "NAME VERSION" of the runtime, as crictl names a runtime
// that lacks a call.
func runtimeName(t *testing.T, env *harness.Env) string {
	t.Helper()
	v, err := env.Runtime.Version(ctxT(t), &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return v.GetRuntimeName() + " " + v.GetRuntimeVersion()
}

// implements reports whether the runtime answers a call (containerd 1.6
// lacks the metrics, events, RuntimeConfig and checkpoint calls).
func implements(t *testing.T, env *harness.Env, rpc string) bool {
	t.Helper()
	ctx := ctxT(t)
	var err error
	switch rpc {
	case "RuntimeConfig":
		_, err = env.Runtime.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
	case "ListMetricDescriptors":
		_, err = env.Runtime.ListMetricDescriptors(ctx, &runtimeapi.ListMetricDescriptorsRequest{})
	case "ListPodSandboxMetrics":
		_, err = env.Runtime.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
	case "GetContainerEvents":
		c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		var s runtimeapi.RuntimeService_GetContainerEventsClient
		if s, err = env.Runtime.GetContainerEvents(c, &runtimeapi.GetEventsRequest{}); err == nil {
			_, err = s.Recv()
		}
		if c.Err() != nil {
			return true // no answer before the deadline: the stream is open
		}
	default:
		t.Fatalf("implements: %s", rpc)
	}
	if err == nil {
		return true
	}
	return !strings.Contains(err.Error()+" ", "Unimplemented") && !strings.Contains(strings.ToLower(err.Error()+" "), "not implemented")
}

// background is a crictl that runs until it is interrupted.
type background struct {
	cmd         *exec.Cmd
	mu          sync.Mutex
	out, errOut bytes.Buffer
	done        chan error
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// startCrictl starts crictl -r ENDPOINT args in the background; the test
// ends it with interrupt (or it is killed when the test ends).
func startCrictl(t *testing.T, env *harness.Env, args ...string) *background {
	t.Helper()
	b := &background{done: make(chan error, 1)}
	b.cmd = exec.Command(crictlPath, append([]string{"-r", env.Endpoint}, args...)...)
	b.cmd.Env = crictlEnv()
	b.cmd.Stdout = lockedWriter{&b.mu, &b.out}
	b.cmd.Stderr = lockedWriter{&b.mu, &b.errOut}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() { _ = b.cmd.Process.Kill() })
	return b
}

func (b *background) stdout() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

// waitFor waits until what crictl printed satisfies ok, or fails t.
func (b *background) waitFor(t *testing.T, what string, ok func(stdout string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok(b.stdout()) {
		select {
		case err := <-b.done:
			b.done <- err
			t.Fatalf("crictl ended (%v) before %s; stdout:\n%s\nstderr: %s", err, what, b.stdout(), b.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s; stdout:\n%s\nstderr: %s", what, b.stdout(), b.errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// interrupt sends Ctrl-C and returns what crictl printed and its exit code.
func (b *background) interrupt(t *testing.T) (stdout, stderr string, code int) {
	t.Helper()
	_ = b.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		t.Fatal("crictl did not end on SIGINT")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String(), b.errOut.String(), b.cmd.ProcessState.ExitCode()
}

// rpcCount counts the requests of one RPC crictl -D logged.
func rpcCount(stderr, rpc string) int {
	return strings.Count(stderr, "debug: "+rpc+" request")
}

func TestStatsReal(t *testing.T) {
	env := needCommand(t, "stats")
	out, errOut, code := crictl(t, env, "-D", "stats", "--namespace", "kube-system")
	if code != 0 {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
	header, rows := table(t, out)
	wantHeader(t, header, "CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES", "SWAP", "POD", "NAMESPACE")
	if len(rows) != len(samples.InNamespace("kube-system")) {
		t.Errorf("rows %v, want one per running kube-system container", rows)
	}
	cpu, pod, ns := column(t, header, "CPU %"), column(t, header, "POD"), column(t, header, "NAMESPACE")
	for _, r := range rows {
		if _, err := strconv.ParseFloat(r[cpu], 64); err != nil || r[ns] != "kube-system" || samples.Pod(r[pod]) == nil {
			t.Errorf("row %v", r)
		}
	}
	// a second sample only without a rate from the runtime (containerd
	// gives one from its second stats call on, 1.6 as well); a document
	// needs one
	if n := rpcCount(errOut, "ListContainerStats"); n < 1 || n > 2 {
		t.Errorf("%d ListContainerStats calls", n)
	}
	out, errOut = mustCrictlD(t, env, "stats", "-o", "json", "--namespace", "default", "--name", "^web$")
	var doc struct {
		Stats []map[string]any `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Stats) != 1 || rpcCount(errOut, "ListContainerStats") != 1 {
		t.Errorf("stats -o json: %v %s", err, out)
	}
}

// mustCrictlD runs crictl -D and returns stdout and the debug lines.
func mustCrictlD(t *testing.T, env *harness.Env, args ...string) (string, string) {
	t.Helper()
	out, errOut, code := crictl(t, env, append([]string{"-D"}, args...)...)
	if code != 0 {
		t.Fatalf("crictl %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out, errOut
}

// A container that exits during stats -w leaves the table; on a pipe each
// refresh is a plain table block; Ctrl-C exits 0.
func TestStatsWatchContainerExits(t *testing.T) {
	env := needCommand(t, "stats")
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "stats-watch", Namespace: "e2e-stats", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pod.ID) })
	for _, name := range []string{"stays", "leaves"} {
		if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: name, Script: harness.TickScript(name)}); err != nil {
			t.Fatal(err)
		}
	}
	leaves := pod.Containers[1]
	b := startCrictl(t, env, "stats", "-w", "-s", "300ms", "--namespace", "e2e-stats")
	b.waitFor(t, "a first block", func(out string) bool { return strings.Contains(out, " leaves ") })
	if _, err := env.Runtime.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: leaves.ID, Timeout: 0}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "a block without the stopped container", func(out string) bool {
		blocks := strings.Split(strings.TrimSuffix(out, "\n"), "\n\n")
		last := blocks[len(blocks)-1]
		return strings.Contains(last, " stays ") && !strings.Contains(last, " leaves ")
	})
	out, errOut, code := b.interrupt(t)
	if code != 0 || errOut != "" || strings.Contains(out, "\x1b") {
		t.Errorf("exit %d stderr %q, escape codes: %v", code, errOut, strings.Contains(out, "\x1b"))
	}
}

// containerd 2 fails ListPodSandboxStats as a whole for a pod without a
// cgroup parent (kubelet always sets one): each pod is then asked on its
// own, every pod that answers is shown, and each that does not gets one
// line, exit 1.
func TestStatspPodsWithoutCgroupParent(t *testing.T) {
	env := needCommand(t, "statsp")
	ctx := ctxT(t)
	const ns = "e2e-statsp"
	var pods []*harness.Pod
	for _, spec := range []harness.PodSpec{
		{Name: "with-parent", Namespace: ns, HostNetwork: true},
		{Name: "no-parent", Namespace: ns, HostNetwork: true, NoCgroupParent: true},
	} {
		pod, err := env.RunPod(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pod.ID) })
		if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "app"}); err != nil {
			t.Fatal(err)
		}
		pods = append(pods, pod)
	}
	out, errOut, code := crictl(t, env, "statsp", "--namespace", ns)
	header, rows := table(t, out)
	wantHeader(t, header, "POD", "POD ID", "CPU %", "MEM", "NAMESPACE", "NET RX", "NET TX", "PIDS")
	var lines []string
	if errOut != "" {
		lines = strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	}
	if len(rows) == 0 || rows[0][0] != "with-parent" || len(rows)+len(lines) != len(pods) || (code == 1) != (len(lines) > 0) {
		t.Fatalf("exit %d, rows %v, stderr %q", code, rows, errOut)
	}
	if env.Kind == harness.Containerd2 && len(lines) != 1 {
		t.Errorf("containerd 2 answered for the pod without a cgroup parent: rows %v", rows)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "crictl: pod ") || !strings.Contains(l, "no-parent") || !strings.Contains(l, "("+ns+", ") || !strings.Contains(l, "cgroup") {
			t.Errorf("stderr line %q", l)
		}
	}
}
