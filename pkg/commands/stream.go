package commands

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/crictl/crictl/pkg/stream"
	"github.com/urfave/cli/v2"
)

// streamOptions are the flags of the commands that connect to the
// runtime's streaming server (exec, attach, port-forward): the transport
// and the reference's TLS flags.
type streamOptions struct {
	transport              string
	tlsSNI, tlsCA, tlsCert string
	tlsKey                 string
	onlySPDY               bool
	allowRemote            bool
	tlsConfig              *tls.Config
}

func (o *streamOptions) flags() []cli.Flag {
	usage := "how to talk to the runtime's streaming server: spdy, or websocket (v5.channel.k8s.io, else v4)"
	if o.onlySPDY {
		usage = "how to talk to the runtime's streaming server: spdy (the CRI streaming servers forward ports over spdy only)"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "transport", Aliases: []string{"r"}, Value: string(stream.SPDY), Destination: &o.transport, Usage: usage},
		&cli.StringFlag{Name: "tls-sni", Aliases: []string{"tls-server-name"}, Value: "localhost", Destination: &o.tlsSNI,
			Usage: "server name the streaming server's certificate is checked against (with --tls-ca)"},
		&cli.StringFlag{Name: "tls-ca", Destination: &o.tlsCA, Usage: "CA certificate file (PEM) that the streaming server's certificate must chain to; without it an https streaming server is not verified, as in the reference"},
		&cli.StringFlag{Name: "tls-cert", Destination: &o.tlsCert, Usage: "client certificate file (PEM) for a TLS streaming server; needs --tls-key"},
		&cli.StringFlag{Name: "tls-key", Destination: &o.tlsKey, Usage: "client key file (PEM) for a TLS streaming server; needs --tls-cert"},
		&cli.BoolFlag{Name: "allow-remote-stream", Destination: &o.allowRemote,
			Usage: "connect to a streaming server the runtime names on another machine (by default only loopback and this machine's addresses; also allow-remote-stream: true in the config file)"},
	}
}

// sessionFlags are the flags of a session with a container's process (exec,
// attach): stdin (-i), a terminal (-t), the detach keys, and the stream
// flags.
type sessionFlags struct {
	stream     streamOptions
	tty, stdin bool
	detachKeys string
	stdinName  string
	keys       []byte
}

// flags declares them; stdinName is what -i is called (interactive,
// stdin), and the usages say what the session reaches.
func (o *sessionFlags) flags(stdinName, stdinUsage, ttyUsage, detachUsage string) []cli.Flag {
	o.stdinName = stdinName
	return append([]cli.Flag{
		&cli.BoolFlag{Name: stdinName, Aliases: []string{"i"}, Destination: &o.stdin, Usage: stdinUsage},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Destination: &o.tty, Usage: ttyUsage + " (needs -i and a terminal on stdin)"},
		&cli.StringFlag{Name: "detach-keys", Value: stream.DefaultDetachKeys, Destination: &o.detachKeys,
			Usage: "with -t: the keys that " + detachUsage + ` (ctrl-<letter> or a character, comma-separated; "" disables)`},
	}, o.stream.flags()...)
}

// validate checks -t against -i and the terminal, parses the detach keys and
// checks the stream flags, before any RPC.
func (o *sessionFlags) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	if o.tty && !o.stdin {
		return usagef(cmd, "-t/--tty needs -i/--%s", o.stdinName)
	}
	if o.tty {
		if _, ok := stdinFd(f); !ok {
			return usagef(cmd, "-t/--tty needs a terminal on stdin; leave out -t to pipe input")
		}
	}
	var err error
	if o.keys, err = stream.ParseDetachKeys(o.detachKeys); err != nil {
		return usagef(cmd, "--detach-keys: %v", err)
	}
	return o.stream.validate(c)
}

// run runs a session with the stream URL the runtime returned, writing to
// out and errOut.
func (o *sessionFlags) run(ctx context.Context, f *Factory, url string, out, errOut io.Writer) error {
	return runStream(ctx, f, &o.stream, url, streamSession{stdin: o.stdin, tty: o.tty, keys: o.keys, out: out, errOut: errOut})
}

// validate checks the transport and loads the TLS files, before any RPC.
func (o *streamOptions) validate(c *cli.Context) error {
	cmd := commandPath(c)
	switch stream.Transport(o.transport) {
	case stream.SPDY:
	case stream.WebSocket:
		if o.onlySPDY {
			return usagef(cmd, "--transport websocket: %s speaks spdy only (the CRI streaming servers' WebSocket port-forward carries a single connection per port)", c.Command.Name)
		}
	default:
		return usagef(cmd, "--transport %q: must be spdy or websocket", o.transport)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef(cmd, "--tls-cert and --tls-key must be given together (--tls-ca is optional)")
	}
	if o.tlsCA == "" && o.tlsCert == "" {
		// As the reference: an https streaming server is not verified.
		o.tlsConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the reference's default; --tls-ca verifies
		return nil
	}
	cfg := &tls.Config{ServerName: o.tlsSNI, MinVersion: tls.VersionTLS12}
	if o.tlsCA != "" {
		pem, err := os.ReadFile(o.tlsCA)
		if err != nil {
			return fmt.Errorf("--tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--tls-ca %s: no PEM certificate in the file", o.tlsCA)
		}
		cfg.RootCAs = pool
	} else {
		cfg.InsecureSkipVerify = true //nolint:gosec // the reference's default; --tls-ca verifies
	}
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	o.tlsConfig = cfg
	return nil
}

// target makes the stream target of a URL the runtime returned; setting up
// the stream is bounded by --timeout.
func (o *streamOptions) target(f *Factory, rawURL string) (*stream.Target, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	u, err := stream.ResolveURL(rawURL)
	if err != nil {
		return nil, err
	}
	if !o.allowRemote && !cfg.AllowRemoteStream {
		if err := stream.CheckLocal(u, f.InterfaceAddrs); err != nil {
			return nil, err
		}
	}
	return &stream.Target{URL: u, Transport: stream.Transport(o.transport), TLS: o.tlsConfig, Timeout: cfg.Timeout, Debug: f.debugOut(cfg)}, nil
}

// streamError words a failed session for the user; it passes the remote
// exit code, detaching and cancellation through for the caller.
func (o *streamOptions) streamError(err error) error {
	var ue *stream.UpgradeError
	if errors.As(err, &ue) && ue.StatusCode == http.StatusForbidden && o.transport == string(stream.WebSocket) {
		return fmt.Errorf("%w (the runtime's streaming server refused the WebSocket protocols v5.channel.k8s.io and v4.channel.k8s.io: use --transport spdy)", err)
	}
	return err
}

// exitCodeOf maps a remote exit code to a process exit code: 1..255 pass
// through, anything else that is not 0 becomes 255 (a code of 256 must not
// read as success).
func exitCodeOf(code int) int {
	if code >= 0 && code <= 255 {
		return code
	}
	return 255
}

// streamSession is what one exec or attach session reads and writes.
type streamSession struct {
	stdin, tty bool
	keys       []byte
	out        io.Writer
	errOut     io.Writer
}

// runStream connects to the stream URL the runtime returned and runs the
// session; with a terminal, raw mode starts only once the stream is up and
// ends on every way out.
func runStream(ctx context.Context, f *Factory, so *streamOptions, url string, ss streamSession) (err error) {
	t, err := so.target(f, url)
	if err != nil {
		return err
	}
	sio := stream.IO{Stdout: flushWriter{ss.out}}
	if !ss.tty {
		sio.Stderr = ss.errOut
	}
	if ss.stdin {
		sio.Stdin = f.IO.In
	}
	if ss.tty {
		var tty *ttySession
		ctx, tty, err = newTTYSession(ctx, f)
		if err != nil {
			return err
		}
		defer tty.restore()
		sio.TTY = true
		sio.Resize = tty.resize
		sio.DetachKeys = ss.keys
		sio.Ready = tty.ready
	}
	err = stream.RemoteCommand(ctx, t, sio)
	var ee *stream.ExitError
	var we *stream.LocalWriteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &ExitError{Code: exitCodeOf(ee.Code)}
	case errors.Is(err, stream.ErrDetached):
		return &detachedError{keys: detachKeysText(ss.keys)}
	case errors.As(err, &we) && isBrokenPipe(we.Err):
		// Whoever read the output has gone: end quietly.
		return nil
	}
	return so.streamError(err)
}

func detachKeysText(keys []byte) string {
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case k == 0:
			b.WriteString("ctrl-@")
		case k >= 1 && k <= 26:
			b.WriteString("ctrl-" + string(rune('a'+k-1)))
		case k >= 27 && k <= 31:
			b.WriteString("ctrl-" + string(rune('['+k-27)))
		default:
			b.WriteByte(k)
		}
	}
	return b.String()
}
