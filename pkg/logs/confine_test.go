package logs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfine(t *testing.T) {
	base := t.TempDir()
	pods := filepath.Join(base, "var/log/pods")
	podDir := filepath.Join(pods, "ns_web_uid")
	other := filepath.Join(base, "srv/logs/pod1")
	secret := filepath.Join(base, "etc/shadow")
	for _, d := range []string{filepath.Join(podDir, "app"), other, filepath.Dir(secret)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(podDir, "app/0.log"))
	write(filepath.Join(other, "c.log"))
	write(secret)
	link := func(target, name string) string {
		if err := os.Symlink(target, name); err != nil {
			t.Fatal(err)
		}
		return name
	}
	escape := link(secret, filepath.Join(podDir, "app/1.log"))
	inside := link(filepath.Join(podDir, "app/0.log"), filepath.Join(podDir, "app/current.log"))
	linkedDir := link(filepath.Join(base, "etc"), filepath.Join(podDir, "etcdir"))
	dangling := link(filepath.Join(base, "nowhere"), filepath.Join(podDir, "app/2.log"))

	ok := func(path string, allowed ...string) {
		t.Helper()
		if _, err := Confine(path, allowed...); err != nil {
			t.Errorf("Confine(%s): %v", path, err)
		}
	}
	refused := func(path, want string, allowed ...string) {
		t.Helper()
		_, err := Confine(path, allowed...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Confine(%s) = %v, want %q", path, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "x\n") {
			t.Errorf("the error shows file content")
		}
	}
	ok(filepath.Join(podDir, "app/0.log"), pods)
	ok(inside, pods)
	ok(filepath.Join(podDir, "app/9.log"), pods) // not written yet: its directory counts
	ok(filepath.Join(other, "c.log"), pods, other)
	refused(filepath.Join(other, "c.log"), "is outside "+pods+";", pods)
	refused(escape, "resolves to "+secret+", which is outside "+pods+" and "+podDir, pods, podDir)
	refused(filepath.Join(linkedDir, "shadow"), "resolves to "+secret, pods)
	refused(dangling, "symbolic link to nothing", pods)
	refused("relative/0.log", "not absolute", pods)
	_, err := Confine(escape, pods)
	var oe *OutsideError
	if !errors.As(err, &oe) || oe.Resolved != secret {
		t.Errorf("OutsideError: %#v", err)
	}
	// The resolved path is what to open.
	if got, _ := Confine(inside, pods); got != filepath.Join(podDir, "app/0.log") {
		t.Errorf("resolved %s", got)
	}
}
