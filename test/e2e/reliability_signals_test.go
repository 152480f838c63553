package e2e

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExecTTYSignalsRestoreTerminal: SIGTERM or SIGHUP from outside during
// an exec -it session against containerd end crictl at once, and the
// terminal is as it was before the session, not left raw (reliability
// matrix #22).
func TestExecTTYSignalsRestoreTerminal(t *testing.T) {
	env := needCommand(t, "exec")
	p := streamFixture(t, env)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			master, tty, cmd := ptyRun(t, env, 24, 80, "exec", "-it", p.shell.ID, "sh")
			before := termiosOf(t, tty)
			scr := &screen{}
			go scr.read(master)
			if _, err := master.Write([]byte("echo up-$((6*7))\r")); err != nil {
				t.Fatal(err)
			}
			scr.waitFor(t, "up-42")
			if tio := termiosOf(t, tty); tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
				t.Fatalf("the terminal is not raw during the session")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCodeOf(t, cmd); code != 1 {
				t.Errorf("exit %d after %v, want 1; terminal %q", code, sig, scr.String())
			}
			if after := termiosOf(t, tty); after != before {
				t.Errorf("terminal not restored after %v", sig)
			}
			// crictl wrote it before it exited; the reader may not have it yet
			scr.waitFor(t, "interrupted")
		})
	}
}
