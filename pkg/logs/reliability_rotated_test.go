package logs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A rotated sibling of the log that is a symbolic link is skipped with one
// warning naming it, never read: only the live path is confined to the pod
// log directories, and a pod that can write its log directory (a hostPath
// mount of /var/log) could otherwise plant 0.log.<time> pointing anywhere
// (reliability matrix #53, #72).
func TestRotatedSymlinkNotRead(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	secret := writeFile(t, filepath.Join(outside, "secret.log"), cri(at(0), "stdout", "F", "canary-outside"))
	gzSecret := filepath.Join(outside, "secret.log.gz")
	writeGz(t, gzSecret, cri(at(1), "stdout", "F", "canary-gz"))
	fifo := filepath.Join(outside, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, target string }{
		{"0.log.20260101-000000", secret},
		{"0.log.20260101-000001.gz", gzSecret},
		{"0.log.1", secret},
		{"0.log.20260101-000002", fifo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := logDir(t)
			writeFile(t, filepath.Join(d, "0.log.20251231-000000"), numbered(0, 2, "stdout"))
			if err := os.Symlink(tc.target, filepath.Join(d, tc.name)); err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, filepath.Join(d, "0.log"), numbered(2, 4, "stdout"))
			for _, opts := range []Options{all(), {Tail: 1000}} {
				r := readOpts(t, p, opts)
				if r.err != nil || r.stdout != want(0, 4) {
					t.Errorf("%+v: %v, stdout %q, want the real lines only", opts, r.err, r.stdout)
				}
				if strings.Count(r.warn, "\n") != 1 || !strings.Contains(r.warn, tc.name) || !strings.Contains(r.warn, "symbolic link") || strings.Contains(r.warn, "canary") {
					t.Errorf("%+v: warning %q, want one line naming %s as a symbolic link", opts, r.warn, tc.name)
				}
			}
		})
	}
}
