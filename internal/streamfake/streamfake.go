// Package streamfake serves the real Kubernetes CRI streaming server
// (k8s.io/cri-streaming, the one kubelet-era runtimes embed) in-process,
// backed by a scripted fake runtime, for tests of crictl's own streaming
// client. It is imported by tests only, so the streaming server and its
// dependencies never reach the crictl binary.
//
// A command is a script of operations, each a name followed by its
// arguments:
//
//	printf S      write S to stdout
//	echo S        write S and a newline to stdout
//	stderr S      write S to stderr
//	cat           copy stdin to stdout until stdin ends
//	readline      read one line from stdin, write "got LINE\n"
//	tty           write "tty\n" or "notty\n"
//	size          write "ROWS COLS\n" for every terminal size received, until stdin ends
//	hold          count as in flight until Release or the client goes away
//	sleep         block until the client goes away
//	exit N        end with exit code N
//	fail S        end with an internal error S
//
// Attach runs AttachScript.
package streamfake

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	"k8s.io/klog/v2"
	utilexec "k8s.io/utils/exec"
)

var quietKlog sync.Once

// Server is a real CRI streaming server with a fake runtime behind it.
type Server struct {
	streaming.Server
	*Runtime
	// Addr is the server's host:port.
	Addr string
}

// Start serves a streaming server on a loopback port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	quietKlog.Do(func() {
		// The server logs every ended session as an error.
		fs := flag.NewFlagSet("klog", flag.ContinueOnError)
		klog.InitFlags(fs)
		_ = fs.Set("logtostderr", "false")
		_ = fs.Set("stderrthreshold", "FATAL")
		klog.SetOutput(io.Discard)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	rt := &Runtime{Ports: map[int32]string{}, release: make(chan struct{})}
	cfg := streaming.DefaultConfig
	cfg.Addr = addr
	cfg.BaseURL = &url.URL{Scheme: "http", Host: addr}
	cfg.StreamCreationTimeout = 5 * time.Second
	srv, err := streaming.NewServer(cfg, rt)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &Server{Server: srv, Runtime: rt, Addr: addr}
}

// ExecURL asks the server for a one-time exec URL.
func (s *Server) ExecURL(t testing.TB, req *runtimeapi.ExecRequest) string {
	t.Helper()
	resp, err := s.GetExec(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Url
}

// Runtime is the scripted fake behind the server.
type Runtime struct {
	// AttachScript is what Attach runs.
	AttachScript []string
	// Ports maps a pod port to the local address PortForward connects to.
	Ports map[int32]string
	// OnAttachEnd, when set, runs after an attach script ends (a test
	// marks the container exited there).
	OnAttachEnd func(id string)

	mu        sync.Mutex
	inFlight  int
	maxFlight int
	execs     []string
	release   chan struct{}
	sizes     []remotecommand.TerminalSize
}

// Release lets every held command go on.
func (r *Runtime) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	close(r.release)
	r.release = make(chan struct{})
}

// InFlight reports the number of commands holding now and at most.
func (r *Runtime) InFlight() (now, max int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight, r.maxFlight
}

// Execs lists the containers exec'd into, in order.
func (r *Runtime) Execs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.execs...)
}

// Sizes lists the terminal sizes received.
func (r *Runtime) Sizes() []remotecommand.TerminalSize {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]remotecommand.TerminalSize(nil), r.sizes...)
}

// Exec implements streaming.Runtime.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	r.mu.Lock()
	r.execs = append(r.execs, id)
	r.mu.Unlock()
	return r.run(ctx, cmd, in, out, errw, tty, resize)
}

// Attach implements streaming.Runtime.
func (r *Runtime) Attach(ctx context.Context, id string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	err := r.run(ctx, r.AttachScript, in, out, errw, tty, resize)
	if r.OnAttachEnd != nil {
		r.OnAttachEnd(id)
	}
	return err
}

// PortForward implements streaming.Runtime.
func (r *Runtime) PortForward(ctx context.Context, pod string, port int32, stream io.ReadWriteCloser) error {
	defer func() { _ = stream.Close() }()
	r.mu.Lock()
	addr, ok := r.Ports[port]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("nothing listens on port %d in pod %s", port, pod)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(c, stream); _ = c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(stream, c); done <- struct{}{} }()
	<-done
	<-done
	return nil
}

func (r *Runtime) run(ctx context.Context, script []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	defer func() {
		if out != nil {
			_ = out.Close()
		}
		if errw != nil {
			_ = errw.Close()
		}
	}()
	if out == nil {
		out = nopCloser{io.Discard}
	}
	if errw == nil {
		errw = nopCloser{io.Discard}
	}
	var br *bufio.Reader
	if in != nil {
		br = bufio.NewReader(in)
	}
	arg := func(i int) string {
		if i < len(script) {
			return script[i]
		}
		return ""
	}
	for i := 0; i < len(script); i++ {
		switch script[i] {
		case "printf":
			i++
			_, _ = io.WriteString(out, arg(i))
		case "echo":
			i++
			_, _ = io.WriteString(out, arg(i)+"\n")
		case "stderr":
			i++
			_, _ = io.WriteString(errw, arg(i))
		case "cat":
			if br != nil {
				_, _ = io.Copy(out, br)
			}
		case "readline":
			if br == nil {
				return errors.New("readline: no stdin")
			}
			line, err := br.ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("readline: %w", err)
			}
			fmt.Fprintf(out, "got %s\n", strings.TrimRight(line, "\r\n"))
		case "tty":
			if tty {
				_, _ = io.WriteString(out, "tty\n")
			} else {
				_, _ = io.WriteString(out, "notty\n")
			}
		case "size":
			stdinDone := make(chan struct{})
			go func() {
				if br != nil {
					_, _ = io.Copy(io.Discard, br)
				}
				close(stdinDone)
			}()
		sizes:
			for {
				select {
				case s, ok := <-resize:
					if !ok {
						break sizes
					}
					r.mu.Lock()
					r.sizes = append(r.sizes, s)
					r.mu.Unlock()
					fmt.Fprintf(out, "%d %d\n", s.Height, s.Width)
				case <-stdinDone:
					break sizes
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		case "hold":
			r.mu.Lock()
			r.inFlight++
			if r.inFlight > r.maxFlight {
				r.maxFlight = r.inFlight
			}
			rel := r.release
			r.mu.Unlock()
			select {
			case <-rel:
			case <-ctx.Done():
			}
			r.mu.Lock()
			r.inFlight--
			r.mu.Unlock()
		case "sleep":
			<-ctx.Done()
			return ctx.Err()
		case "exit":
			i++
			code, _ := strconv.Atoi(arg(i))
			if code != 0 {
				return utilexec.CodeExitError{Err: fmt.Errorf("exit status %d", code), Code: code}
			}
			return nil
		case "fail":
			i++
			return errors.New(arg(i))
		default:
			return fmt.Errorf("streamfake: unknown operation %q", script[i])
		}
	}
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
