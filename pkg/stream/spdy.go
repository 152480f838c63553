package stream

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/moby/spdystream"
)

// spdystream logs every frame through the standard logger when $DEBUG is
// set in the environment; crictl's own -D is the switch for debug output.
func init() { spdystream.DEBUG = "" }

const (
	headerProtocolVersion = "X-Stream-Protocol-Version"
	headerStreamType      = "streamType"
	spdyUpgrade           = "SPDY/3.1"
)

// spdyConn is an upgraded SPDY/3.1 connection.
type spdyConn struct {
	s        *setup
	sc       *spdystream.Connection
	protocol string
}

// bufferedConn reads first what the HTTP response reader buffered past the
// response head.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// upgradeSPDY connects to the target and upgrades the connection to
// SPDY/3.1, offering protocols in order of preference. The server's choice
// is in the result's protocol ("" when it chose none).
func upgradeSPDY(s *setup, protocols []string) (*spdyConn, error) {
	u := s.t.URL
	ctx, cancel := s.dialContext()
	defer cancel()
	conn, err := s.dial(ctx, u)
	if err != nil {
		return nil, s.fail(err)
	}
	req := &http.Request{
		Method:     http.MethodPost,
		URL:        u,
		Host:       u.Host,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Connection": {"Upgrade"},
			"Upgrade":    {spdyUpgrade},
			"User-Agent": {"crictl"},
		},
	}
	for _, p := range protocols {
		req.Header.Add(headerProtocolVersion, p)
	}
	s.t.debugf("POST %s (upgrade to %s, protocols %s)", u.Redacted(), spdyUpgrade, strings.Join(protocols, ", "))
	if err := req.Write(conn); err != nil {
		return nil, s.fail(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, s.fail(fmt.Errorf("reading the upgrade answer: %w", err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		!headerHas(resp.Header, "Connection", "upgrade") ||
		!headerHas(resp.Header, "Upgrade", strings.ToLower(spdyUpgrade)) {
		return nil, s.fail(upgradeError(resp))
	}
	_ = resp.Body.Close() // a 101 has no body; the connection is br and conn
	protocol := resp.Header.Get(headerProtocolVersion)
	s.t.debugf("upgraded, protocol %q", protocol)
	sc, err := spdystream.NewConnection(&bufferedConn{Conn: conn, r: br}, false)
	if err != nil {
		return nil, s.fail(err)
	}
	go sc.Serve(spdystream.NoOpStreamHandler)
	return &spdyConn{s: s, sc: sc, protocol: protocol}, nil
}

// upgradeError describes an answer that is not the protocol switch.
func upgradeError(resp *http.Response) error {
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	e := &UpgradeError{StatusCode: resp.StatusCode, Status: resp.Status, Body: oneLine(string(body))}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = resp.Header.Get("Location")
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		e.Status += " to " + resp.Header.Get("Upgrade")
	}
	return e
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " ..."
	}
	return s
}

// headerHas reports whether the comma-separated header contains the token
// (case-insensitive).
func headerHas(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// openStreams creates one stream per header set, then waits for the
// server to accept each, within the setup deadline.
func (c *spdyConn) openStreams(headers ...http.Header) ([]*spdystream.Stream, error) {
	streams := make([]*spdystream.Stream, len(headers))
	for i, h := range headers {
		st, err := c.sc.CreateStream(h, nil, false)
		if err != nil {
			return nil, c.s.fail(err)
		}
		streams[i] = st
	}
	for i, st := range streams {
		if err := c.waitReply(st); err != nil {
			return nil, c.s.fail(fmt.Errorf("opening the %s stream: %w", headers[i].Get(headerStreamType), err))
		}
	}
	return streams, nil
}

// waitReply waits for the server's reply to a new stream; the setup's
// deadline or cancellation closes the connection, which ends the wait.
func (c *spdyConn) waitReply(st *spdystream.Stream) error {
	errc := make(chan error, 1)
	go func() { errc <- st.Wait() }()
	select {
	case err := <-errc:
		return err
	case <-c.sc.CloseChan():
		// A reply may have raced the close.
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Millisecond):
		}
		return fmt.Errorf("the connection closed")
	}
}

// close ends the connection at once.
func (c *spdyConn) close() {
	_ = c.sc.Close()
	c.s.release()
}

func streamHeaders(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
