package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The read-only inventory commands against the real containerd, beyond
// the table shapes checked in cli_test.go.

func TestConfigFileDrivesCrictl(t *testing.T) {
	env := needCommand(t, "config")
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	base := []string{"--config", cfg}
	if out, errOut, code := run(t, append(base, "config", "--get", "timeout")...); code != 0 || out != "2\n" {
		t.Fatalf("config --get on a missing file: exit %d, %q %q", code, out, errOut)
	}
	if _, err := os.Stat(cfg); err == nil {
		t.Fatal("config --get created the file")
	}
	if _, errOut, code := run(t, append(base, "config", "--set", "runtime-endpoint="+env.Endpoint+",timeout=5")...); code != 0 {
		t.Fatalf("config --set: %s", errOut)
	}
	out, errOut, code := run(t, append(base, "pods", "--namespace", "kube-system", "-q")...)
	if code != 0 || strings.Count(out, "\n") != len(samples.InNamespace("kube-system")) {
		t.Errorf("pods through the config file: exit %d, %q %q", code, out, errOut)
	}
	// an unknown key (a newer crictl's) is a warning naming the line; a
	// known key with a bad value is an error naming it
	os.WriteFile(cfg, []byte("runtime-endpoint: "+env.Endpoint+"\nbogus: 1\n"), 0o600)
	_, errOut, code = run(t, append(base, "pods")...)
	if code != 0 || !strings.HasPrefix(errOut, "crictl: warning: "+cfg+`:2: no configuration option named "bogus"`) {
		t.Errorf("unknown key: exit %d, stderr %q; want a warning naming %s:2", code, errOut, cfg)
	}
	os.WriteFile(cfg, []byte("runtime-endpoint: "+env.Endpoint+"\ntimeout: soon\n"), 0o600)
	_, errOut, code = run(t, append(base, "pods")...)
	if code != 1 || !strings.Contains(errOut, cfg+":2") {
		t.Errorf("malformed config: exit %d, stderr %q; want an error naming %s:2", code, errOut, cfg)
	}
}

func TestInspectFormatsAndFlagOrder(t *testing.T) {
	env := needCommand(t, "inspect")
	web := samples.Container("web")
	if out := mustCrictl(t, env, "inspect", web.ID[:8], "-o", "go-template", "--template", "{{.status.metadata.name}} {{.info.sandboxID}}"); out != "web "+web.Pod.ID+"\n" {
		t.Errorf("inspect -o go-template: %q", out)
	}
	table := mustCrictl(t, env, "inspect", "-o", "table", "web")
	for _, want := range []string{"ID: " + web.ID, "Name: web", "State: CONTAINER_RUNNING", "Log Path: "} {
		if !strings.Contains(table, want) {
			t.Errorf("inspect -o table lacks %q:\n%s", want, table)
		}
	}
	if out := mustCrictl(t, env, "inspectp", samples.Pod("raw-pod").ID[:10], "-q", "-o", "yaml"); !strings.Contains(out, "namespace: e2e-raw") {
		t.Errorf("inspectp -o yaml of the pod without kubelet labels:\n%s", out)
	}
	// --namespace narrows a name to one pod.
	extra := samples.Pod("extra-agent-x7k2m")
	if extra != nil {
		out := mustCrictl(t, env, "inspect", "agent", "--namespace", "kube-system-extra", "-o", "go-template", "--template", "{{.status.labels}}")
		if !strings.Contains(out, extra.Name) {
			t.Errorf("inspect agent --namespace kube-system-extra: %q", out)
		}
	}
}

func TestImagesRepoFilter(t *testing.T) {
	env := needCommand(t, "images")
	repo := env.AppImage[:strings.LastIndex(env.AppImage, ":")]
	out := mustCrictl(t, env, "images", "-q", repo)
	if strings.Count(out, "\n") != 1 {
		t.Errorf("images %s: %q, want exactly the app image", repo, out)
	}
	if out := mustCrictl(t, env, "images", "-q", env.PauseImage); strings.Count(out, "\n") != 1 || strings.Contains(out, mustCrictl(t, env, "images", "-q", repo)) {
		t.Errorf("images %s: %q", env.PauseImage, out)
	}
	if out := mustCrictl(t, env, "inspecti", "-o", "go-template", "--template", "{{.status.repoTags}}", env.AppImage); !strings.Contains(out, env.AppImage) {
		t.Errorf("inspecti: %q", out)
	}
}

func TestCompletionOffersRealNames(t *testing.T) {
	env := needCommand(t, "completion")
	out := mustCrictl(t, env, "__complete", "inspect", "")
	for _, c := range samples.Containers() {
		if !strings.Contains(out, "\n"+c.Name+"\n") && !strings.HasPrefix(out, c.Name+"\n") {
			t.Errorf("completion of inspect lacks container %s", c.Name)
		}
	}
	if out := mustCrictl(t, env, "__complete", "inspectp", "kube-"); !strings.Contains(out, samples.Pod("raw-pod").Name) && !strings.Contains(out, "kube-proxy") {
		t.Errorf("completion of inspectp kube-: %q", out)
	}
	if out := mustCrictl(t, env, "completion", "bash"); !strings.Contains(out, "complete -o default -F _crictl crictl") {
		t.Errorf("completion bash: %q", out)
	}
}

// TestPipesAndFullDisk runs crictl under a shell: a reader that goes away
// ends crictl quietly with exit 0; a full disk is an error with exit 1.
func TestPipesAndFullDisk(t *testing.T) {
	env := needCommand(t, "ps")
	bin := crictlPath
	script := `set -o pipefail; CRI_CONFIG_FILE=/dev/null "$1" -r "$2" ps -a | head -c 1 >/dev/null; echo "pipe=$?"
CRI_CONFIG_FILE=/dev/null "$1" -r "$2" ps -a >/dev/full; echo "full=$?"`
	out, err := exec.Command("bash", "-c", script, "bash", bin, env.Endpoint).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "pipe=0") {
		t.Errorf("crictl ps | head: %q, want exit 0", s)
	}
	if !strings.Contains(s, "full=1") || !strings.Contains(s, "no space left on device") {
		t.Errorf("crictl ps >/dev/full: %q, want exit 1 and the error", s)
	}
}

// TestPermissionDenied runs crictl as nobody against the root-only socket.
func TestPermissionDenied(t *testing.T) {
	env := needCommand(t, "pods")
	// nobody must be able to run the binary: copy it out of the 0700 build dir.
	dir, err := os.MkdirTemp("", "crictl-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "crictl")
	data, err := os.ReadFile(crictlPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil || os.Chmod(dir, 0o755) != nil {
		t.Fatal(err)
	}
	// Even with a long --timeout, permission denied is not retried: -D
	// shows every retry, and there is none.
	for _, debug := range []bool{false, true} {
		args := []string{"-r", env.Endpoint, "--timeout", "10s", "pods"}
		if debug {
			args = append([]string{"-D"}, args...)
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = crictlEnv()
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("crictl as nobody: %v %s", err, out)
		}
		switch {
		case !strings.Contains(string(out), "permission denied"):
			t.Errorf("crictl as nobody: %q, want it to say permission denied", out)
		case !debug && strings.Count(string(out), "\n") != 1:
			t.Errorf("crictl as nobody: %q, want one line", out)
		case debug && strings.Contains(string(out), "retrying"):
			t.Errorf("permission denied was retried:\n%s", out)
		}
	}
}
