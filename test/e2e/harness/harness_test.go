package harness_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var (
	samples *harness.Samples
	suite   = harness.Suite{Setup: func(ctx context.Context, env *harness.Env) (err error) {
		samples, err = env.SamplePods(ctx)
		return err
	}}
)

const helperEnv = "CRICTL_E2E_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "killed-run" {
		os.Exit(killedRunChild())
	}
	os.Exit(suite.Main(m))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSamplePodsListed(t *testing.T) {
	env := suite.Env(t)
	ctx := ctxT(t)
	resp, err := env.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*runtimeapi.PodSandbox{}
	for _, p := range resp.GetItems() {
		byID[p.GetId()] = p
	}
	if len(samples.Pods) != 7 {
		t.Fatalf("%d sample pods, want 7", len(samples.Pods))
	}
	for _, sp := range samples.Pods {
		p := byID[sp.ID]
		if p == nil {
			t.Errorf("sample pod %s/%s (%s) not listed", sp.Namespace, sp.Name, sp.ID)
			continue
		}
		if p.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			t.Errorf("pod %s: state %v", sp.Name, p.GetState())
		}
		md := p.GetMetadata()
		if md.GetName() != sp.Name || md.GetNamespace() != sp.Namespace || md.GetUid() != sp.UID {
			t.Errorf("pod %s: metadata %v", sp.Name, md)
		}
		if got := p.GetLabels()[harness.LabelPodNamespace]; sp.KubeletLabels && got != sp.Namespace {
			t.Errorf("pod %s: namespace label %q", sp.Name, got)
		} else if !sp.KubeletLabels && got != "" {
			t.Errorf("pod %s was made without kubelet labels but has %q", sp.Name, got)
		}
		want := filepath.Join(env.LogRoot, "pods", sp.Namespace+"_"+sp.Name+"_"+sp.UID)
		if sp.LogDir != want {
			t.Errorf("pod %s: log dir %s, want %s", sp.Name, sp.LogDir, want)
		}
	}
	if n := len(samples.InNamespace("kube-system")); n != 3 {
		t.Errorf("%d kube-system sample pods, want 3", n)
	}

	cresp, err := env.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ctrs := map[string]*runtimeapi.Container{}
	for _, c := range cresp.GetContainers() {
		ctrs[c.GetId()] = c
	}
	for _, sc := range samples.Containers() {
		c := ctrs[sc.ID]
		if c == nil {
			t.Errorf("sample container %s not listed", sc.Name)
			continue
		}
		want := runtimeapi.ContainerState_CONTAINER_RUNNING
		if sc.Name == "migrate" {
			want = runtimeapi.ContainerState_CONTAINER_EXITED
		}
		if c.GetState() != want || c.GetPodSandboxId() != sc.Pod.ID || c.GetMetadata().GetAttempt() != sc.Attempt {
			t.Errorf("container %s: state %v pod %.12s attempt %d", sc.Name, c.GetState(), c.GetPodSandboxId(), c.GetMetadata().GetAttempt())
		}
		if got := c.GetLabels()[harness.LabelContainerName]; sc.Pod.KubeletLabels != (got == sc.Name) {
			t.Errorf("container %s: container name label %q", sc.Name, got)
		}
	}
	st, err := env.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: samples.Container("migrate").ID})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetStatus().GetExitCode() != 3 {
		t.Errorf("migrate exit code %d, want 3", st.GetStatus().GetExitCode())
	}
	if st.GetStatus().GetLogPath() != samples.Container("migrate").LogPath {
		t.Errorf("migrate log path %s, want %s", st.GetStatus().GetLogPath(), samples.Container("migrate").LogPath)
	}
	b, err := os.ReadFile(samples.Container("migrate").LogPath)
	if err != nil || !strings.Contains(string(b), " stderr F error: dial tcp") {
		t.Errorf("migrate log: %q, %v", b, err)
	}
	waitLog(t, samples.Container("web").LogPath, "stdout F web tick ")
}

// waitLog waits until the CRI log file at path has a line containing s.
func waitLog(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log %s has no %q after 10s (%q, %v)", path, s, b, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSamplePodsIdempotent(t *testing.T) {
	env := suite.Env(t)
	again, err := env.SamplePods(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range again.Pods {
		if p.ID != samples.Pods[i].ID {
			t.Errorf("pod %s was made again: %.12s, was %.12s", p.Name, p.ID, samples.Pods[i].ID)
		}
	}
}

func TestImages(t *testing.T) {
	env := suite.Env(t)
	ctx := ctxT(t)
	ids := map[string]string{}
	for _, ref := range []string{env.PauseImage, env.AppImage} {
		resp, err := env.Images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil || resp.GetImage() == nil {
			t.Fatalf("image %s: %v, %v", ref, resp, err)
		}
		ids[ref] = resp.GetImage().GetId()
	}
	resp, err := env.Images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: env.RegistryImage}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetImage() != nil {
		t.Errorf("%s is in the store before any pull", env.RegistryImage)
	}
}

func TestRegistryAuth(t *testing.T) {
	env := suite.Env(t)
	head := func(host, ref, user, pass string) (int, string) {
		req, _ := http.NewRequest(http.MethodHead, "http://"+host+"/v2/"+harness.RegistryRepo+"/manifests/"+ref, nil)
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Docker-Content-Digest")
	}
	for _, ref := range append(harness.RegistryTags, env.RegistryImageDigest) {
		if code, dg := head(env.Registry, ref, "", ""); code != 200 || dg != env.RegistryImageDigest {
			t.Errorf("open registry %s: %d %s", ref, code, dg)
		}
		if code, _ := head(env.AuthRegistry, ref, "", ""); code != 401 {
			t.Errorf("auth registry %s without credentials: %d, want 401", ref, code)
		}
		if code, _ := head(env.AuthRegistry, ref, env.RegistryUser, "wrong"); code != 401 {
			t.Errorf("auth registry %s with a wrong password: %d, want 401", ref, code)
		}
		if code, dg := head(env.AuthRegistry, ref, env.RegistryUser, env.RegistryPassword); code != 200 || dg != env.RegistryImageDigest {
			t.Errorf("auth registry %s with credentials: %d %s", ref, code, dg)
		}
	}
}

func TestPullThroughCRI(t *testing.T) {
	env := suite.Env(t)
	ctx := ctxT(t)
	pull := func(ref string, auth *runtimeapi.AuthConfig) (string, error) {
		resp, err := env.Images.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}, Auth: auth})
		return resp.GetImageRef(), err
	}
	remove := func(ref string) {
		if _, err := env.Images.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: ref}}); err != nil {
			t.Errorf("remove %s: %v", ref, err)
		}
	}
	byDigest := env.Registry + "/" + harness.RegistryRepo + "@" + env.RegistryImageDigest
	for _, ref := range []string{env.RegistryImage, byDigest} {
		id, err := pull(ref, nil)
		if err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
		remove(id)
	}
	authRef := env.AuthRegistry + "/" + harness.RegistryRepo + ":latest"
	// containerd 1.6 says "401 Unauthorized", 2.x "authorization failed:
	// no basic auth credentials"
	if _, err := pull(authRef, nil); err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthorized") && !strings.Contains(err.Error(), "authorization failed") {
		t.Errorf("pull %s without credentials: %v, want 401 Unauthorized", authRef, err)
	}
	id, err := pull(authRef, &runtimeapi.AuthConfig{Username: env.RegistryUser, Password: env.RegistryPassword})
	if err != nil {
		t.Fatalf("pull %s with credentials: %v", authRef, err)
	}
	remove(id)
	// the app image must have survived: it is a different image
	if resp, err := env.Images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: env.AppImage}}); err != nil || resp.GetImage() == nil {
		t.Errorf("app image gone after removing the pulled one: %v", err)
	}
}

func TestNetworks(t *testing.T) {
	env := suite.Env(t)
	ctx := ctxT(t)
	subnet := netip.MustParsePrefix(env.Subnet)
	for _, p := range samples.Pods {
		resp, err := env.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		ns := resp.GetStatus().GetLinux().GetNamespaces().GetOptions().GetNetwork()
		ip := resp.GetStatus().GetNetwork().GetIp()
		if p.HostNetwork {
			if ns != runtimeapi.NamespaceMode_NODE {
				t.Errorf("%s: network mode %v, want NODE", p.Name, ns)
			}
			continue
		}
		a, err := netip.ParseAddr(ip)
		if err != nil || !subnet.Contains(a) {
			t.Errorf("%s: pod IP %q not in %s", p.Name, ip, env.Subnet)
		}
	}
	out, err := exec.Command("ip", "-br", "addr", "show", "dev", env.Bridge).Output()
	if err != nil || !strings.Contains(string(out), subnet.Addr().Next().String()+"/") {
		t.Errorf("bridge %s: %q, %v", env.Bridge, out, err)
	}
}

func TestOwnPodLifecycle(t *testing.T) {
	env := suite.Env(t)
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "own-pod", Namespace: "e2e-harness-own"})
	if err != nil {
		t.Fatal(err)
	}
	defer env.RemovePod(ctx, pod.ID)
	c, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "own", Script: `echo hello; sleep 60`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.WaitContainer(ctx, c.ID, runtimeapi.ContainerState_CONTAINER_RUNNING); err != nil {
		t.Fatal(err)
	}
	waitLog(t, filepath.Join(env.LogRoot, "pods", "e2e-harness-own_own-pod_"+pod.UID, "own", "0.log"), "stdout F hello")
	if err := env.RemovePod(ctx, pod.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.ID}); err == nil {
		t.Error("pod still there after RemovePod")
	}
}

// killedRunChild is the test binary run by TestKilledRunIsSwept: it starts
// an environment of the runtime named by CRICTL_E2E_RUNTIME with a bridge pod
// and a host pod, says where, and waits to be killed.
func killedRunChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env, err := harness.Start(ctx, harness.Options{Runtime: harness.RuntimeKind(os.Getenv(harness.RuntimesEnvVar))})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	var pids []string
	for _, host := range []bool{false, true} {
		pod, err := env.RunPod(ctx, harness.PodSpec{Name: fmt.Sprintf("victim-%v", host), Namespace: "e2e-victim", HostNetwork: host})
		if err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		c, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "victim"})
		if err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		ps, err := env.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.ID, Verbose: true})
		if err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		cs, err := env.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ID, Verbose: true})
		if err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
		for _, info := range []string{ps.GetInfo()["info"], cs.GetInfo()["info"]} {
			var v struct{ Pid int }
			_ = json.Unmarshal([]byte(info), &v)
			pids = append(pids, fmt.Sprint(v.Pid))
		}
	}
	fmt.Println("READY", env.Dir, env.Bridge, strings.Join(pids, ","))
	// the parent kills this process; should it die first, do not linger
	time.Sleep(2 * time.Minute)
	_ = env.Close()
	return 1
}

func TestKilledRunIsSwept(t *testing.T) {
	env := suite.Env(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=killed-run", harness.RuntimesEnvVar+"="+string(env.Kind))
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "READY ") || strings.HasPrefix(l, "ERROR ") {
				lines <- l
				return
			}
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(3 * time.Minute):
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "READY" {
		t.Fatalf("child did not get ready: %q", line)
	}
	dir, bridge := f[1], f[2]
	pids := strings.Split(f[3], ",")
	t.Logf("child killed; its run: %s, bridge %s, pod pids %v", dir, bridge, pids)
	if len(procsNaming(dir)) == 0 || len(mountsUnder(dir)) == 0 {
		t.Fatalf("the killed child left nothing to sweep (procs %v, mounts %v)", procsNaming(dir), mountsUnder(dir))
	}

	// the hard case: containerd dies too, so the sweep cannot use the CRI
	// and must kill the shims and containers and unmount by itself
	for _, p := range procsNaming(filepath.Join(dir, "config.toml")) {
		pid, _ := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)

	if err := harness.Sweep("", t.Logf); err != nil {
		t.Fatalf("sweep: %v", err)
	}

	if p := procsNaming(dir); len(p) > 0 {
		t.Errorf("processes naming %s survived the sweep: %v", dir, p)
	}
	for _, pid := range pids {
		if b, err := os.ReadFile("/proc/" + pid + "/cmdline"); err == nil && len(b) > 0 {
			t.Errorf("pod process %s survived the sweep: %q", pid, b)
		}
	}
	if m := mountsUnder(dir); len(m) > 0 {
		t.Errorf("mounts under %s survived the sweep: %v", dir, m)
	}
	if err := exec.Command("ip", "link", "show", "dev", bridge).Run(); err == nil {
		t.Errorf("bridge %s survived the sweep", bridge)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s survived the sweep", dir)
	}
	if _, err := os.Stat(filepath.Join(harness.DefaultBaseDir, "claims", bridge+".json")); err == nil {
		t.Errorf("the claim of %s survived the sweep", bridge)
	}
	// the sweep must not have touched this binary's own, live environment
	resp, err := env.Runtime.Status(ctxT(t), &runtimeapi.StatusRequest{})
	if err != nil || len(resp.GetStatus().GetConditions()) == 0 {
		t.Errorf("own runtime after the sweep: %v", err)
	}
	if _, err := os.Stat(env.Dir); err != nil {
		t.Errorf("own run dir after the sweep: %v", err)
	}
}

// procsNaming lists the processes with an argument that contains s.
func procsNaming(s string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), s) && e.Name() != fmt.Sprint(os.Getpid()) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

func mountsUnder(dir string) []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}
