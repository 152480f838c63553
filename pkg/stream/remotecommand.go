package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// The remote-command protocols, newest first.
const (
	protocolV5 = "v5.channel.k8s.io"
	protocolV4 = "v4.channel.k8s.io"
	protocolV3 = "v3.channel.k8s.io"
	protocolV2 = "v2.channel.k8s.io"
)

// Size is a terminal size in characters.
type Size struct {
	Width  uint16
	Height uint16
}

// IO is what an exec or attach session reads and writes locally.
type IO struct {
	// Stdin, when set, is sent to the remote process; its end closes the
	// remote stdin (SPDY, WebSocket v5).
	Stdin io.Reader
	// Stdout receives the remote stdout (with a TTY: the terminal output).
	Stdout io.Writer
	// Stderr receives the remote stderr; there is none with a TTY.
	Stderr io.Writer
	TTY    bool
	// Resize carries terminal sizes to the remote TTY (protocol v3 and
	// later); the first one is sent as soon as the streams are up.
	Resize <-chan Size
	// DetachKeys, when set, end the session with ErrDetached when they are
	// read from Stdin; they are not sent.
	DetachKeys []byte
	// Ready runs once the streams are up, before any byte is copied; an
	// error ends the session.
	Ready func() error
}

// RemoteCommand runs an exec or attach session against the URL the runtime
// returned. It returns nil when the remote command succeeded, an
// *ExitError with its exit code when it failed, ErrDetached, the context's
// error when it was cancelled, or another error when the session could not
// be set up or broke.
func RemoteCommand(ctx context.Context, t *Target, sio IO) error {
	switch t.Transport {
	case WebSocket:
		return websocketSession(ctx, t, sio)
	case SPDY, "":
		return spdySession(ctx, t, sio)
	}
	return fmt.Errorf("unknown transport %q", t.Transport)
}

func spdySession(ctx context.Context, t *Target, sio IO) error {
	s := newSetup(ctx, t)
	c, err := upgradeSPDY(s, []string{protocolV4, protocolV3, protocolV2})
	if err != nil {
		return err
	}
	defer c.close()
	switch c.protocol {
	case protocolV4, protocolV3, protocolV2:
	case "":
		return s.fail(fmt.Errorf("the server chose no protocol; crictl speaks %s, %s and %s", protocolV4, protocolV3, protocolV2))
	default:
		return s.fail(fmt.Errorf("the server chose protocol %q, which was not offered", c.protocol))
	}

	kinds := []string{"error"}
	if sio.Stdin != nil {
		kinds = append(kinds, "stdin")
	}
	kinds = append(kinds, "stdout")
	if sio.Stderr != nil && !sio.TTY {
		kinds = append(kinds, "stderr")
	}
	if sio.TTY && c.protocol != protocolV2 {
		kinds = append(kinds, "resize")
	}
	headers := make([]http.Header, len(kinds))
	for i, k := range kinds {
		headers[i] = streamHeaders(headerStreamType, k)
	}
	streams, err := c.openStreams(headers...)
	if err != nil {
		return err
	}
	if !s.done() {
		return s.fail(errors.New("connection closed"))
	}
	ch := channels{decode: decoderFor(c.protocol)}
	for i, k := range kinds {
		st := streams[i]
		switch k {
		case "error":
			ch.status = st
		case "stdin":
			ch.stdin = st
		case "stdout":
			ch.stdout = st
		case "stderr":
			ch.stderr = st
		case "resize":
			ch.resize = st
		}
	}
	err = runSession(ctx, sio, ch)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// channels are the remote ends of a session, whatever the transport.
type channels struct {
	stdin  io.WriteCloser // Close half-closes the remote stdin
	stdout io.Reader
	stderr io.Reader
	status io.Reader
	resize io.Writer
	decode func([]byte) error
}

// runSession copies between the local IO and the remote channels until the
// remote side reports its status or something ends the session early.
func runSession(ctx context.Context, sio IO, ch channels) error {
	if sio.Ready != nil {
		if err := sio.Ready(); err != nil {
			return err
		}
	}
	abort := make(chan error, 8)
	report := func(err error) {
		select {
		case abort <- err:
		default:
		}
	}
	guard := func() {
		if r := recover(); r != nil {
			report(&panicError{value: r})
		}
	}
	done := make(chan struct{})
	defer close(done)

	if ch.resize != nil && sio.Resize != nil {
		go func() {
			defer guard()
			enc := json.NewEncoder(ch.resize)
			for {
				select {
				case size, ok := <-sio.Resize:
					if !ok {
						return
					}
					if err := enc.Encode(size); err != nil {
						return
					}
				case <-done:
					return
				}
			}
		}()
	}

	statusc := make(chan error, 1)
	go func() {
		defer guard()
		data, err := io.ReadAll(ch.status)
		switch {
		case len(data) > 0:
			statusc <- ch.decode(data)
		case err != nil:
			statusc <- fmt.Errorf("reading the error stream: %w", err)
		default:
			statusc <- nil
		}
	}()

	if ch.stdin != nil && sio.Stdin != nil {
		in := sio.Stdin
		if len(sio.DetachKeys) > 0 {
			in = NewEscapeReader(in, sio.DetachKeys)
		}
		go func() {
			defer guard()
			_, err := copyChunks(ch.stdin, in)
			if errors.Is(err, ErrDetached) {
				report(ErrDetached)
				return
			}
			// End of input (or a broken remote stdin): half-close.
			_ = ch.stdin.Close()
		}()
	}

	var wg sync.WaitGroup
	copyOut := func(dst io.Writer, src io.Reader) {
		if src == nil {
			return
		}
		if dst == nil {
			dst = io.Discard
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer guard()
			tw := &trackedWriter{w: dst}
			_, _ = copyChunks(tw, src)
			if tw.err != nil {
				report(&LocalWriteError{Err: tw.err})
			}
		}()
	}
	copyOut(sio.Stdout, ch.stdout)
	copyOut(sio.Stderr, ch.stderr)
	outputs := make(chan struct{})
	go func() { wg.Wait(); close(outputs) }()

	select {
	case err := <-abort:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-outputs:
	}
	select {
	case err := <-abort:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case err := <-statusc:
		return err
	}
}

// maxChunk is the largest piece of data sent in one frame or message.
const maxChunk = 32 << 10

// copyChunks copies in pieces of at most 32 KiB, so that no frame grows
// past what the framing allows, whatever src and dst implement.
func copyChunks(dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, maxChunk)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf)
}

// trackedWriter remembers a local write failure, which io.Copy does not
// tell apart from a read failure.
type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// decoderFor returns how the error stream is read in a protocol version:
// v4 and later carry a JSON Status, older versions a plain message.
func decoderFor(protocol string) func([]byte) error {
	switch protocol {
	case protocolV4, protocolV5:
		return decodeStatus
	}
	return func(msg []byte) error {
		return &RemoteError{Message: "error executing remote command: " + string(msg)}
	}
}

// status is the part of a Kubernetes metav1.Status the error stream uses.
type status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Details *struct {
		Causes []struct {
			Type    string `json:"reason"`
			Message string `json:"message"`
		} `json:"causes"`
	} `json:"details"`
}

func decodeStatus(data []byte) error {
	var st status
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("error stream protocol error: %w in %q", err, truncate(string(data), 200))
	}
	switch st.Status {
	case "Success":
		return nil
	case "Failure":
	default:
		return fmt.Errorf("error stream protocol error: unknown status %q", st.Status)
	}
	if st.Reason == "NonZeroExitCode" && st.Details != nil {
		for _, c := range st.Details.Causes {
			if c.Type != "ExitCode" {
				continue
			}
			code, err := strconv.Atoi(c.Message)
			if err != nil {
				return fmt.Errorf("error stream protocol error: invalid exit code %q", c.Message)
			}
			return &ExitError{Code: code}
		}
	}
	msg := st.Message
	if msg == "" {
		msg = "the streaming server reported a failure"
		if st.Reason != "" {
			msg += " (" + st.Reason + ")"
		}
	}
	return &RemoteError{Message: msg}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
