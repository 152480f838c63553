package commands

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// openPTY returns a pseudo-terminal of the given size: the master the test
// types into, and the terminal crictl gets as stdin.
func openPTY(t *testing.T, rows, cols uint16) (master, tty *os.File) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close(); tty.Close() })
	if err := pty.Setsize(master, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	return master, tty
}

func termios(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

func isRaw(tio unix.Termios) bool { return tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) == 0 }

func TestExecTTYSession(t *testing.T) {
	e, _, ss := streamEnv(t)
	master, tty := openPTY(t, 30, 100)
	before := termios(t, tty)
	if isRaw(before) {
		t.Fatal("the new terminal is raw already")
	}
	r := e.start(tty, true, "exec", "-it", "nginx", "tty", "readline", "size")
	waitUntil(t, "the session", func() bool { return strings.HasPrefix(r.out.String(), "tty\n") })
	if !isRaw(termios(t, tty)) {
		t.Error("the terminal is not raw during the session")
	}
	// Ctrl-C is a byte for the container, not an interrupt.
	master.Write([]byte("a\x03b\n"))
	waitUntil(t, "the line", func() bool { return strings.Contains(r.out.String(), "got a\x03b\n") })
	// The size on start, then on SIGWINCH.
	waitUntil(t, "the first size", func() bool { return strings.Contains(r.out.String(), "30 100\n") })
	pty.Setsize(master, &pty.Winsize{Rows: 40, Cols: 120})
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	waitUntil(t, "the new size", func() bool { return strings.Contains(r.out.String(), "40 120\n") })
	// The detach keys end the session with 0 and a message.
	master.Write([]byte{0x10, 0x11})
	if code := r.wait(t, 5*time.Second); code != 0 || !strings.Contains(r.errOut.String(), "detached (ctrl-p,ctrl-q)") {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if after := termios(t, tty); after != before {
		t.Errorf("terminal not restored:\nbefore %+v\nafter  %+v", before, after)
	}
	if sizes := ss.Sizes(); len(sizes) < 2 || sizes[0].Width != 100 || sizes[0].Height != 30 {
		t.Errorf("sizes seen by the runtime: %+v", sizes)
	}
}

func TestExecTTYCustomDetachKeys(t *testing.T) {
	e, _, _ := streamEnv(t)
	master, tty := openPTY(t, 24, 80)
	before := termios(t, tty)
	r := e.start(tty, true, "exec", "-it", "--detach-keys", "ctrl-x,x", "nginx", "tty", "size")
	waitUntil(t, "the session", func() bool { return strings.Contains(r.out.String(), "24 80\n") })
	// The default keys mean nothing now.
	master.Write([]byte{0x10, 0x11})
	time.Sleep(50 * time.Millisecond)
	master.Write([]byte{0x18, 'x'})
	if code := r.wait(t, 5*time.Second); code != 0 || !strings.Contains(r.errOut.String(), "detached (ctrl-x,x)") {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if termios(t, tty) != before {
		t.Error("terminal not restored")
	}
}

// TestExecTTYNoRawBeforeStream: a blackholed stream never switches the
// terminal to raw; the timeout ends it and the terminal is as before.
func TestExecTTYNoRawBeforeStream(t *testing.T) {
	e := newEnv(t)
	e.node()
	e.srv.SetStreamURL("Exec", blackholeURL(t))
	_, tty := openPTY(t, 24, 80)
	before := termios(t, tty)
	r := e.start(tty, true, "--timeout", "600ms", "exec", "-it", "nginx", "sh")
	time.Sleep(300 * time.Millisecond)
	if isRaw(termios(t, tty)) {
		t.Error("raw mode before the stream is up")
	}
	if code := r.wait(t, 3*time.Second); code != 1 || !strings.Contains(r.errOut.String(), "did not answer within 600ms") {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if termios(t, tty) != before {
		t.Error("terminal changed")
	}
}

// TestExecTTYRestoredOnCancelAndPanic: Ctrl-C from outside (SIGTERM
// cancels the context) and a panic while copying both restore the
// terminal.
func TestExecTTYRestoredOnCancelAndPanic(t *testing.T) {
	e, _, _ := streamEnv(t)
	_, tty := openPTY(t, 24, 80)
	before := termios(t, tty)
	r := e.start(tty, true, "exec", "-it", "nginx", "tty", "sleep")
	waitUntil(t, "the session", func() bool { return strings.Contains(r.out.String(), "tty\n") })
	if !isRaw(termios(t, tty)) {
		t.Fatal("not raw during the session")
	}
	r.cancel()
	if code := r.wait(t, 2*time.Second); code != 1 {
		t.Errorf("exit %d", code)
	}
	if termios(t, tty) != before {
		t.Error("terminal not restored after cancel")
	}

	f := e.factory(IOStreams{In: tty, Out: panicWriter{done: new(atomic.Bool)}, ErrOut: &lockedBuffer{}, InTTY: true})
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), f, []string{"crictl", "exec", "-it", "nginx", "tty", "sleep"})
	}()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(f.IO.ErrOut.(*lockedBuffer).String(), "panic: boom") {
			t.Errorf("exit %d, stderr %q", code, f.IO.ErrOut.(*lockedBuffer).String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a panic while copying did not end the session")
	}
	if termios(t, tty) != before {
		t.Error("terminal not restored after a panic")
	}
}

// panicWriter panics on its first write.
type panicWriter struct{ done *atomic.Bool }

func (w panicWriter) Write(p []byte) (int, error) {
	if w.done.CompareAndSwap(false, true) {
		panic("boom")
	}
	return len(p), nil
}
