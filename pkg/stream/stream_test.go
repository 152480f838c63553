package stream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/streamfake"
	"github.com/crictl/crictl/pkg/stream"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func target(t *testing.T, raw string, tr stream.Transport) *stream.Target {
	t.Helper()
	u, err := stream.ResolveURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &stream.Target{URL: u, Transport: tr, Timeout: 5 * time.Second}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func execReq(cmd ...string) *runtimeapi.ExecRequest {
	return &runtimeapi.ExecRequest{ContainerId: "c1", Cmd: cmd, Stdout: true, Stderr: true}
}

func TestExecSPDY(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	for _, tc := range []struct {
		name          string
		cmd           []string
		stdin         string
		out, errOut   string
		wantExit      int
		wantRemoteErr string
		withoutStderr bool
		withoutStdin  bool
	}{
		{name: "success", cmd: []string{"printf", "out\x00\x1b[1m no newline", "stderr", "err"}, out: "out\x00\x1b[1m no newline", errOut: "err", withoutStdin: true},
		{name: "exit code kept with output", cmd: []string{"printf", "partial", "stderr", "bad", "exit", "3"}, out: "partial", errOut: "bad", wantExit: 3, withoutStdin: true},
		{name: "exit 255", cmd: []string{"exit", "255"}, wantExit: 255, withoutStdin: true},
		{name: "stdin to EOF", cmd: []string{"cat", "echo", "done"}, stdin: strings.Repeat("0123456789", 10000), out: strings.Repeat("0123456789", 10000) + "done\n"},
		{name: "internal error", cmd: []string{"fail", "no such binary"}, wantRemoteErr: "no such binary", withoutStdin: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := execReq(tc.cmd...)
			req.Stdin = !tc.withoutStdin
			var out, errOut syncBuffer
			sio := stream.IO{Stdout: &out, Stderr: &errOut}
			if req.Stdin {
				sio.Stdin = strings.NewReader(tc.stdin)
			}
			err := stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, req), stream.SPDY), sio)
			checkResult(t, err, tc.wantExit, tc.wantRemoteErr)
			if out.String() != tc.out || errOut.String() != tc.errOut {
				t.Errorf("stdout %q stderr %q, want %q %q", out.String(), errOut.String(), tc.out, tc.errOut)
			}
		})
	}
}

func checkResult(t *testing.T, err error, wantExit int, wantRemote string) {
	t.Helper()
	var ee *stream.ExitError
	var re *stream.RemoteError
	switch {
	case wantExit != 0:
		if !errors.As(err, &ee) || ee.Code != wantExit {
			t.Errorf("err = %v, want exit code %d", err, wantExit)
		}
	case wantRemote != "":
		if !errors.As(err, &re) || !strings.Contains(re.Message, wantRemote) {
			t.Errorf("err = %v, want remote error %q", err, wantRemote)
		}
	case err != nil:
		t.Errorf("err = %v", err)
	}
}

func TestExecWebSocketV4(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	req := execReq("readline", "printf", "x", "stderr", "e", "exit", "7")
	req.Stdin = true
	var out, errOut syncBuffer
	err := stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, req), stream.WebSocket),
		stream.IO{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errOut})
	checkResult(t, err, 7, "")
	if out.String() != "got hello\nx" || errOut.String() != "e" {
		t.Errorf("stdout %q stderr %q", out.String(), errOut.String())
	}
}

func TestTTYResizeAndDetach(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	for _, tr := range []stream.Transport{stream.SPDY, stream.WebSocket} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			req := &runtimeapi.ExecRequest{ContainerId: "c1", Cmd: []string{"tty", "size"}, Stdin: true, Stdout: true, Tty: true}
			inR, inW := io.Pipe()
			var out syncBuffer
			resize := make(chan stream.Size, 2)
			resize <- stream.Size{Width: 100, Height: 30}
			ready := make(chan struct{})
			keys, err := stream.ParseDetachKeys("ctrl-p,ctrl-q")
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() {
				errc <- stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, req), tr), stream.IO{
					Stdin: inR, Stdout: &out, TTY: true, Resize: resize, DetachKeys: keys,
					Ready: func() error { close(ready); return nil },
				})
			}()
			<-ready
			waitFor(t, func() bool { return strings.Contains(out.String(), "30 100\n") })
			resize <- stream.Size{Width: 80, Height: 24}
			waitFor(t, func() bool { return strings.Contains(out.String(), "24 80\n") })
			// ctrl-p then x is passed on; ctrl-p ctrl-q detaches.
			inW.Write([]byte("\x10x"))
			inW.Write([]byte("\x10\x11"))
			select {
			case err := <-errc:
				if !errors.Is(err, stream.ErrDetached) {
					t.Errorf("err = %v, want ErrDetached", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("detach keys did not end the session")
			}
			if !strings.HasPrefix(out.String(), "tty\n") {
				t.Errorf("output %q", out.String())
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blackhole accepts connections and never answers.
func blackhole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String() + "/exec/abc"
}

func TestBlackholeTimesOut(t *testing.T) {
	t.Parallel()
	for _, tr := range []stream.Transport{stream.SPDY, stream.WebSocket} {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			tg := target(t, blackhole(t), tr)
			tg.Timeout = 300 * time.Millisecond
			start := time.Now()
			err := stream.RemoteCommand(context.Background(), tg, stream.IO{Stdout: io.Discard})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if err == nil || !strings.Contains(err.Error(), "did not answer within 300ms") {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("port-forward", func(t *testing.T) {
		t.Parallel()
		tg := target(t, blackhole(t), stream.SPDY)
		tg.Timeout = 300 * time.Millisecond
		_, err := stream.DialPortForward(context.Background(), tg)
		if err == nil || !strings.Contains(err.Error(), "did not answer within 300ms") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestCancelEndsSessionAtOnce(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	cases := map[string]func() string{
		"blocked command": func() string { return srv.ExecURL(t, execReq("sleep")) },
		"blackhole":       func() string { return blackhole(t) },
	}
	for name, url := range cases {
		for _, tr := range []stream.Transport{stream.SPDY, stream.WebSocket} {
			t.Run(name+"/"+string(tr), func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithCancel(context.Background())
				tg := target(t, url(), tr)
				tg.Timeout = 0
				errc := make(chan error, 1)
				go func() { errc <- stream.RemoteCommand(ctx, tg, stream.IO{Stdout: io.Discard, Stderr: io.Discard}) }()
				time.Sleep(100 * time.Millisecond)
				cancel()
				select {
				case err := <-errc:
					if !errors.Is(err, context.Canceled) {
						t.Errorf("err = %v", err)
					}
				case <-time.After(time.Second):
					t.Fatal("cancel did not end the session within 1s")
				}
			})
		}
	}
}

func TestUpgradeRefusals(t *testing.T) {
	t.Parallel()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "http://198.51.100.1/exec/x", http.StatusFound)
		case "/forbidden":
			http.Error(w, "websocket not supported", http.StatusForbidden)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	for _, tc := range []struct {
		path string
		tr   stream.Transport
		want []string
	}{
		{"/redirect", stream.SPDY, []string{"302 Found", "redirect to http://198.51.100.1/exec/x", "refused"}},
		{"/redirect", stream.WebSocket, []string{"302 Found", "redirects are refused"}},
		{"/forbidden", stream.WebSocket, []string{"403 Forbidden", "websocket not supported"}},
		{"/gone", stream.SPDY, []string{"404 Not Found"}},
	} {
		err := stream.RemoteCommand(context.Background(), target(t, hs.URL+tc.path, tc.tr), stream.IO{Stdout: io.Discard})
		var ue *stream.UpgradeError
		if !errors.As(err, &ue) {
			t.Errorf("%s %s: err = %v, want an UpgradeError", tc.tr, tc.path, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %s: %q lacks %q", tc.tr, tc.path, err, w)
			}
		}
	}
}

func TestURLIsSingleUse(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	url := srv.ExecURL(t, execReq("echo", "hi"))
	if err := stream.RemoteCommand(context.Background(), target(t, url, stream.SPDY), stream.IO{Stdout: io.Discard, Stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	err := stream.RemoteCommand(context.Background(), target(t, url, stream.SPDY), stream.IO{Stdout: io.Discard, Stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("second use: %v", err)
	}
}

type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLocalFailuresEndTheSession(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	err := stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, execReq("echo", "x", "sleep")), stream.SPDY),
		stream.IO{Stdout: panicWriter{}, Stderr: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("panic: err = %v", err)
	}
	err = stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, execReq("echo", "x", "sleep")), stream.SPDY),
		stream.IO{Stdout: failWriter{}, Stderr: io.Discard})
	var we *stream.LocalWriteError
	if !errors.As(err, &we) {
		t.Errorf("write failure: err = %v", err)
	}
}

func TestReadyErrorEndsSession(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	want := errors.New("no terminal")
	err := stream.RemoteCommand(context.Background(), target(t, srv.ExecURL(t, execReq("sleep")), stream.SPDY),
		stream.IO{Stdout: io.Discard, Ready: func() error { return want }})
	if !errors.Is(err, want) {
		t.Errorf("err = %v", err)
	}
}

func TestPortForward(t *testing.T) {
	t.Parallel()
	srv := streamfake.Start(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	t.Cleanup(hs.Close)
	srv.Ports[80] = hs.Listener.Addr().String()
	resp, err := srv.GetPortForward(&runtimeapi.PortForwardRequest{PodSandboxId: "pod1"})
	if err != nil {
		t.Fatal(err)
	}
	pf, err := stream.DialPortForward(context.Background(), target(t, resp.Url, stream.SPDY))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errs := make(chan error, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { errs <- pf.Forward(c, 80) }()
		}
	}()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for i := 0; i < 3; i++ {
		r, err := client.Get(fmt.Sprintf("http://%s/x%d", ln.Addr(), i))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if string(body) != fmt.Sprintf("hello from /x%d", i) {
			t.Errorf("body %q", body)
		}
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Errorf("forward: %v", err)
		}
	}
	// A port nothing listens on: the server's message comes back.
	a, b := net.Pipe()
	go a.Close()
	err = pf.Forward(b, 81)
	var re *stream.RemoteError
	if !errors.As(err, &re) || !strings.Contains(re.Message, "nothing listens on port 81") {
		t.Errorf("err = %v", err)
	}
}
