package logs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rotatedDir makes a directory with lines 0-9 in an old compressed file,
// 10-19 in a compressed file, 20-29 in the newest rotated file and 30-34 in
// the live file, plus files that must be ignored.
func rotatedDir(t *testing.T) string {
	d := logDir(t)
	writeGz(t, filepath.Join(d, "0.log.20260101-000000.gz"), numbered(0, 10, "stdout"))
	writeGz(t, filepath.Join(d, "0.log.20260101-120000.gz"), numbered(10, 20, "stdout"))
	writeFile(t, filepath.Join(d, "0.log.20260102-000000"), numbered(20, 30, "stdout"))
	// kubelet compressing the newest rotated file: X and X.gz both exist.
	writeGz(t, filepath.Join(d, "0.log.20260102-000000.gz"), numbered(20, 30, "stdout"))
	writeFile(t, filepath.Join(d, "0.log.20260102-000000.tmp"), "garbage\n")
	writeFile(t, filepath.Join(d, "1.log"), numbered(100, 110, "stdout"))
	writeFile(t, filepath.Join(d, "0.log.backup"), "garbage\n")
	return writeFile(t, filepath.Join(d, "0.log"), numbered(30, 35, "stdout"))
}

func TestTailRotated(t *testing.T) {
	t.Parallel()
	p := rotatedDir(t)
	for _, tt := range []struct {
		tail     int64
		from, to int
	}{
		{-1, 0, 35}, {0, 35, 35}, {1, 34, 35}, {5, 30, 35}, {6, 29, 35}, {12, 23, 35},
		{15, 20, 35}, {16, 19, 35}, {25, 10, 35}, {30, 5, 35}, {35, 0, 35}, {1000, 0, 35},
	} {
		r := readOpts(t, p, Options{Tail: tt.tail})
		if r.err != nil || r.warn != "" {
			t.Fatalf("tail %d: %v %s", tt.tail, r.err, r.warn)
		}
		if w := want(tt.from, tt.to); r.stdout != w {
			t.Errorf("tail %d:\n got %q\nwant %q", tt.tail, r.stdout, w)
		}
	}
}

func TestTailCopytruncateNames(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	writeGz(t, filepath.Join(d, "0.log.3.gz"), numbered(0, 3, "stdout"))
	writeGz(t, filepath.Join(d, "0.log.2.gz"), numbered(3, 6, "stdout"))
	writeFile(t, filepath.Join(d, "0.log.1"), numbered(6, 9, "stdout"))
	p := writeFile(t, filepath.Join(d, "0.log"), numbered(9, 12, "stdout"))
	for _, tail := range []int64{-1, 2, 4, 8, 12} {
		r := readOpts(t, p, Options{Tail: tail})
		from := 0
		if tail >= 0 {
			from = max(0, 12-int(tail))
		}
		if r.err != nil || r.stdout != want(from, 12) {
			t.Errorf("tail %d: %v\n%q", tail, r.err, r.stdout)
		}
	}
}

func TestTailLogicalLinesAndStreams(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	var outs, errs []string
	for i := range 40 {
		switch i % 3 {
		case 0:
			// A stdout line in three chunks with a stderr line between.
			b.WriteString(cri(at(i), "stdout", "P", fmt.Sprintf("o%d-a ", i)))
			b.WriteString(cri(at(i), "stderr", "F", fmt.Sprintf("e%d", i)))
			b.WriteString(cri(at(i), "stdout", "P", "b "))
			b.WriteString(cri(at(i), "stdout", "F", "c"))
			outs = append(outs, fmt.Sprintf("o%d-a b c\n", i))
			errs = append(errs, fmt.Sprintf("e%d\n", i))
		case 1:
			b.WriteString(cri(at(i), "stdout", "F", fmt.Sprintf("o%d", i)))
			outs = append(outs, fmt.Sprintf("o%d\n", i))
		default:
			b.WriteString(cri(at(i), "stderr", "P", fmt.Sprintf("e%d-a ", i)))
			b.WriteString(cri(at(i), "stderr", "F", "b"))
			errs = append(errs, fmt.Sprintf("e%d-a b\n", i))
		}
	}
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), b.String())
	last := func(s []string, n int) string { return strings.Join(s[max(0, len(s)-n):], "") }
	for _, n := range []int{0, 1, 2, 5, 13, 30, 100} {
		r := readOpts(t, p, Options{Tail: int64(n), Stream: Stdout})
		if r.err != nil || r.stdout != last(outs, n) || r.stderr != "" {
			t.Errorf("stdout tail %d: %v\n got %q\nwant %q", n, r.err, r.stdout, last(outs, n))
		}
		r = readOpts(t, p, Options{Tail: int64(n), Stream: Stderr})
		if r.err != nil || r.stderr != last(errs, n) || r.stdout != "" {
			t.Errorf("stderr tail %d: %v\n got %q\nwant %q", n, r.err, r.stderr, last(errs, n))
		}
		r = readOpts(t, p, Options{Tail: int64(n)})
		if got := strings.Count(r.stdout, "\n") + strings.Count(r.stderr, "\n"); r.err != nil || got != min(n, len(outs)+len(errs)) {
			t.Errorf("both tail %d: %v, %d lines", n, r.err, got)
		}
		if !strings.HasSuffix(strings.Join(outs, ""), r.stdout) || !strings.HasSuffix(strings.Join(errs, ""), r.stderr) {
			t.Errorf("both tail %d: not a suffix:\n%q\n%q", n, r.stdout, r.stderr)
		}
	}
}

func TestSinceUntil(t *testing.T) {
	t.Parallel()
	p := rotatedDir(t)
	for _, tt := range []struct {
		since, until int // seconds after t0; -1 unset
		tail         int64
		from, to     int
	}{
		{since: 0, until: -1, tail: -1, from: 0, to: 35},
		{since: 3, until: -1, tail: -1, from: 3, to: 35},
		{since: 15, until: -1, tail: -1, from: 15, to: 35},
		{since: 25, until: -1, tail: -1, from: 25, to: 35},
		{since: 33, until: -1, tail: -1, from: 33, to: 35},
		{since: 40, until: -1, tail: -1, from: 35, to: 35},
		{since: -1, until: 12, tail: -1, from: 0, to: 13},
		{since: 5, until: 27, tail: -1, from: 5, to: 28},
		{since: 5, until: 27, tail: 4, from: 24, to: 28},
		{since: 25, until: -1, tail: 100, from: 25, to: 35},
		{since: -1, until: 17, tail: 3, from: 15, to: 18},
	} {
		opts := Options{Tail: tt.tail}
		if tt.since >= 0 {
			opts.Since = at(tt.since)
		}
		if tt.until >= 0 {
			opts.Until = at(tt.until)
		}
		r := readOpts(t, p, opts)
		if w := want(tt.from, tt.to); r.err != nil || r.stdout != w {
			t.Errorf("%+v: %v\n got %q\nwant %q", tt, r.err, r.stdout, w)
		}
	}
}

// TestSinceLogicalLine checks that Since is decided once per logical line,
// by its first chunk.
func TestSinceLogicalLine(t *testing.T) {
	t.Parallel()
	file := cri(at(1), "stdout", "P", "old-a ") + cri(at(5), "stdout", "F", "old-b") + cri(at(6), "stdout", "F", "new")
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), file)
	r := readOpts(t, p, Options{Tail: -1, Since: at(4)})
	if r.stdout != "new\n" {
		t.Errorf("got %q", r.stdout)
	}
}

// bigLog writes n lines of about 130 bytes, 1 ms apart, every tenth on stderr.
func bigLog(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b []byte
	for i := range n {
		stream := "stdout"
		if i%10 == 9 {
			stream = "stderr"
		}
		b = fmt.Appendf(b, "%s %s F line %08d %s\n", t0.Add(time.Duration(i)*time.Millisecond).Format(tsOutLayout), stream, i, strings.Repeat("x", 70))
		if len(b) > 1<<20 {
			f.Write(b)
			b = b[:0]
		}
	}
	f.Write(b)
}

// TestSeekReadsLittle checks that Tail and Since do not read the whole file.
func TestSeekReadsLittle(t *testing.T) {
	t.Parallel()
	p := filepath.Join(logDir(t), "0.log")
	const n = 200_000 // about 27 MB
	bigLog(t, p, n)
	fi, _ := os.Stat(p)
	for _, tt := range []struct {
		name  string
		opts  Options
		first int
		lines int
	}{
		{"tail", Options{Tail: 100}, n - 100, 100},
		{"tail stderr", Options{Tail: 10, Stream: Stderr}, n - 91, 10},
		{"since", Options{Tail: -1, Since: t0.Add((n - 3000) * time.Millisecond)}, n - 3000, 3000},
		{"since until", Options{Tail: -1, Since: t0.Add(n / 2 * time.Millisecond), Until: t0.Add((n/2 + 99) * time.Millisecond)}, n / 2, 100},
		{"until tail", Options{Tail: 5, Until: t0.Add(n / 3 * time.Millisecond)}, n/3 - 4, 5},
	} {
		var read atomic.Int64
		ctx := context.WithValue(context.Background(), countKey{}, &read)
		r := readCtx(ctx, p, tt.opts)
		if r.err != nil {
			t.Fatal(r.err)
		}
		out := r.stdout + r.stderr
		if got := strings.Count(out, "\n"); got != tt.lines && tt.opts.Stream == Both {
			if want := tt.lines - tt.lines/10; got < want-1 || got > tt.lines {
				t.Errorf("%s: %d lines", tt.name, got)
			}
		}
		if first := fmt.Sprintf("line %08d", tt.first); !strings.Contains(out, first) || strings.Contains(out, fmt.Sprintf("line %08d", tt.first-1)) {
			t.Errorf("%s: output does not start at %s:\n%.300s", tt.name, first, out)
		}
		if read.Load() > 4<<20 {
			t.Errorf("%s: read %d of %d bytes", tt.name, read.Load(), fi.Size())
		}
		t.Logf("%s: read %d of %d bytes", tt.name, read.Load(), fi.Size())
	}
}
