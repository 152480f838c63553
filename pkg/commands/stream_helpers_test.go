package commands

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/streamfake"
)

// streamEnv is a command test environment whose runtime hands out the URLs
// of a real CRI streaming server (k8s.io/cri-streaming) backed by
// streamfake's scripted runtime.
func streamEnv(t *testing.T) (*env, *node, *streamfake.Server) {
	t.Helper()
	e := newEnv(t)
	n := e.node()
	ss := streamfake.Start(t)
	e.srv.SetStreamServer(ss)
	return e, n, ss
}

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a command started in the background.
type running struct {
	out, errOut *lockedBuffer
	done        chan int
	cancel      context.CancelFunc
}

// start runs a command line in the background with the given stdin (an
// *os.File terminal for TTY tests); cancel is Ctrl-C.
func (e *env) start(in io.Reader, inTTY bool, args ...string) *running {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{out: &lockedBuffer{}, errOut: &lockedBuffer{}, done: make(chan int, 1), cancel: cancel}
	f := e.factory(IOStreams{In: in, Out: r.out, ErrOut: r.errOut, InTTY: inTTY})
	go func() { r.done <- Run(ctx, f, append([]string{"crictl"}, args...)) }()
	e.t.Cleanup(cancel)
	return r
}

// wait returns the exit code, failing the test after d.
func (r *running) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(d):
		t.Fatalf("the command did not end within %v (stdout %q, stderr %q)", d, r.out.String(), r.errOut.String())
	}
	return -1
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blackholeURL is a stream URL whose server accepts and never answers.
func blackholeURL(t *testing.T) string {
	t.Helper()
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
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/exec/blackhole"
}
