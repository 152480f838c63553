package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
