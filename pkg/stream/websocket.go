package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// The channel numbers of the WebSocket remote-command protocols.
const (
	wsStdin  = 0
	wsStdout = 1
	wsStderr = 2
	wsError  = 3
	wsResize = 4
	wsClose  = 255 // v5: the next byte is a channel this side is done with
)

func websocketSession(ctx context.Context, t *Target, sio IO) error {
	s := newSetup(ctx, t)
	u := *t.URL
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	dialURL := t.URL
	netDial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		return s.dial(ctx, dialURL)
	}
	d := websocket.Dialer{
		NetDialContext:    netDial,
		NetDialTLSContext: netDial,
		Subprotocols:      []string{protocolV5, protocolV4},
		// The servers (x/net/websocket) read one frame as one message:
		// a message must never be split, so the buffers hold the largest
		// one (a 32 KiB chunk and the channel byte).
		ReadBufferSize:  maxChunk + 1024,
		WriteBufferSize: maxChunk + 1024,
	}
	dctx, cancel := s.dialContext()
	defer cancel()
	t.debugf("GET %s (WebSocket, protocols %s, %s)", u.Redacted(), protocolV5, protocolV4)
	conn, resp, err := d.DialContext(dctx, u.String(), http.Header{"User-Agent": {"crictl"}})
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return s.fail(upgradeError(resp))
		}
		if resp != nil {
			_ = resp.Body.Close()
		}
		return s.fail(err)
	}
	_ = resp.Body.Close() // gorilla leaves an empty body on success
	defer func() {
		_ = conn.Close()
		s.release()
	}()
	protocol := conn.Subprotocol()
	t.debugf("upgraded, protocol %q", protocol)
	switch protocol {
	case protocolV5, protocolV4:
	case "":
		return s.fail(fmt.Errorf("the server chose no protocol; crictl speaks %s and %s over WebSocket", protocolV5, protocolV4))
	default:
		return s.fail(fmt.Errorf("the server chose protocol %q, which was not offered", protocol))
	}
	if !s.done() {
		return s.fail(errors.New("connection closed"))
	}

	w := &wsWriter{conn: conn}
	stdoutR, stdoutW := io.Pipe()
	stderrR, stderrW := io.Pipe()
	statusR, statusW := io.Pipe()
	defer func() {
		// Unblock the reader goroutine if a channel was left unread.
		_ = stdoutR.Close()
		_ = stderrR.Close()
		_ = statusR.Close()
	}()
	ch := channels{
		stdout: stdoutR,
		status: statusR,
		decode: decoderFor(protocol),
	}
	if sio.Stdin != nil {
		ch.stdin = &wsChannel{w: w, id: wsStdin, halfClose: protocol == protocolV5}
	}
	if sio.Stderr != nil && !sio.TTY {
		ch.stderr = stderrR
	}
	if sio.TTY {
		ch.resize = &wsChannel{w: w, id: wsResize}
	}
	go func() {
		pipes := map[byte]*io.PipeWriter{wsStdout: stdoutW, wsStderr: stderrW, wsError: statusW}
		var err error
		defer func() {
			for _, p := range pipes {
				p.CloseWithError(err)
			}
		}()
		for {
			var mt int
			var data []byte
			mt, data, err = conn.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code == websocket.CloseNormalClosure {
					err = nil
				}
				return
			}
			if mt != websocket.BinaryMessage || len(data) == 0 {
				continue
			}
			if data[0] == wsClose && protocol == protocolV5 {
				if len(data) == 2 {
					if p := pipes[data[1]]; p != nil {
						_ = p.Close()
					}
				}
				continue
			}
			p := pipes[data[0]]
			if p == nil || len(data) == 1 {
				continue
			}
			if ch.stderr == nil && data[0] == wsStderr {
				continue
			}
			if _, werr := p.Write(data[1:]); werr != nil {
				// The local side stopped reading this channel.
				delete(pipes, data[0])
			}
		}
	}()
	err = runSession(ctx, sio, ch)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == nil || errors.As(err, new(*ExitError)) {
		w.closeNormally()
	}
	return err
}

// wsWriter serialises writes to the connection (gorilla allows one writer
// at a time).
type wsWriter struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (w *wsWriter) send(id byte, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	frame := make([]byte, 1+len(p))
	frame[0] = id
	copy(frame[1:], p)
	return w.conn.WriteMessage(websocket.BinaryMessage, frame)
}

func (w *wsWriter) closeNormally() {
	_ = w.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
}

// wsChannel is one channel this side writes to.
type wsChannel struct {
	w         *wsWriter
	id        byte
	halfClose bool
}

func (c *wsChannel) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		chunk := p[n:min(len(p), n+maxChunk)]
		if err := c.w.send(c.id, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
	}
	return n, nil
}

// Close tells the server this side is done with the channel (v5); v4 has
// no way to say so.
func (c *wsChannel) Close() error {
	if !c.halfClose {
		return nil
	}
	return c.w.send(wsClose, []byte{c.id})
}
