package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// cri builds one CRI log line.
func cri(t time.Time, stream, tag, content string) string {
	return t.Format(time.RFC3339Nano) + " " + stream + " " + tag + " " + content + "\n"
}

// at returns t0 plus i seconds.
func at(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }

// numbered returns CRI lines "line <i>" for i in [from, to), one second apart.
func numbered(from, to int, stream string) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(cri(at(i), stream, "F", fmt.Sprintf("line %d", i)))
	}
	return b.String()
}

func want(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeGz(t testing.TB, path, content string) {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(content))
	zw.Close()
	writeFile(t, path, b.String())
}

// logDir returns a kubelet-like container log directory.
func logDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "ns_pod_uid", "ctr")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

type result struct {
	stdout, stderr, warn string
	err                  error
}

func readOpts(t testing.TB, path string, opts Options) result {
	t.Helper()
	return readCtx(context.Background(), path, opts)
}

func readCtx(ctx context.Context, path string, opts Options) result {
	var o, e, w bytes.Buffer
	err := Read(ctx, path, opts, &o, &e, &w, nil)
	return result{o.String(), e.String(), w.String(), err}
}

func all() Options { return Options{Tail: -1} }

// syncBuffer is a bytes.Buffer safe for a concurrent reader.
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

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
