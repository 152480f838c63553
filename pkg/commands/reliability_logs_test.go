package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// crictl logs reads a container's rotated files too, but never one that is
// a symbolic link: the live path is confined to the pod log directories,
// and a link planted beside it would lead anywhere (reliability matrix
// #53, #72).
func TestLogsRotatedLinkRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.logPod(t, "web-6")
	path := p.add(t, e, "app", 0, runtimeapi.ContainerState_CONTAINER_RUNNING, criLine(5, "stdout", "F", "live"))
	if err := os.WriteFile(path+".20260101-000000", []byte(criLine(1, "stdout", "F", "rotated")), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "other.log")
	if err := os.WriteFile(secret, []byte(criLine(2, "stdout", "F", "canary-outside")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, path+".20260101-000001"); err != nil {
		t.Fatal(err)
	}
	r := e.run("logs app")
	if r.code != 0 || r.stdout != "rotated\nlive\n" || strings.Contains(r.stderr, "canary") ||
		strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "warning: skipping rotated log: ") || !strings.Contains(r.stderr, "is a symbolic link") {
		t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
