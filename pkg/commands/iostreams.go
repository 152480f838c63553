package commands

import (
	"bufio"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// IOStreams are the standard streams and whether they are terminals.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	InTTY  bool
	OutTTY bool
	ErrTTY bool
}

// SystemIO returns the process's streams.
func SystemIO() IOStreams {
	return IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// outWriter buffers stdout and remembers the first write error, so a full
// disk is reported and a closed pipe ends the output quietly.
type outWriter struct {
	mu  sync.Mutex
	bw  *bufio.Writer
	err error
}

func newOutWriter(w io.Writer) *outWriter {
	return &outWriter{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (o *outWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.bw.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// Flush writes what is buffered; streaming commands call it after each
// chunk so output appears as it is produced.
func (o *outWriter) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	if err := o.bw.Flush(); err != nil {
		o.err = err
	}
	return o.err
}

func isBrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}

// flushWriter writes through crictl's buffered stdout at once, so a
// stream's output (exec, attach, logs -f) appears as it arrives.
type flushWriter struct {
	w io.Writer
}

func (fw flushWriter) Write(p []byte) (int, error) {
	n, err := fw.w.Write(p)
	if err == nil {
		if fl, ok := fw.w.(interface{ Flush() error }); ok {
			err = fl.Flush()
		}
	}
	return n, err
}

// flushOut writes what is buffered on stdout; a failed write is kept and
// reported when the command ends.
func (f *Factory) flushOut() {
	if fl, ok := f.IO.Out.(interface{ Flush() error }); ok {
		_ = fl.Flush()
	}
}
