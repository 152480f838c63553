package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/moby/spdystream"
)

const portForwardProtocol = "portforward.k8s.io"

// PortForwarder is an upgraded port-forward connection to a pod; every
// local connection becomes a pair of streams on it.
type PortForwarder struct {
	c       *spdyConn
	timeout time.Duration
	nextID  atomic.Int64
}

// DialPortForward connects to the URL the runtime returned from
// PortForward. Only SPDY is spoken: the CRI streaming servers carry one
// connection per port over WebSocket.
func DialPortForward(ctx context.Context, t *Target) (*PortForwarder, error) {
	if t.Transport != SPDY && t.Transport != "" {
		return nil, fmt.Errorf("port-forward speaks only %s", SPDY)
	}
	s := newSetup(ctx, t)
	c, err := upgradeSPDY(s, []string{portForwardProtocol})
	if err != nil {
		return nil, err
	}
	if c.protocol != portForwardProtocol {
		c.close()
		return nil, s.fail(fmt.Errorf("the server chose protocol %q; crictl speaks %s", c.protocol, portForwardProtocol))
	}
	if !s.done() {
		c.close()
		return nil, s.fail(errors.New("connection closed"))
	}
	return &PortForwarder{c: c, timeout: t.Timeout}, nil
}

// Done is closed when the connection to the streaming server is lost.
func (f *PortForwarder) Done() <-chan bool { return f.c.sc.CloseChan() }

// Close ends the connection and every forwarded connection on it.
func (f *PortForwarder) Close() { f.c.close() }

// Forward carries one local connection to port in the pod until either
// side ends it, then closes local. The error is the server's report for
// this connection (for example nothing listens on the port), or a failure
// to open its streams.
func (f *PortForwarder) Forward(local net.Conn, port uint16) error {
	defer func() { _ = local.Close() }()
	id := strconv.FormatInt(f.nextID.Add(1)-1, 10)
	p := strconv.Itoa(int(port))

	errStream, err := f.open(streamHeaders(headerStreamType, "error", "port", p, "requestID", id))
	if err != nil {
		return fmt.Errorf("opening the error stream: %w", err)
	}
	// Nothing is sent on the error stream.
	_ = errStream.Close()
	errc := make(chan []byte, 1)
	go func() {
		msg, _ := io.ReadAll(errStream)
		errc <- msg
	}()

	data, err := f.open(streamHeaders(headerStreamType, "data", "port", p, "requestID", id))
	if err != nil {
		_ = errStream.Reset()
		return fmt.Errorf("opening the data stream: %w", err)
	}
	remoteDone := make(chan struct{})
	localFailed := make(chan struct{})
	go func() {
		_, _ = copyChunks(local, data)
		close(remoteDone)
	}()
	go func() {
		if _, err := copyChunks(data, local); err != nil {
			close(localFailed)
			return
		}
		// The local side finished sending: half-close.
		_ = data.Close()
	}()
	select {
	case <-remoteDone:
	case <-localFailed:
	case <-f.Done():
	}
	_ = data.Reset()
	select {
	case msg := <-errc:
		if len(msg) > 0 {
			return &RemoteError{Message: string(msg)}
		}
	case <-f.Done():
	case <-time.After(time.Second):
		// The server closed the data stream without reporting.
	}
	_ = errStream.Reset()
	return nil
}

// open creates a stream and waits for the server to accept it, within the
// target's timeout.
func (f *PortForwarder) open(h http.Header) (*spdystream.Stream, error) {
	st, err := f.c.sc.CreateStream(h, nil, false)
	if err != nil {
		return nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- st.Wait() }()
	var timeout <-chan time.Time
	if f.timeout > 0 {
		timer := time.NewTimer(f.timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case err := <-errc:
		return st, err
	case <-f.Done():
		return nil, errors.New("the connection to the streaming server is closed")
	case <-timeout:
		_ = st.Reset()
		return nil, fmt.Errorf("the streaming server did not accept the stream within %v", f.timeout)
	}
}
