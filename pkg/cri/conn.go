package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// MaxMessageSize bounds replies, as kubelet and the reference do (16 MiB).
const MaxMessageSize = 16 << 20

// Options configure a connection.
type Options struct {
	// Timeout bounds each call, connecting and retries included, unless the
	// call's context carries its own (see WithTimeout).
	Timeout time.Duration
	// MaxRetries is how often a refused or unavailable connection is
	// retried inside the timeout; negative means as often as the timeout
	// allows, 0 never.
	MaxRetries int
	// Debug, when set, receives one line per request and reply, with
	// credentials and secret-looking values redacted.
	Debug io.Writer
	// UnaryInterceptors and StreamInterceptors run inside the connection's
	// own interceptor, in order: once per attempt (a retried call passes
	// through them again), within the call's timeout, and they see the
	// gRPC errors before they are reworded. Tracing installs itself here.
	UnaryInterceptors  []grpc.UnaryClientInterceptor
	StreamInterceptors []grpc.StreamClientInterceptor
}

// Conn is one gRPC connection to a CRI endpoint.
type Conn struct {
	endpoint string
	path     string
	opts     Options
	cc       *grpc.ClientConn

	dialErr   atomic.Pointer[DialError]
	connected atomic.Bool
	debugMu   sync.Mutex
}

// Dial prepares a connection to endpoint. It does not connect: the first RPC
// does, so a command that needs no RPC never touches the socket.
func Dial(endpoint string, opts Options) (*Conn, error) {
	path, err := SocketPath(endpoint)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	c := &Conn{endpoint: endpoint, path: path, opts: opts}
	c.cc, err = grpc.NewClient("passthrough:///"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithAuthority("localhost"),
		grpc.WithContextDialer(c.dial),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize)),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
			// Longer than the call's own deadline, so a peer that accepts
			// and never answers ends with that deadline ("did not answer
			// within"), not with a handshake timeout that reads like a
			// protocol error.
			MinConnectTimeout: opts.Timeout + 5*time.Second,
		}),
		grpc.WithDisableServiceConfig(),
		grpc.WithChainUnaryInterceptor(append([]grpc.UnaryClientInterceptor{c.unary}, opts.UnaryInterceptors...)...),
		grpc.WithChainStreamInterceptor(append([]grpc.StreamClientInterceptor{c.stream}, opts.StreamInterceptors...)...),
	)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	return c, nil
}

// Endpoint is the endpoint as configured.
func (c *Conn) Endpoint() string { return c.endpoint }

// Runtime returns the runtime service client.
func (c *Conn) Runtime() runtimeapi.RuntimeServiceClient {
	return runtimeapi.NewRuntimeServiceClient(c.cc)
}

// Image returns the image service client.
func (c *Conn) Image() runtimeapi.ImageServiceClient {
	return runtimeapi.NewImageServiceClient(c.cc)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.cc.Close() }

func (c *Conn) dial(ctx context.Context, _ string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, "unix", c.path)
	if err != nil {
		de := classifyDial(c.path, err)
		c.dialErr.Store(de)
		return nil, de
	}
	c.dialErr.Store(nil)
	c.connected.Store(true)
	return conn, nil
}

type timeoutKey struct{}

// WithTimeout gives the calls made with ctx their own timeout instead of
// the connection's; d <= 0 removes the per-call timeout, leaving only ctx's
// own deadline (for pulls, streams and other long-running calls).
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

func (c *Conn) callTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		return d
	}
	return c.opts.Timeout
}

func (c *Conn) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	name := method[strings.LastIndexByte(method, '/')+1:]
	timeout := c.callTimeout(ctx)
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if c.opts.Debug != nil {
		c.debugf("%s request: %s", name, debugJSON(req))
	}
	start := time.Now()
	delay := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err == nil {
			if c.opts.Debug != nil {
				c.debugf("%s reply (%s, %d bytes): %s", name, time.Since(start).Round(time.Microsecond), proto.Size(reply.(proto.Message)), debugJSON(reply))
			}
			return nil
		}
		if c.retryable(name, err) && (c.opts.MaxRetries < 0 || attempt < c.opts.MaxRetries) && c.wait(ctx, delay) {
			c.debugf("%s: retrying after %v: %v", name, delay, err)
			delay = min(delay*2, 5*time.Second)
			cc.ResetConnectBackoff()
			continue
		}
		werr := c.wrap(ctx, name, timeout, err)
		c.debugf("%s failed after %s: %v", name, time.Since(start).Round(time.Microsecond), werr)
		return werr
	}
}

func (c *Conn) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	name := method[strings.LastIndexByte(method, '/')+1:]
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, c.wrap(ctx, name, 0, err)
	}
	return &wrappedStream{ClientStream: s, c: c, name: name, ctx: ctx}, nil
}

type wrappedStream struct {
	grpc.ClientStream
	c    *Conn
	name string
	ctx  context.Context
}

func (w *wrappedStream) RecvMsg(m any) error {
	err := w.ClientStream.RecvMsg(m)
	if err != nil && !errors.Is(err, io.EOF) {
		return w.c.wrap(w.ctx, w.name, 0, err)
	}
	return err
}

// wait sleeps for d unless that would run past ctx's deadline.
func (c *Conn) wait(ctx context.Context, d time.Duration) bool {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// readOnly RPCs can be retried after an Unavailable from the server; others
// only when the connection itself was refused (the request never left).
var readOnly = map[string]bool{
	"Version": true, "Status": true, "RuntimeConfig": true,
	"ListPodSandbox": true, "PodSandboxStatus": true, "ListContainers": true, "ContainerStatus": true,
	"ListImages": true, "ImageStatus": true, "ImageFsInfo": true,
	"ContainerStats": true, "ListContainerStats": true, "PodSandboxStats": true, "ListPodSandboxStats": true,
	"ListMetricDescriptors": true, "ListPodSandboxMetrics": true,
}

func (c *Conn) retryable(name string, err error) bool {
	if status.Code(err) != codes.Unavailable {
		return false
	}
	if de := c.dialErr.Load(); de != nil {
		return de.Kind == Refused
	}
	return readOnly[name] && !notGRPC(err) && !noAnswer(err)
}

func (c *Conn) debugf(format string, args ...any) {
	if c.opts.Debug == nil {
		return
	}
	c.debugMu.Lock()
	defer c.debugMu.Unlock()
	fmt.Fprintf(c.opts.Debug, "debug: "+format+"\n", args...)
}

// wrap turns a gRPC error into an *Error with one actionable line.
func (c *Conn) wrap(ctx context.Context, name string, timeout time.Duration, err error) error {
	st, _ := status.FromError(err)
	e := &Error{Method: name, Endpoint: c.endpoint, Code: st.Code(), Cause: err}
	switch st.Code() {
	case codes.Canceled:
		if ctx.Err() != nil {
			e.Msg = "interrupted"
			return e
		}
	case codes.DeadlineExceeded:
		if de := c.dialErr.Load(); de != nil {
			e.Code = codes.Unavailable
			e.Msg = "cannot connect to the runtime at " + c.endpoint + ": " + de.Error()
			return e
		}
		if c.cc.GetState() != connectivity.Ready && c.connected.Load() {
			e.Msg = fmt.Sprintf("the runtime at %s accepted the connection but did not answer within %s (is it a CRI gRPC endpoint?)", c.endpoint, timeout)
			return e
		}
		if c.cc.GetState() != connectivity.Ready {
			e.Msg = fmt.Sprintf("cannot connect to the runtime at %s within %s", c.endpoint, timeout)
			return e
		}
		e.Msg = fmt.Sprintf("%s: the runtime at %s did not answer within %s (a busy runtime may need a larger --timeout)", name, c.endpoint, timeout)
		return e
	case codes.Unavailable:
		if de := c.dialErr.Load(); de != nil {
			e.Msg = "cannot connect to the runtime at " + c.endpoint + ": " + de.Error()
			return e
		}
		if noAnswer(err) {
			e.Msg = fmt.Sprintf("the runtime at %s accepted the connection but did not answer within %s (is it a CRI gRPC endpoint?)", c.endpoint, timeout)
			return e
		}
		if notGRPC(err) {
			e.Msg = fmt.Sprintf("the endpoint %s does not speak gRPC: is it a CRI runtime socket?", c.endpoint)
			return e
		}
	case codes.Unimplemented:
		e.Msg = fmt.Sprintf("the runtime at %s does not implement %s", c.endpoint, name)
		return e
	case codes.ResourceExhausted:
		if strings.Contains(st.Message(), "larger than max") {
			e.Msg = fmt.Sprintf("%s: the reply is larger than the %d MiB limit; narrow it with filters (e.g. --state, --label, --namespace)", name, MaxMessageSize>>20)
			return e
		}
	}
	e.Msg = fmt.Sprintf("%s: %s", name, st.Message())
	return e
}

// noAnswer reports a handshake that timed out: the peer accepted the
// connection and said nothing.
func noAnswer(err error) bool {
	msg := status.Convert(err).Message()
	return strings.Contains(msg, "preface") && (strings.Contains(msg, "timeout") || strings.Contains(msg, "timed out") || strings.Contains(msg, "deadline"))
}

func notGRPC(err error) bool {
	msg := status.Convert(err).Message()
	for _, s := range []string{"preface", "frame too large", "HTTP/1", "http2:", "connection reset", "broken pipe", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Error is a failed CRI call.
type Error struct {
	Method   string
	Endpoint string
	Code     codes.Code
	Msg      string
	Cause    error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying gRPC error.
func (e *Error) Unwrap() error { return e.Cause }

// GRPCStatus lets status.Code and status.FromError see the code.
func (e *Error) GRPCStatus() *status.Status { return status.New(e.Code, e.Msg) }

// IsNotFound reports whether err is a NotFound answer from the runtime.
func IsNotFound(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Code == codes.NotFound
	}
	return status.Code(err) == codes.NotFound
}

// IsUnimplemented reports whether the runtime does not implement the call.
func IsUnimplemented(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Code == codes.Unimplemented
	}
	return status.Code(err) == codes.Unimplemented
}
