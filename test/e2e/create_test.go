package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// createNS is the namespace of the pods these tests make.
const createNS = "e2e-create"

// crictlIO runs crictl -r ENDPOINT args with extra environment variables
// and stdin.
func crictlIO(t *testing.T, env *harness.Env, extraEnv []string, stdin string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return runIO(t, extraEnv, strings.NewReader(stdin), append([]string{"-r", env.Endpoint}, args...)...)
}

// podFiles writes a host-network pod config in the given style ("snake"
// or "camel") and a busybox container config, and returns their paths.
// The pod is removed when the test ends.
func podFiles(t *testing.T, env *harness.Env, name, style, image, script string) (ctrPath, podPath string) {
	t.Helper()
	uid := harness.PodUID(createNS, name)
	logDir := filepath.Join(env.LogRoot, "pods", createNS+"_"+name+"_"+uid)
	if err := os.MkdirAll(filepath.Join(logDir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	var pod, ctr string
	switch style {
	case "snake":
		pod = fmt.Sprintf(`metadata:
  name: %s
  namespace: %s
  uid: %s
log_directory: %s
labels: {e2e: create}
linux:
  security_context:
    namespace_options:
      network: 2
      pid: 1
`, name, createNS, uid, logDir)
		ctr = fmt.Sprintf(`metadata:
  name: app
image:
  image: %s
command: [/bin/sh, -c, %q]
envs:
  - {key: GREETING, value: "hello from %s"}
log_path: app/0.log
`, image, script, name)
	case "camel":
		pod = fmt.Sprintf(`{"metadata": {"name": %q, "namespace": %q, "uid": %q},
 "logDirectory": %q, "labels": {"e2e": "create"},
 "linux": {"securityContext": {"namespaceOptions": {"network": "NODE", "pid": "CONTAINER"}}}}`, name, createNS, uid, logDir)
		ctr = fmt.Sprintf(`{"metadata": {"name": "app"}, "image": {"image": %q},
 "command": ["/bin/sh", "-c", %q],
 "envs": [{"key": "GREETING", "value": "hello from %s"}],
 "logPath": "app/0.log"}`, image, script, name)
	default:
		t.Fatalf("style %q", style)
	}
	dir := t.TempDir()
	podPath, ctrPath = filepath.Join(dir, "pod-"+style), filepath.Join(dir, "ctr-"+style)
	for p, data := range map[string]string{podPath: pod, ctrPath: ctr} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { removePodsNamed(t, env, name) })
	return ctrPath, podPath
}

// removePodsNamed removes every pod of createNS called name.
func removePodsNamed(t *testing.T, env *harness.Env, name string) {
	t.Helper()
	for _, p := range podsNamed(t, env, name) {
		if err := env.RemovePod(ctxT(t), p.GetId()); err != nil {
			t.Errorf("removing pod %s: %v", name, err)
		}
	}
}

func podsNamed(t *testing.T, env *harness.Env, name string) []*runtimeapi.PodSandbox {
	t.Helper()
	resp, err := env.Runtime.ListPodSandbox(ctxT(t), &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*runtimeapi.PodSandbox
	for _, p := range resp.GetItems() {
		if p.GetMetadata().GetNamespace() == createNS && p.GetMetadata().GetName() == name {
			out = append(out, p)
		}
	}
	return out
}

// logLine waits until the container's log shows want.
func waitLog(t *testing.T, env *harness.Env, ctrID, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, _, _ := crictl(t, env, "logs", ctrID)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log of %s: %q, want %q", ctrID, out, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const greetScript = `echo "$GREETING"; trap 'exit 0' TERM; while :; do sleep 1; done`

// runp + create + start of a busybox container, with configs written in
// snake_case (the reference's spelling) and in camelCase with enum names
// (what inspect prints).
func TestRunpCreateStart(t *testing.T) {
	env := needCommand(t, "runp")
	for _, style := range []string{"snake", "camel"} {
		t.Run(style, func(t *testing.T) {
			name := "create-" + style
			ctrPath, podPath := podFiles(t, env, name, style, env.AppImage, greetScript)
			podID := strings.TrimSpace(mustCrictl(t, env, "runp", podPath))
			st, err := env.Runtime.PodSandboxStatus(ctxT(t), &runtimeapi.PodSandboxStatusRequest{PodSandboxId: podID})
			if err != nil || st.GetStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_READY ||
				st.GetStatus().GetLinux().GetNamespaces().GetOptions().GetNetwork() != runtimeapi.NamespaceMode_NODE {
				t.Fatalf("runp %s: pod %q status %v, %v", style, podID, st.GetStatus(), err)
			}
			// POD by name: the resolver finds the pod runp made.
			ctrID := strings.TrimSpace(mustCrictl(t, env, "create", name, ctrPath, podPath))
			if out := mustCrictl(t, env, "start", ctrID[:12]); out != ctrID+"\n" {
				t.Errorf("start printed %q, want %q", out, ctrID)
			}
			if _, err := env.WaitContainer(ctxT(t), ctrID, runtimeapi.ContainerState_CONTAINER_RUNNING); err != nil {
				t.Fatal(err)
			}
			waitLog(t, env, ctrID, "hello from "+name)
		})
	}
}

func TestRunpCreateErrors(t *testing.T) {
	env := needCommand(t, "runp")
	dir := t.TempDir()
	bad := filepath.Join(dir, "pod.yaml")
	os.WriteFile(bad, []byte("metadata: {name: x, namespace: y}\nlinux: {security_context: {namespace_options: {network: 9}}}\n"), 0o600)
	out, errOut, code := crictl(t, env, "runp", bad)
	if code != 1 || out != "" || !strings.Contains(errOut, bad+": .linux.security_context.namespace_options.network: 9 is not a NamespaceMode") {
		t.Errorf("runp with a bad enum: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// start goes on past a failure.
	_, errOut, code = crictl(t, env, "start", "no-such-container")
	if code != 1 || !strings.Contains(errOut, `container "no-such-container" not found`) {
		t.Errorf("start of a missing container: exit %d, stderr %q", code, errOut)
	}
}

// run pulls, makes the pod, creates and starts the container, and prints
// only the container's ID.
func TestRun(t *testing.T) {
	env := needCommand(t, "run")
	// Cleanups run last first: the image goes after the pod that uses it.
	t.Cleanup(func() { removeImage(t, env, env.RegistryImage) })
	ctrPath, podPath := podFiles(t, env, "run-ok", "snake", env.RegistryImage, greetScript)
	out := mustCrictl(t, env, "run", ctrPath, podPath)
	ctrID := strings.TrimSpace(out)
	if strings.Count(out, "\n") != 1 || len(ctrID) != 64 {
		t.Fatalf("run printed %q, want one container ID", out)
	}
	st, err := env.WaitContainer(ctxT(t), ctrID, runtimeapi.ContainerState_CONTAINER_RUNNING)
	if err != nil {
		t.Fatal(err)
	}
	if pods := podsNamed(t, env, "run-ok"); len(pods) != 1 || st.GetImage().GetImage() == "" {
		t.Errorf("pods %v, container image %v", pods, st.GetImage())
	}
	waitLog(t, env, ctrID, "hello from run-ok")
}

// When the container cannot start on the real runtime, run removes the
// pod it made and says so.
func TestRunRollback(t *testing.T) {
	env := needCommand(t, "run")
	ctrPath, podPath := podFiles(t, env, "run-rollback", "snake", env.AppImage, "unused")
	data, _ := os.ReadFile(ctrPath)
	data = bytes.Replace(data, []byte("command: [/bin/sh, -c"), []byte("command: [/no/such/binary, -c"), 1)
	os.WriteFile(ctrPath, data, 0o600)
	out, errOut, code := crictl(t, env, "run", "--no-pull", ctrPath, podPath)
	if code != 1 || out != "" || !strings.Contains(errOut, "starting the container") || !strings.Contains(errOut, "that run created was removed") {
		t.Errorf("run of a missing binary: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if pods := podsNamed(t, env, "run-rollback"); len(pods) != 0 {
		t.Errorf("run left its pod behind: %v", pods)
	}
}

func TestPullByTagAndDigest(t *testing.T) {
	env := needCommand(t, "pull")
	byDigest := env.Registry + "/" + harness.RegistryRepo + "@" + env.RegistryImageDigest
	t.Cleanup(func() { removeImage(t, env, env.RegistryImage) })
	for _, ref := range []string{env.RegistryImage, byDigest} {
		out := mustCrictl(t, env, "pull", ref)
		st, err := env.Images.ImageStatus(ctxT(t), &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil || st.GetImage() == nil || out != "Image is up to date for "+st.GetImage().GetId()+"\n" {
			t.Errorf("pull %s: printed %q; status %v, %v", ref, out, st.GetImage(), err)
		}
	}
}

func TestPullFailures(t *testing.T) {
	env := needCommand(t, "pull")
	missing := env.Registry + "/" + harness.RegistryRepo + ":no-such-tag"
	if out, errOut, code := crictl(t, env, "pull", missing); code != 1 || out != "" || !strings.Contains(errOut, "pulling image: "+missing) || !strings.Contains(errOut, "not found") {
		t.Errorf("pull of a missing tag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	private := env.AuthRegistry + "/" + harness.RegistryRepo + ":" + harness.RegistryTags[0]
	if _, errOut, code := crictl(t, env, "pull", private); code != 1 || !strings.Contains(errOut, "401 Unauthorized") || !strings.Contains(errOut, "the registry wants credentials") {
		t.Errorf("pull without credentials: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := crictl(t, env, "pull", "Bad/Reference"); code != 1 || !strings.Contains(errOut, "invalid reference format") {
		t.Errorf("pull of an invalid reference: exit %d, stderr %q", code, errOut)
	}
}

// Each way of giving credentials works against the basic-auth registry,
// and -D never shows the password.
func TestPullAuthSources(t *testing.T) {
	env := needCommand(t, "pull")
	ref := env.AuthRegistry + "/" + harness.RegistryRepo + ":" + harness.RegistryTags[0]
	userPass := env.RegistryUser + ":" + env.RegistryPassword
	dockerDir := t.TempDir()
	cfg := fmt.Sprintf(`{"auths": {"http://%s": {"auth": %q}}}`, env.AuthRegistry, base64.StdEncoding.EncodeToString([]byte(userPass)))
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		env   []string
		stdin string
		args  []string
	}{
		{name: "--creds", args: []string{"--creds", userPass}},
		{name: "--password-stdin", stdin: env.RegistryPassword + "\n", args: []string{"-u", env.RegistryUser, "--password-stdin"}},
		{name: "DOCKER_CONFIG", env: []string{"DOCKER_CONFIG=" + dockerDir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			removeImage(t, env, ref)
			args := append(append([]string{"-D", "pull"}, tc.args...), ref)
			out, errOut, code := crictlIO(t, env, tc.env, tc.stdin, args...)
			if code != 0 || !strings.HasPrefix(out, "Image is up to date for sha256:") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if strings.Contains(errOut, env.RegistryPassword) {
				t.Errorf("the password reached stderr: %q", errOut)
			}
		})
	}
	removeImage(t, env, ref)
}

// The documented example configs run as they are on containerd, but for
// the image (the test has no internet), the host directory mounted and the
// log directory (kept inside the test environment).
func TestDocExamplesRun(t *testing.T) {
	env := needCommand(t, "run")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctr, err := os.ReadFile(filepath.Join(root, "docs", "examples", "container.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pod, err := os.ReadFile(filepath.Join(root, "docs", "examples", "pod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctr = bytes.Replace(ctr, []byte("image: docker.io/library/busybox:1.36"), []byte("image: "+env.AppImage), 1)
	ctr = bytes.Replace(ctr, []byte("host_path: /tmp/busybox-data"), []byte("host_path: "+t.TempDir()), 1)
	pod = bytes.Replace(pod, []byte("log_directory: /var/log/pods/"), []byte("log_directory: "+env.LogRoot+"/pods/"), 1)
	if !bytes.Contains(pod, []byte(env.LogRoot)) {
		t.Fatal("the example's log_directory moved: update this test")
	}
	dir := t.TempDir()
	ctrPath, podPath := filepath.Join(dir, "container.yaml"), filepath.Join(dir, "pod.yaml")
	os.WriteFile(ctrPath, ctr, 0o600)
	os.WriteFile(podPath, pod, 0o600)

	out := mustCrictl(t, env, "run", "--no-pull", ctrPath, podPath)
	ctrID := strings.TrimSpace(out)
	st, err := env.Runtime.ContainerStatus(ctxT(t), &runtimeapi.ContainerStatusRequest{ContainerId: ctrID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := env.Runtime.ListContainers(ctxT(t), &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{Id: ctrID}})
	if err != nil || len(resp.GetContainers()) != 1 {
		t.Fatalf("ListContainers %s: %v %v", ctrID, resp, err)
	}
	t.Cleanup(func() { _ = env.RemovePod(ctxT(t), resp.GetContainers()[0].GetPodSandboxId()) })
	if st.GetStatus().GetMetadata().GetName() != "busybox" {
		t.Errorf("status %v", st.GetStatus())
	}
	waitLog(t, env, ctrID, "hello from busybox")
}
