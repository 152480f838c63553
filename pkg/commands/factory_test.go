package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
)

func TestDefaultEndpointProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "CONTAINER_RUNTIME_ENDPOINT")
	dir := crifake.ShortTempDir(t)
	missing := "unix://" + filepath.Join(dir, "none.sock")
	stale, stop, _ := crifake.StaleSocket(dir)
	t.Cleanup(stop)

	run := func(defaults ...string) result {
		var out, errOut strings.Builder
		f := e.factory(IOStreams{Out: &out, ErrOut: &errOut})
		f.DefaultEndpoints = defaults
		code := Run(context.Background(), f, []string{"crictl", "version"})
		return result{out.String(), errOut.String(), code}
	}
	if r := run(missing, stale, e.endpoint); r.code != 0 || r.stderr != "" {
		t.Errorf("probe with one live endpoint: exit %d, stderr %q (must be silent)", r.code, r.stderr)
	}
	r := run(missing, stale)
	oneError(t, r, "no runtime endpoint is configured", "none.sock: no such file", "connection refused", "--runtime-endpoint")
}

func TestImageServiceDialedOnlyWhenUsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.vars["IMAGE_SERVICE_ENDPOINT"] = "unix:///nonexistent/image.sock"
	for _, cmd := range []string{"pods", "ps -a", "inspect coredns", "version", "info"} {
		if r := e.run(cmd); r.code != 0 {
			t.Errorf("%s used the image endpoint: %q", cmd, r.stderr)
		}
	}
	oneError(t, e.run("images"), "unix:///nonexistent/image.sock", "no such file")
}

func TestOneConnectionForBothServices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	var out, errOut strings.Builder
	f := e.factory(IOStreams{Out: newOutWriter(&out), ErrOut: &errOut})
	app := newApp(f)
	if err := app.RunContext(context.Background(), []string{"crictl", "ps", "-r"}); err != nil {
		t.Fatal(err)
	}
	if f.runtime == nil || f.runtime != f.image {
		t.Errorf("ps -r used two connections for one endpoint")
	}
	f.Close()
}

func TestClosedPipeEndsQuietly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 3000 {
		e.srv.AddPod(crifake.KubeletPod("pod-"+strings.Repeat("x", 40)+string(rune('a'+i%26))+time.Duration(i).String(), "default", 0, ago(time.Hour), true))
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var errOut strings.Builder
	f := e.factory(IOStreams{Out: w, ErrOut: &errOut})
	if code := Run(context.Background(), f, []string{"crictl", "pods"}); code != 0 || errOut.String() != "" {
		t.Errorf("pods into a closed pipe: exit %d, stderr %q; want a quiet 0", code, errOut.String())
	}
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other, otherEP := crifake.Start(t)
	_ = other
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	os.WriteFile(cfg, []byte("# my node\nruntime-endpoint: "+otherEP+"\ntimeout: 5\n"), 0o600)
	e.vars["CRI_CONFIG_FILE"] = cfg

	// env beats the file
	e.srv.ResetCalls()
	e.ok("version")
	if len(e.srv.Calls()) != 1 {
		t.Errorf("CONTAINER_RUNTIME_ENDPOINT did not win over the file")
	}
	// the file beats the default
	delete(e.vars, "CONTAINER_RUNTIME_ENDPOINT")
	other.ResetCalls()
	e.ok("version")
	if len(other.Calls()) != 1 {
		t.Errorf("the file's runtime-endpoint was not used")
	}
	// the flag beats everything
	e.vars["CONTAINER_RUNTIME_ENDPOINT"] = otherEP
	e.srv.ResetCalls()
	e.ok("-r " + e.endpoint + " version")
	if len(e.srv.Calls()) != 1 {
		t.Errorf("-r did not win")
	}
}

func TestConfigFileErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	os.WriteFile(cfg, []byte("runtime-endpoint: unix:///x\ntimeout: soon\n"), 0o600)
	e.vars["CRI_CONFIG_FILE"] = cfg
	oneError(t, e.run("pods"), cfg+":2", "timeout")
	// completion needs no config
	if r := e.run("completion bash"); r.code != 0 {
		t.Errorf("completion failed on a broken config: %q", r.stderr)
	}
	e.vars["CRI_CONFIG_FILE"] = filepath.Join(t.TempDir(), "missing.yaml")
	oneError(t, e.run("pods"), "missing.yaml")
}

func TestDebugRedacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.StatusInfo = map[string]string{"config": `{"registry":{"configs":{"reg.example":{"auth":{"username":"u","password":"canary-pw"}}}},"sandboxImage":"p"}`}
	r := e.run("-D info -o json")
	if r.code != 0 {
		t.Fatalf("info -D: %q", r.stderr)
	}
	if !strings.Contains(r.stderr, "debug: Status request") {
		t.Errorf("-D printed no request: %q", r.stderr)
	}
	if strings.Contains(r.stderr, "canary-pw") {
		t.Errorf("-D leaked a password: %q", r.stderr)
	}
}

// A config file the reference accepts is accepted: keys crictl does not
// know and keys set twice give one warning line each, naming the file and
// lines; the command runs.
func TestConfigFileWarnings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	content := "runtime-endpoint: " + e.endpoint + "\ntimeout: 5\nfuture-key: x\ntimeout: 3\n"
	if err := os.WriteFile(cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars["CRI_CONFIG_FILE"] = cfg
	delete(e.vars, "CONTAINER_RUNTIME_ENDPOINT")
	r := e.run("version")
	want := "crictl: warning: " + cfg + `:3: no configuration option named "future-key" (valid keys: runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create, disable-pull-on-run, max-retries, read-only, allow-remote-stream); it is ignored` + "\n" +
		"crictl: warning: " + cfg + ": timeout is set on lines 2, 4; the last one counts\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("exit %d stderr\n%s\nwant\n%s", r.code, r.stderr, want)
	}
	if got := e.run("config --get timeout"); got.stdout != "3\n" || strings.Count(got.stderr, "warning") != 2 {
		t.Errorf("config --get timeout: %q, stderr %q; want the last value and the warnings once", got.stdout, got.stderr)
	}
	// Not YAML at all stays an error naming the file and line.
	if err := os.WriteFile(cfg, []byte("timeout: 3\n  : : [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = e.run("version")
	if r.code != 1 || !strings.Contains(r.stderr, cfg+":2: invalid YAML") {
		t.Errorf("malformed file: exit %d stderr %q", r.code, r.stderr)
	}
}

// --host-root: the default endpoints and the host's config file are read
// under the root.
func TestHostRootEndpoints(t *testing.T) {
	t.Parallel()
	root := crifake.ShortTempDir(t)
	srv := crifake.New()
	t.Cleanup(srv.Close)
	sockDir := filepath.Join(root, "run", "containerd")
	if err := os.MkdirAll(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ListenUnix(sockDir); err != nil {
		t.Fatal(err)
	}
	run := func(defaults []string, args ...string) result {
		var out, errOut strings.Builder
		f := testFactory(IOStreams{Out: &out, ErrOut: &errOut}, nil)
		f.DefaultEndpoints = defaults
		code := Run(context.Background(), f, append([]string{"crictl", "--host-root", root}, args...))
		return result{out.String(), errOut.String(), code}
	}
	// A default endpoint, as the host names it.
	if r := run([]string{"unix:///run/none.sock", "unix:///run/containerd/cri.sock"}, "version"); r.code != 0 || !strings.Contains(r.stdout, "fakeruntime") {
		t.Errorf("default endpoint under the host root: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// The host's /etc/crictl.yaml, and the endpoint it names.
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "crictl.yaml"), []byte("runtime-endpoint: unix:///run/containerd/cri.sock\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(nil, "version"); r.code != 0 || !strings.Contains(r.stdout, "fakeruntime") {
		t.Errorf("the host's config under the host root: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// A missing directory: a usage error before anything else.
	var out, errOut strings.Builder
	code := Run(context.Background(), testFactory(IOStreams{Out: &out, ErrOut: &errOut}, nil), []string{"crictl", "--host-root", filepath.Join(root, "nowhere"), "version"})
	oneError(t, result{out.String(), errOut.String(), code}, "--host-root", "nowhere")
}
