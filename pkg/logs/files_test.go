package logs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crictl/crictl/pkg/hostroot"
)

// Through a Source.Dir (a host root), the chain reads the live file and its
// rotated siblings by name, and a sibling that is a link out of the
// directory is skipped with a warning that gives no content.
func TestSourceDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := filepath.Join(root, "var", "log", "pods", "ns_pod_uid", "ctr")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeGz(t, filepath.Join(dir, "0.log.20260101-000000.gz"), numbered(0, 3, "stdout"))
	writeFile(t, filepath.Join(dir, "0.log.20260101-000001"), numbered(3, 6, "stdout"))
	writeFile(t, filepath.Join(dir, "0.log.20260101-000001.tmp"), "garbage\n")
	writeFile(t, filepath.Join(dir, "0.log"), numbered(6, 9, "stdout"))
	secret := filepath.Join(root, "etc", "shadow")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, secret, cri(at(2), "stdout", "F", "SECRET-CANARY"))
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "0.log.20260101-000002")); err != nil {
		t.Fatal(err)
	}
	r, err := hostroot.New(root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.LogDir("/var/log/pods/ns_pod_uid/ctr/0.log")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out, warn bytes.Buffer
	src := Source{Path: "/var/log/pods/ns_pod_uid/ctr/0.log", Dir: d}
	if err := ReadMany(context.Background(), []Source{src}, Options{Tail: 7}, &out, &out, &warn); err != nil {
		t.Fatal(err)
	}
	if out.String() != want(2, 9) {
		t.Errorf("tail 7 through the Dir:\n%s\nwant\n%s", out.String(), want(2, 9))
	}
	if !strings.Contains(warn.String(), "is a symbolic link; rotated logs never are") || strings.Contains(warn.String()+out.String(), "SECRET-CANARY") {
		t.Errorf("warnings %q, output %q", warn.String(), out.String())
	}
	// The live file itself must pass the Dir's rules.
	if err := os.Remove(filepath.Join(dir, "0.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/shadow", filepath.Join(dir, "0.log")); err != nil {
		t.Fatal(err)
	}
	err = ReadMany(context.Background(), []Source{src}, all(), &out, &out, &warn)
	if err == nil || !strings.Contains(err.Error(), "outside its directory") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("a live log linked out of its directory: %v", err)
	}
}
