package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Read-only mode refuses every command that can change the node or a
// container, before any RPC, naming the setting that turned it on; read
// commands work as usual, and a flag cannot turn it off.
func TestReadOnlyMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	changing := [][]string{
		{"runp", "pod.yaml"}, {"create", "web", "c.yaml", "p.yaml"}, {"run", "c.yaml", "p.yaml"},
		{"start", "nginx"}, {"stop", "nginx"}, {"stopp", "web"}, {"rm", "nginx"}, {"rmp", "web"},
		{"rmi", "busybox"}, {"pull", "busybox"}, {"update", "--memory", "1G", "nginx"},
		{"exec", "nginx", "ls"}, {"exec", "-s", "nginx", "ls"}, {"attach", "nginx"}, {"port-forward", "web", "80"},
	}
	check := func(setting string, args []string) {
		t.Helper()
		r := e.runArgs(args...)
		name := args[0]
		if strings.HasPrefix(name, "-") {
			name = args[1]
		}
		want := "crictl: " + name + " refused: read-only mode is on (" + setting + ")"
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q, want %q", args, r.code, r.stdout, r.stderr, want)
		}
	}
	// The environment.
	e.vars["CRICTL_READ_ONLY"] = "1"
	for _, args := range changing {
		e.srv.ResetCalls()
		check("CRICTL_READ_ONLY=1", args)
		if calls := e.srv.Calls(); len(calls) > 0 {
			t.Errorf("%v made RPCs in read-only mode: %v", args, calls)
		}
	}
	check("CRICTL_READ_ONLY=1", []string{"--read-only=false", "rm", "nginx"})
	// Reading is fine.
	for _, cmdline := range []string{"ps -a", "pods", "images", "inspect nginx", "version", "create jsonschema -p"} {
		if r := e.run(cmdline); r.code != 0 {
			t.Errorf("%s in read-only mode: exit %d stderr %q", cmdline, r.code, r.stderr)
		}
	}
	// The config file, shown by config --list.
	delete(e.vars, "CRICTL_READ_ONLY")
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	if err := os.WriteFile(cfg, []byte("read-only: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars["CRI_CONFIG_FILE"] = cfg
	check("read-only: true in "+cfg, []string{"stopp", n.web.Id})
	check("read-only: true in "+cfg, []string{"--read-only=false", "stopp", n.web.Id})
	if out := e.ok("config --list"); !strings.Contains(out, "read-only              true") {
		t.Errorf("config --list does not show read-only:\n%s", out)
	}
	// The flag.
	e.vars["CRI_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none.yaml")
	os.WriteFile(e.vars["CRI_CONFIG_FILE"], nil, 0o600)
	check("--read-only", []string{"--read-only", "rmi", "-a"})
	if r := e.run("rmi -a"); r.code != 0 {
		t.Errorf("rmi -a without read-only mode: exit %d stderr %q", r.code, r.stderr)
	}
}

// Every command that can change the node says so in its descriptor.
func TestChangingCommandsAreMarked(t *testing.T) {
	want := map[string]bool{"runp": true, "create": true, "run": true, "start": true, "stop": true, "stopp": true,
		"rm": true, "rmp": true, "rmi": true, "pull": true, "update": true, "exec": true, "attach": true,
		"port-forward": true, "update-runtime-config": true, "checkpoint": true}
	for _, c := range registered {
		if c.changes != want[c.name] {
			t.Errorf("%s: changes = %v, want %v", c.name, c.changes, want[c.name])
		}
	}
}
