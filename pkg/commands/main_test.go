package commands

import (
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

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
	f := e.factory(IOStreams{Out: full, ErrOut: &errOut})
	if code := Run(t.Context(), f, []string{"crictl", "pods"}); code != 1 || !strings.Contains(errOut.String(), "no space left on device") {
		t.Errorf("pods > /dev/full: exit %d stderr %q", code, errOut.String())
	}
}

// A bundle or a watch collects garbage as a long-running program does,
// unless the user set GOGC. Not parallel: the GC percentage is the
// process's.
func TestLongRunningGC(t *testing.T) {
	old := debug.SetGCPercent(shortGCPercent)
	defer debug.SetGCPercent(old)
	for _, c := range []struct {
		gogc string
		want int
	}{{"", longGCPercent}, {"300", shortGCPercent}} {
		debug.SetGCPercent(shortGCPercent)
		f := &Factory{Getenv: func(k string) string {
			if k == "GOGC" {
				return c.gogc
			}
			return ""
		}}
		f.longRunning()
		if got := debug.SetGCPercent(shortGCPercent); got != c.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", c.gogc, got, c.want)
		}
	}
}
