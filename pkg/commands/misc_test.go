package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
)

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
	os.WriteFile(cfg, []byte("runtime-endpoint: unix:///x\nruntime_endpoint: y\n"), 0o600)
	e.vars["CRI_CONFIG_FILE"] = cfg
	oneError(t, e.run("pods"), cfg+":2", "runtime_endpoint")
	// completion needs no config
	if r := e.run("completion bash"); r.code != 0 {
		t.Errorf("completion failed on a broken config: %q", r.stderr)
	}
	e.vars["CRI_CONFIG_FILE"] = filepath.Join(t.TempDir(), "missing.yaml")
	oneError(t, e.run("pods"), "missing.yaml")
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sub", "crictl.yaml")
	e.vars["CRI_CONFIG_FILE"] = cfg

	if got := e.ok("config --get timeout"); got != "2\n" {
		t.Errorf("--get timeout on a missing file = %q, want the default 2", got)
	}
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Fatalf("config --get created the file")
	}
	e.ok("config --set runtime-endpoint=unix:///run/x.sock,timeout=10")
	e.ok("config debug true")
	data, _ := os.ReadFile(cfg)
	golden(t, "config/created", string(data))
	if fi, err := os.Stat(cfg); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode: %v %v", fi.Mode(), err)
	}
	os.WriteFile(cfg, []byte("# keep me\nruntime-endpoint: unix:///a.sock # and me\n\n# trailing\n"), 0o600)
	e.ok("config --set timeout=3s")
	data, _ = os.ReadFile(cfg)
	golden(t, "config/comments", string(data))
	list := e.ok("config --list")
	golden(t, "config/list", list)
	if strings.Contains(list, "\x1b") {
		t.Errorf("config --list wrote an escape sequence")
	}
	oneError(t, e.run("config --set debug=maybe"), "debug")
	oneError(t, e.run("config --get nosuchkey"), "nosuchkey")
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if out := e.ok("completion " + sh); !strings.Contains(out, "crictl __complete") {
			t.Errorf("completion %s does not call __complete", sh)
		}
	}
	oneError(t, e.run("completion tcsh"), "tcsh")
	check := func(words []string, want ...string) {
		t.Helper()
		r := e.runArgs(append([]string{"__complete"}, words...)...)
		out := r.stdout
		for _, w := range want {
			if !strings.Contains("\n"+out, "\n"+w+"\n") {
				t.Errorf("__complete %v: %q missing from\n%s", words, w, out)
			}
		}
	}
	check([]string{"insp"}, "inspect", "inspectp", "inspecti")
	check([]string{"ps", "--na"}, "--name", "--namespace")
	check([]string{"pods", "-o", ""}, "json", "yaml", "wide", "table", "go-template")
	check([]string{"inspect", ""}, "coredns", n.corednsC.Id)
	check([]string{"inspectp", "kube"}, "kube-proxy-xk2p9")
	check([]string{"inspecti", ""}, "docker.io/library/nginx:1.27")
	check([]string{"-D", "config", ""}, "timeout", "runtime-endpoint")
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

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	e := newEnv(t)
	e.node()
	var errOut strings.Builder
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: full, ErrOut: &errOut}, Now: testNowFunc, Getenv: func(k string) string { return e.vars[k] }}
	if code := Run(t.Context(), f, []string{"crictl", "pods"}); code != 1 || !strings.Contains(errOut.String(), "no space left on device") {
		t.Errorf("pods > /dev/full: exit %d stderr %q", code, errOut.String())
	}
}
