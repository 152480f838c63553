package harness

import (
	"os"
	"testing"
)

// StatFields starts after the command name, whatever it holds; this
// process is running and started after boot.
func TestStatFields(t *testing.T) {
	f, err := StatFields(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(f) < 20 || f[0] != "R" && f[0] != "S" {
		t.Fatalf("fields %q", f)
	}
	if startTime(os.Getpid()) == 0 || processStopped(os.Getpid()) {
		t.Errorf("startTime %d, stopped %v", startTime(os.Getpid()), processStopped(os.Getpid()))
	}
	if _, err := StatFields(-1); err == nil {
		t.Error("no error for a process that does not exist")
	}
}
