package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// These tests change state, so they work only on pods they make in their
// own namespaces; the sample pods are checked to be untouched.

// ownPod starts a host-network pod in namespace ns with containers running
// the given scripts ("" runs TickScript).
func ownPod(t *testing.T, env *harness.Env, ns, name string, scripts map[string]string) *harness.Pod {
	t.Helper()
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: name, Namespace: ns, HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pod.ID) })
	names := make([]string, 0, len(scripts))
	for n := range scripts {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: n, Script: scripts[n]}); err != nil {
			t.Fatal(err)
		}
	}
	return pod
}

func containerOf(pod *harness.Pod, name string) *harness.Container {
	for _, c := range pod.Containers {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func sortedLines(s string) []string {
	if s == "" {
		return nil
	}
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(l)
	return l
}

// samplesUntouched checks that every sample pod is still there and ready.
func samplesUntouched(t *testing.T, env *harness.Env) {
	t.Helper()
	resp, err := env.Runtime.ListPodSandbox(ctxT(t), &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ready := map[string]bool{}
	for _, p := range resp.GetItems() {
		ready[p.GetId()] = p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY
	}
	for _, p := range samples.Pods {
		if !ready[p.ID] {
			t.Errorf("sample pod %s/%s was stopped or removed", p.Namespace, p.Name)
		}
	}
}

func TestStopAndRmContainers(t *testing.T) {
	env := needCommand(t, "rm")
	const ns = "e2e-remove"
	pod := ownPod(t, env, ns, "rm-pod", map[string]string{"ticker": "", "keeper": "", "runner": ""})
	ticker := containerOf(pod, "ticker")

	// stop by name, narrowed to this namespace, with a grace period
	if out := mustCrictl(t, env, "stop", "-t", "5", "--namespace", ns, "ticker"); out != ticker.ID+"\n" {
		t.Errorf("stop: %q", out)
	}
	if _, err := env.WaitContainer(ctxT(t), ticker.ID, runtimeapi.ContainerState_CONTAINER_EXITED); err != nil {
		t.Fatal(err)
	}

	// rotations next to the log: regular files go, a symlink and a FIFO stay
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("keep me"), 0o600)
	rotated := []string{ticker.LogPath + ".20240101-000000", ticker.LogPath + ".20240101-000000.gz"}
	for _, p := range rotated {
		if err := os.WriteFile(p, []byte("old\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	link, fifo := ticker.LogPath+".20240102-000000", ticker.LogPath+".fifo"
	os.Symlink(secret, link)
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := crictl(t, env, "rm", "--pod", "rm-pod", "ticker")
	if code != 0 || out != ticker.ID+"\n" {
		t.Fatalf("rm: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.Count(errOut, "\n") != 2 || !strings.Contains(errOut, link+" alone: it is a symbolic link") || !strings.Contains(errOut, fifo+" alone: it is a FIFO") {
		t.Errorf("rm stderr %q: want one warning for the symlink and one for the FIFO", errOut)
	}
	for _, p := range append([]string{ticker.LogPath}, rotated...) {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s was not removed (%v)", p, err)
		}
	}
	for _, p := range []string{link, fifo, secret} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s is gone: %v", p, err)
		}
	}
	if b, _ := os.ReadFile(secret); string(b) != "keep me" {
		t.Errorf("the symlink's target changed: %q", b)
	}

	// a running container needs --force; --keep-logs keeps its log
	keeper := containerOf(pod, "keeper")
	if _, errOut, code := crictl(t, env, "rm", "--namespace", ns, "keeper"); code != 1 || !strings.Contains(errOut, "is running, please stop it first") {
		t.Errorf("rm of a running container: exit %d, stderr %q", code, errOut)
	}
	if out := mustCrictl(t, env, "rm", "-f", "-k", keeper.ID[:12]); out != keeper.ID+"\n" {
		t.Errorf("rm -f -k: %q", out)
	}
	if _, err := os.Stat(keeper.LogPath); err != nil {
		t.Errorf("rm -k removed the log: %v", err)
	}

	// stop -a narrowed to this namespace stops only our last container
	runner := containerOf(pod, "runner")
	if out := mustCrictl(t, env, "stop", "-a", "--namespace", ns); out != runner.ID+"\n" {
		t.Errorf("stop -a --namespace: %q", out)
	}
	samplesUntouched(t, env)
}

// TestBulkPodRemoval makes 30 pods, stops two by name, removes the stopped
// ones with rmp -a (the ready ones are refused), then the rest with -f.
func TestBulkPodRemoval(t *testing.T) {
	env := needCommand(t, "rmp")
	// 16 pods: enough for the fan-out (8 at a time) to run twice over
	const ns, n = "e2e-bulk", 16
	pods := make([]*harness.Pod, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	sem := make(chan struct{}, 6)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := env.RunPod(ctxT(t), harness.PodSpec{Name: fmt.Sprintf("bulk-%02d", i), Namespace: ns, HostNetwork: true})
			if err == nil {
				_, err = env.StartContainer(ctxT(t), p, harness.ContainerSpec{Name: "app"})
			}
			pods[i], errs[i] = p, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if pods[i] != nil {
			t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pods[i].ID) })
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	out := mustCrictl(t, env, "stopp", "--namespace", ns, "bulk-03", "bulk-07")
	if got, want := sortedLines(out), sortedLines("Stopped sandbox "+pods[3].ID+"\nStopped sandbox "+pods[7].ID+"\n"); !slices.Equal(got, want) {
		t.Errorf("stopp: %q", got)
	}
	out, errOut, code := crictl(t, env, "rmp", "-a", "--namespace", ns)
	if got, want := sortedLines(out), sortedLines("Removed sandbox "+pods[3].ID+"\nRemoved sandbox "+pods[7].ID+"\n"); code != 1 || !slices.Equal(got, want) {
		t.Errorf("rmp -a: exit %d, stdout %q", code, got)
	}
	if c := strings.Count(errOut, "is running, please stop it first"); c != n-2 || strings.Count(errOut, "\n") != n-2 {
		t.Errorf("rmp -a: %d refusals in stderr, want %d:\n%s", c, n-2, errOut)
	}
	// stopping a pod kills its processes: on a busy machine containerd may
	// need more than the default 2 s per call (CI saw "failed to kill
	// sandbox container: context deadline exceeded")
	out, errOut, code = crictl(t, env, "-t", "10s", "rmp", "-a", "-f", "--namespace", ns)
	if code != 0 || errOut != "" || len(sortedLines(out)) != n-2 {
		t.Errorf("rmp -a -f: exit %d, %d lines, stderr %q", code, len(sortedLines(out)), errOut)
	}
	resp, err := env.Runtime.ListPodSandbox(ctxT(t), &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetItems() {
		if p.GetMetadata().GetNamespace() == ns {
			t.Errorf("pod %s left", p.GetMetadata().GetName())
		}
	}
	if _, errOut, code := crictl(t, env, "rmp", "-a", "--namespace", ns); code != 0 || errOut != "crictl: No pods to remove\n" {
		t.Errorf("rmp -a with nothing left: exit %d, stderr %q", code, errOut)
	}
	samplesUntouched(t, env)
}

// pullViaCRI pulls ref without crictl and returns its image ID.
func pullViaCRI(t *testing.T, env *harness.Env, ref string) string {
	t.Helper()
	resp, err := env.Images.PullImage(ctxT(t), &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetImageRef()
}

func imagePresent(t *testing.T, env *harness.Env, ref string) bool {
	t.Helper()
	st, err := env.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil {
		t.Fatal(err)
	}
	return st.GetImage() != nil
}

func TestRmiPulledImage(t *testing.T) {
	env := needCommand(t, "rmi")
	id := pullViaCRI(t, env, env.RegistryImage)
	t.Cleanup(func() { _ = env.RemoveImageRef(ctxT(t), env.RegistryImage) })
	out, errOut, code := crictl(t, env, "rmi", strings.TrimPrefix(id, "sha256:")[:12], "no-such-image:1")
	if code != 1 || out != "Deleted: "+env.RegistryImage+"\n" || !strings.Contains(errOut, `no such image "no-such-image:1" present`) {
		t.Errorf("rmi: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if imagePresent(t, env, env.RegistryImage) {
		t.Error("the image is still there")
	}
	for _, ref := range []string{env.AppImage, env.PauseImage} {
		if !imagePresent(t, env, ref) {
			t.Errorf("%s was removed", ref)
		}
	}
}

// TestRmiPruneKeepsPause is the containerd 1.6 case where the reference
// deletes the sandbox image: it is not pinned and no pause container is
// listed. After the prune, runp still starts a pod.
func TestRmiPruneKeepsPause(t *testing.T) {
	env := needCommand(t, "rmi")
	pullViaCRI(t, env, env.RegistryImage)
	t.Cleanup(func() { _ = env.RemoveImageRef(ctxT(t), env.RegistryImage) })
	st, err := env.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: env.PauseImage}})
	if err != nil || st.GetImage() == nil {
		t.Fatalf("pause image: %v", err)
	}
	if st.GetImage().GetPinned() {
		t.Log("note: this runtime pins the pause image")
	}
	out, errOut, code := crictl(t, env, "rmi", "--prune")
	if code != 0 || !strings.Contains(out, "Deleted: "+env.RegistryImage+"\n") || strings.Contains(out, env.PauseImage) || strings.Contains(out, env.AppImage) {
		t.Errorf("rmi --prune: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !imagePresent(t, env, env.PauseImage) || !imagePresent(t, env, env.AppImage) {
		t.Fatal("prune removed the pause image or an image in use")
	}
	// a new pod needs the sandbox image
	if crictlCommands["runp"] {
		_, podPath := podFiles(t, env, "after-prune", "snake", env.AppImage, "exit 0")
		out, errOut, code := crictl(t, env, "runp", podPath)
		if code != 0 {
			t.Fatalf("runp after the prune: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if out := mustCrictl(t, env, "rmp", "-f", strings.TrimSpace(out)); !strings.HasPrefix(out, "Removed sandbox ") {
			t.Errorf("rmp -f of the new pod: %q", out)
		}
	} else {
		pod := ownPod(t, env, "e2e-prune", "after-prune", map[string]string{"app": ""})
		if _, err := env.WaitContainer(ctxT(t), pod.Containers[0].ID, runtimeapi.ContainerState_CONTAINER_RUNNING); err != nil {
			t.Errorf("a pod does not start after the prune: %v", err)
		}
	}
	samplesUntouched(t, env)
}

func TestUpdateReal(t *testing.T) {
	env := needCommand(t, "update")
	pod := ownPod(t, env, "e2e-update", "update-pod", map[string]string{"app": ""})
	c := pod.Containers[0]
	out, errOut, code := crictl(t, env, "update", "--cpu-share", "512", "--memory", "64Mi", "--namespace", "e2e-update", "app")
	if code != 0 || out != c.ID+"\n" {
		t.Fatalf("update: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if errOut != "" {
		t.Logf("update stderr: %s", errOut)
	}
	// the cgroup of the container holds the new limit
	st, err := env.Runtime.ContainerStatus(ctxT(t), &runtimeapi.ContainerStatusRequest{ContainerId: c.ID, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.GetInfo()["info"], `"limit":67108864`) {
		t.Errorf("the runtime spec does not show the 64Mi memory limit:\n%.2000s", st.GetInfo()["info"])
	}
	if _, errOut, code := crictl(t, env, "update", "--oom-score-adj", "x", c.ID); code != 1 || !strings.Contains(errOut, "x") {
		t.Errorf("update --oom-score-adj x: exit %d, stderr %q", code, errOut)
	}
}
