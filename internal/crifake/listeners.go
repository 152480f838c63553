package crifake

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// The raw listeners below misbehave below gRPC, for connection tests. Each
// serves <dir>/<kind>.sock, so several can share one directory, and returns
// the "unix://" endpoint and a stop function that closes the listener and
// every connection and waits for its goroutines.

// ListenHang accepts connections and never reads nor writes: the client
// sees no HTTP/2 preface.
func ListenHang(dir string) (string, func(), error) {
	return serveRaw(dir, "hang.sock", func(net.Conn) {})
}

// ListenReadNoAnswer accepts connections and reads everything sent, never
// answering.
func ListenReadNoAnswer(dir string) (string, func(), error) {
	return serveRaw(dir, "readnoanswer.sock", func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c)
	})
}

// ListenClose accepts connections and closes them at once.
func ListenClose(dir string) (string, func(), error) {
	return serveRaw(dir, "close.sock", func(c net.Conn) { _ = c.Close() })
}

// http1Reply is what an HTTP/1.1 server says to an HTTP/2 preface.
const http1Reply = "HTTP/1.1 400 Bad Request\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"400 Bad Request"

// ListenHTTP1 answers every connection with an HTTP/1.1 400 response, then
// reads until the client hangs up. Closing first would let the client fail
// on its own write (EPIPE) before it reads the reply.
func ListenHTTP1(dir string) (string, func(), error) {
	return serveRaw(dir, "http1.sock", func(c net.Conn) {
		_, _ = io.WriteString(c, http1Reply)
		_, _ = io.Copy(io.Discard, c)
		_ = c.Close()
	})
}

// StaleSocket leaves a socket file whose listener is closed, so connecting
// fails with ECONNREFUSED. stop removes the file.
func StaleSocket(dir string) (string, func(), error) {
	p, err := socketPath(dir, "stale.sock")
	if err != nil {
		return "", nil, err
	}
	lis, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		return "", nil, fmt.Errorf("crifake: listen: %w", err)
	}
	lis.SetUnlinkOnClose(false)
	if err := lis.Close(); err != nil {
		return "", nil, fmt.Errorf("crifake: close: %w", err)
	}
	return "unix://" + p, func() { _ = os.Remove(p) }, nil
}

// serveRaw accepts on <dir>/<name> and runs handle on each connection in
// its own goroutine.
func serveRaw(dir, name string, handle func(net.Conn)) (string, func(), error) {
	p, err := socketPath(dir, name)
	if err != nil {
		return "", nil, err
	}
	lis, err := net.Listen("unix", p)
	if err != nil {
		return "", nil, fmt.Errorf("crifake: listen: %w", err)
	}
	var (
		mu      sync.Mutex
		conns   []net.Conn
		stopped bool
		wg      sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if stopped {
				mu.Unlock()
				_ = c.Close()
				return
			}
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = lis.Close()
			mu.Lock()
			stopped = true
			for _, c := range conns {
				_ = c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
	}
	return "unix://" + p, stop, nil
}

// ListenLate binds <dir>/late.sock without listening, so connecting fails
// with ECONNREFUSED (a runtime that is starting, its socket already
// there), and returns the endpoint and listen, which starts listening on
// the same socket and serves s, with no moment in which the file is gone.
func (s *Server) ListenLate(dir string) (string, func() error, error) {
	p, err := socketPath(dir, "late.sock")
	if err != nil {
		return "", nil, err
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("crifake: socket: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: p}); err != nil {
		_ = syscall.Close(fd)
		return "", nil, fmt.Errorf("crifake: bind: %w", err)
	}
	listen := func() error {
		if err := syscall.Listen(fd, 128); err != nil {
			return fmt.Errorf("crifake: listen: %w", err)
		}
		f := os.NewFile(uintptr(fd), p)
		lis, err := net.FileListener(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("crifake: listener: %w", err)
		}
		s.lifeMu.Lock()
		defer s.lifeMu.Unlock()
		if s.closed {
			_ = lis.Close()
			return errors.New("crifake: ListenLate on a closed server")
		}
		s.serveWG.Add(1)
		go func() {
			defer s.serveWG.Done()
			_ = s.grpc.Serve(lis)
		}()
		return nil
	}
	return "unix://" + p, listen, nil
}
