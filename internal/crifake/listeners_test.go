package crifake_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

func versionWithin(t *testing.T, endpoint string, timeout time.Duration) (time.Duration, error) {
	t.Helper()
	c := dial(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	begin := time.Now()
	_, err := c.rt.Version(ctx, &runtimeapi.VersionRequest{})
	return time.Since(begin), err
}

func TestRawListeners(t *testing.T) {
	t.Parallel()
	dir := crifake.ShortTempDir(t)
	tests := []struct {
		name     string
		listen   func(string) (string, func(), error)
		code     codes.Code
		msgParts []string
	}{
		{"hang", crifake.ListenHang, codes.DeadlineExceeded, nil},
		{"read no answer", crifake.ListenReadNoAnswer, codes.DeadlineExceeded, nil},
		{"close", crifake.ListenClose, codes.Unavailable, nil},
		{"http1", crifake.ListenHTTP1, codes.Unavailable, []string{"HTTP/1.1"}},
		{"stale", crifake.StaleSocket, codes.Unavailable, []string{"connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			endpoint, stop, err := tt.listen(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			took, err := versionWithin(t, endpoint, 200*time.Millisecond)
			wantCode(t, err, tt.code, "")
			for _, p := range tt.msgParts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %v does not mention %q", err, p)
				}
			}
			if took > 2*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

func TestStaleSocketRefusesAndStopRemoves(t *testing.T) {
	t.Parallel()
	dir := crifake.ShortTempDir(t)
	endpoint, stop, err := crifake.StaleSocket(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(endpoint, "unix://")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("stat %s: %v %v", path, fi, err)
	}
	if _, err := net.Dial("unix", path); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial: %v, want ECONNREFUSED", err)
	}
	stop()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket left after stop: %v", err)
	}
}

func TestHangListenerStopsWithOpenConnections(t *testing.T) {
	t.Parallel()
	dir := crifake.ShortTempDir(t)
	for _, listen := range []func(string) (string, func(), error){crifake.ListenHang, crifake.ListenReadNoAnswer} {
		endpoint, stop, err := listen(dir)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("unix", strings.TrimPrefix(endpoint, "unix://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte("hello"))
		done := make(chan struct{})
		go func() { stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("stop of %s hung", endpoint)
		}
		_ = conn.Close()
	}
}

func TestListenUnixEndpointAndPathLimit(t *testing.T) {
	t.Parallel()
	s := crifake.New()
	defer s.Close()
	dir := crifake.ShortTempDir(t)
	endpoint, err := s.ListenUnix(dir)
	if err != nil || endpoint != "unix://"+filepath.Join(dir, "cri.sock") {
		t.Fatalf("ListenUnix = %q, %v", endpoint, err)
	}
	long := filepath.Join(dir, strings.Repeat("d", 100))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListenUnix(long); err == nil || !strings.Contains(err.Error(), "sun_path") {
		t.Errorf("long path: %v", err)
	}
	if _, _, err := crifake.ListenHang(long); err == nil {
		t.Error("ListenHang accepted a long path")
	}
	_, err = versionWithin(t, endpoint, time.Second)
	if err != nil {
		t.Errorf("Version: %v", err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, "cri.sock")); !os.IsNotExist(err) {
		t.Errorf("socket left after Close: %v", err)
	}
}
