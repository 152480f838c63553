package stream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Transport is the wire protocol of a session.
type Transport string

// The transports of exec and attach; port-forward speaks SPDY only.
const (
	SPDY      Transport = "spdy"
	WebSocket Transport = "websocket"
)

// DefaultHost is where a stream URL without a host points, as the
// reference crictl does: kubelet's port on the loopback address.
const DefaultHost = "127.0.0.1:10250"

// ResolveURL parses the URL a runtime returned from Exec, Attach or
// PortForward. A URL without a scheme gets http, one without a host gets
// DefaultHost (the reference puts "http://127.0.0.1:10250" into the host
// field instead); only http and https are accepted.
func ResolveURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("the runtime returned an empty stream URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("the runtime returned an invalid stream URL %q: %w", raw, err)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("the runtime returned an invalid stream URL %q: not an http(s) URL", raw)
	}
	if u.Scheme == "" {
		u.Scheme = "http"
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the runtime returned a stream URL with scheme %q; only http and https are supported", u.Scheme)
	}
	if u.Host == "" {
		u.Host = DefaultHost
	}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path
	}
	return u, nil
}

// CheckLocal refuses a stream URL whose host is not this machine: a
// loopback address, "localhost", or an address of one of this machine's
// interfaces (addrs; nil lists them). The CRI endpoint is a local socket,
// so its streaming server is local too; a URL that points elsewhere would
// send the session, and whatever is typed into it, off the node.
func CheckLocal(u *url.URL, addrs func() ([]net.Addr, error)) error {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	ip := net.ParseIP(host)
	if ip != nil && ip.IsLoopback() {
		return nil
	}
	if ip != nil {
		if addrs == nil {
			addrs = net.InterfaceAddrs
		}
		if list, err := addrs(); err == nil {
			for _, a := range list {
				if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("the runtime's stream URL points at %q, which is not this machine (a loopback or local address); not connecting (--allow-remote-stream allows it)", host)
}

// Target is a streaming server URL and how to reach it.
type Target struct {
	URL       *url.URL
	Transport Transport
	// TLS is used for https URLs; nil verifies the server against the
	// system's roots.
	TLS *tls.Config
	// Timeout bounds connecting, the protocol upgrade and opening the
	// streams; 0 means no bound. The session itself has none.
	Timeout time.Duration
	// Debug, when set, receives one line per setup step.
	Debug io.Writer
}

func (t *Target) debugf(format string, args ...any) {
	if t.Debug != nil {
		fmt.Fprintf(t.Debug, "debug: stream: "+format+"\n", args...)
	}
}

// hostPort is the URL's host with the scheme's default port.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// setup runs the connecting phase of a session: one deadline for dialing,
// upgrading and opening the streams, and the context's cancellation
// closing the connection at any time, also later in the session.
type setup struct {
	t        *Target
	ctx      context.Context
	deadline time.Time

	mu       sync.Mutex
	conn     net.Conn
	closed   bool
	timer    *time.Timer
	timedOut atomic.Bool
	stopCtx  func() bool
}

func newSetup(ctx context.Context, t *Target) *setup {
	s := &setup{t: t, ctx: ctx}
	if t.Timeout > 0 {
		s.deadline = time.Now().Add(t.Timeout)
		s.timer = time.AfterFunc(t.Timeout, func() {
			s.timedOut.Store(true)
			s.close()
		})
	}
	s.stopCtx = context.AfterFunc(ctx, s.close)
	return s
}

// dialContext is the context dialing uses: the caller's, bounded by the
// setup deadline.
func (s *setup) dialContext() (context.Context, context.CancelFunc) {
	if s.deadline.IsZero() {
		return context.WithCancel(s.ctx)
	}
	return context.WithDeadline(s.ctx, s.deadline)
}

// dial opens the TCP (and TLS) connection to the URL's host.
func (s *setup) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	addr := hostPort(u)
	s.t.debugf("connecting to %s", addr)
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if !s.adopt(c) {
		return nil, s.abortErr()
	}
	if u.Scheme != "https" {
		return c, nil
	}
	cfg := s.t.TLS.Clone()
	if cfg == nil {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	// The upgrade is an HTTP/1.1 request: never offer h2.
	cfg.NextProtos = []string{"http/1.1"}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	if !s.adopt(tc) {
		return nil, s.abortErr()
	}
	return tc, nil
}

// adopt makes c the connection that a timeout or cancellation closes; it
// reports false (and closes c) when that has happened already.
func (s *setup) adopt(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = c.Close()
		return false
	}
	s.conn = c
	return true
}

func (s *setup) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// done ends the setup phase: the deadline no longer applies, cancellation
// still closes the connection. It reports false when the deadline or the
// cancellation came first.
func (s *setup) done() bool {
	if s.timer != nil && !s.timer.Stop() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed
}

// release stops watching the context (the session is over).
func (s *setup) release() {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.stopCtx()
	s.close()
}

// abortErr is the error of a setup cut short by the deadline or the
// context.
func (s *setup) abortErr() error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	if s.timedOut.Load() {
		return fmt.Errorf("the streaming server at %s did not answer within %v (connecting, upgrading and opening the streams)", hostPort(s.t.URL), s.t.Timeout)
	}
	return errors.New("connection closed")
}

// fail turns an error during setup into the error to report: the deadline
// or the cancellation when they caused it.
func (s *setup) fail(err error) error {
	s.release()
	if s.ctx.Err() != nil || s.timedOut.Load() {
		return s.abortErr()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !s.deadline.IsZero() && !time.Now().Before(s.deadline) {
		s.timedOut.Store(true)
		return s.abortErr()
	}
	return fmt.Errorf("streaming server at %s: %w", hostPort(s.t.URL), err)
}
