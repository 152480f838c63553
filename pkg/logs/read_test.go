package logs

import (
	"path/filepath"
	"testing"
)

// StreamNames keeps which stream a line came from, after the timestamp.
func TestStreamNames(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"),
		cri(at(0), "stdout", "P", "par")+cri(at(0), "stderr", "F", "oops")+cri(at(1), "stdout", "F", "tial"))
	r := readOpts(t, p, Options{Tail: -1, Timestamps: true, StreamNames: true})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := "2026-01-02T03:04:05.000000000Z stdout partial\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	if want := "2026-01-02T03:04:05.000000000Z stderr oops\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}
