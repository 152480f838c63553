package commands

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/crictl/crictl/pkg/stream"
	"golang.org/x/term"
)

// ttySession owns the local terminal during an exec -t or attach -t
// session: it goes raw only once the stream is up (Ready), follows window
// size changes, and is restored on every way out: return, error, panic (the
// caller defers restore), Ctrl-C or SIGTERM/SIGHUP (they cancel the
// session), and a second signal that ends the process at once (an exit
// hook).
type ttySession struct {
	f      *Factory
	fd     int
	resize chan stream.Size
	cancel context.CancelFunc

	mu         sync.Mutex
	state      *term.State
	removeHook func()
	stop       chan struct{}
	stopOnce   sync.Once
}

// stdinFd returns the file descriptor of crictl's stdin when it is a
// terminal.
func stdinFd(f *Factory) (int, bool) {
	if !f.IO.InTTY {
		return 0, false
	}
	file, ok := f.IO.In.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	fd := int(file.Fd())
	return fd, term.IsTerminal(fd)
}

// newTTYSession prepares the terminal on stdin; ctx is cancelled by a
// hang-up, as by Ctrl-C.
func newTTYSession(ctx context.Context, f *Factory) (context.Context, *ttySession, error) {
	fd, ok := stdinFd(f)
	if !ok {
		return nil, nil, errors.New("-t/--tty needs a terminal on stdin")
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &ttySession{f: f, fd: fd, resize: make(chan stream.Size, 1), cancel: cancel, stop: make(chan struct{})}
	return ctx, s, nil
}

// ready switches the terminal to raw mode, sends its size and starts
// following size changes. It is the stream's Ready hook.
func (s *ttySession) ready() error {
	state, err := term.MakeRaw(s.fd)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.state = state
	s.removeHook = s.f.exitHooks.add(s.restoreTerminal)
	s.mu.Unlock()
	s.sendSize()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGWINCH, syscall.SIGHUP)
	go func() {
		defer signal.Stop(sigs)
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGHUP {
					s.cancel()
					return
				}
				s.sendSize()
			case <-s.stop:
				return
			}
		}
	}()
	return nil
}

// sendSize queues the terminal's size, replacing a size not yet sent.
func (s *ttySession) sendSize() {
	w, h, err := term.GetSize(s.fd)
	if err != nil || w <= 0 || h <= 0 {
		return
	}
	size := stream.Size{Width: uint16(w), Height: uint16(h)}
	for {
		select {
		case s.resize <- size:
			return
		default:
		}
		select {
		case <-s.resize:
		default:
		}
	}
}

func (s *ttySession) restoreTerminal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != nil {
		_ = term.Restore(s.fd, s.state)
		s.state = nil
	}
}

// restore puts the terminal back and stops following it; it is safe to
// call more than once.
func (s *ttySession) restore() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.restoreTerminal()
	s.mu.Lock()
	if s.removeHook != nil {
		s.removeHook()
		s.removeHook = nil
	}
	s.mu.Unlock()
	s.cancel()
}
