package commands

import (
	"os"
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
