package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// follower runs Read with Follow in the background.
type follower struct {
	out, errw, warn syncBuffer
	running         atomic.Bool
	calls           atomic.Int64
	done            chan error
	cancel          context.CancelFunc
}

func follow(t *testing.T, path string, opts Options) *follower {
	t.Helper()
	f := &follower{done: make(chan error, 1)}
	f.running.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	t.Cleanup(cancel)
	opts.Follow = true
	go func() {
		f.done <- Read(ctx, path, opts, &f.out, &f.errw, &f.warn, func(context.Context) (bool, error) {
			f.calls.Add(1)
			return f.running.Load(), nil
		})
	}()
	return f
}

// stop reports the container as exited and waits for Read to return.
func (f *follower) stop(t *testing.T) {
	t.Helper()
	f.running.Store(false)
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after the container exited")
	}
}

// appender writes lines the way a runtime does: O_APPEND, one write per line.
type appender struct {
	t *testing.T
	f *os.File
}

func openAppend(t *testing.T, path string) *appender {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &appender{t, f}
}

func (a *appender) lines(from, to int) {
	for i := from; i < to; i++ {
		if _, err := a.f.WriteString(cri(at(i), "stdout", "F", fmt.Sprintf("line %d", i))); err != nil {
			a.t.Error(err)
		}
		if i%7 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func checkOutput(t *testing.T, f *follower, wantOut string) {
	t.Helper()
	if got := f.out.String(); got != wantOut {
		t.Errorf("output mismatch: %s", diff(got, wantOut))
	}
	if w := f.warn.String(); w != "" {
		t.Errorf("warnings: %s", w)
	}
}

// diff describes where got first differs from want, line by line.
func diff(got, want string) string {
	g, w := strings.SplitAfter(got, "\n"), strings.SplitAfter(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q (%d lines, want %d)", i+1, gl, wl, len(g), len(w))
		}
	}
	return "equal"
}

func TestFollowUntilExit(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 5, "stdout"))
	f := follow(t, p, Options{Tail: -1})
	openAppend(t, p).lines(5, 300)
	f.stop(t)
	checkOutput(t, f, want(0, 300))
}

func TestFollowTail(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 50, "stdout"))
	f := follow(t, p, Options{Tail: 3})
	waitFor(t, "tail", func() bool { return f.out.String() == want(47, 50) })
	openAppend(t, p).lines(50, 60)
	f.stop(t)
	checkOutput(t, f, want(47, 60))
}

func TestFollowTailZero(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 50, "stdout"))
	f := follow(t, p, Options{Tail: 0})
	time.Sleep(50 * time.Millisecond)
	openAppend(t, p).lines(50, 60)
	f.stop(t)
	checkOutput(t, f, want(50, 60))
}

func TestFollowRenameRotation(t *testing.T) {
	t.Parallel()
	for _, quick := range []bool{false, true} {
		t.Run(fmt.Sprintf("quick=%v", quick), func(t *testing.T) {
			t.Parallel()
			d := logDir(t)
			p := writeFile(t, filepath.Join(d, "0.log"), numbered(0, 5, "stdout"))
			f := follow(t, p, Options{Tail: -1})
			a := openAppend(t, p)
			a.lines(5, 100)
			if !quick {
				waitFor(t, "line 99", func() bool { return strings.Contains(f.out.String(), "line 99\n") })
			}
			// kubelet renames; the runtime writes a little more to the old
			// file before it reopens.
			if err := os.Rename(p, filepath.Join(d, "0.log.20260102-000001")); err != nil {
				t.Fatal(err)
			}
			a.lines(100, 110)
			b := openAppend(t, p)
			b.lines(110, 200)
			// A second rotation, which the reader may miss in quick mode.
			if err := os.Rename(p, filepath.Join(d, "0.log.20260102-000002")); err != nil {
				t.Fatal(err)
			}
			b.lines(200, 205)
			openAppend(t, p).lines(205, 300)
			f.stop(t)
			checkOutput(t, f, want(0, 300))
		})
	}
}

func TestFollowCopytruncate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		caughtUp  bool // the reader has read everything before the rotation
		regrowBig bool // the live file grows past the old offset at once
		nonAppend bool // the writer does not use O_APPEND: a NUL hole
	}{
		{name: "caught up", caughtUp: true},
		{name: "behind"},
		{name: "regrow", caughtUp: true, regrowBig: true},
		{name: "behind regrow", regrowBig: true},
		{name: "NUL hole", caughtUp: true, nonAppend: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := logDir(t)
			p := writeFile(t, filepath.Join(d, "0.log"), numbered(0, 5, "stdout"))
			f := follow(t, p, Options{Tail: -1})
			a := openAppend(t, p)
			if tt.nonAppend {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				w.Seek(0, io.SeekEnd)
				a = &appender{t, w}
			}
			a.lines(5, 100)
			if tt.caughtUp {
				waitFor(t, "line 99", func() bool { return strings.Contains(f.out.String(), "line 99\n") })
			}
			// logrotate copytruncate: copy, then truncate in place.
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(d, "0.log.1"), string(data))
			next := 110
			if tt.regrowBig {
				// Build the new content first so that it lands at once.
				var b strings.Builder
				for i := 100; i < 200; i++ {
					b.WriteString(cri(at(i), "stdout", "F", fmt.Sprintf("line %d", i)))
				}
				if err := os.Truncate(p, 0); err != nil {
					t.Fatal(err)
				}
				a.f.WriteString(b.String())
				next = 200
			} else {
				if err := os.Truncate(p, 0); err != nil {
					t.Fatal(err)
				}
				a.lines(100, 110)
			}
			a.lines(next, 300)
			f.stop(t)
			if got := f.out.String(); got != want(0, 300) {
				t.Errorf("output mismatch: %s", diff(got, want(0, 300)))
			}
			if w := f.warn.String(); (w != "") != tt.nonAppend || (tt.nonAppend && !strings.Contains(w, "NUL bytes")) {
				t.Errorf("warnings: %q", w)
			}
		})
	}
}

func TestFollowIncompleteLine(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), cri(at(0), "stdout", "F", "first"))
	f := follow(t, p, Options{Tail: -1, Timestamps: true})
	a := openAppend(t, p)
	waitFor(t, "first", func() bool { return strings.Contains(f.out.String(), "first\n") })
	a.f.WriteString(at(1).Format(time.RFC3339Nano) + " stdout F hel")
	time.Sleep(100 * time.Millisecond)
	a.f.WriteString("lo\n")
	a.f.WriteString(cri(at(2), "stdout", "P", "part-a "))
	a.f.WriteString(cri(at(3), "stderr", "F", "err"))
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(f.out.String(), "part-a") {
		t.Error("a partial line was printed before it was complete")
	}
	a.f.WriteString(cri(at(4), "stdout", "P", "part-b "))
	time.Sleep(50 * time.Millisecond)
	a.f.WriteString(cri(at(5), "stdout", "F", "part-c"))
	// An incomplete header at the end while following is waited for too.
	a.f.WriteString("2026-01-02T03:0")
	time.Sleep(50 * time.Millisecond)
	a.f.WriteString("4:11Z stdout F last\n")
	f.stop(t)
	checkOutput(t, f, "2026-01-02T03:04:05.000000000Z first\n2026-01-02T03:04:06.000000000Z hello\n"+
		"2026-01-02T03:04:07.000000000Z part-a part-b part-c\n2026-01-02T03:04:11.000000000Z last\n")
	if got := f.errw.String(); got != "2026-01-02T03:04:08.000000000Z err\n" {
		t.Errorf("stderr %q", got)
	}
}

func TestFollowDrainsIncompleteLineAtExit(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), cri(at(0), "stdout", "F", "first")+cri(at(1), "stdout", "P", "unfinished"))
	f := follow(t, p, Options{Tail: -1})
	time.Sleep(50 * time.Millisecond)
	f.stop(t)
	checkOutput(t, f, "first\nunfinished")
}

func TestFollowCancel(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 5, "stdout"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Read(ctx, p, Options{Tail: -1, Follow: true}, io.Discard, io.Discard, io.Discard, nil) }()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("took %v to return", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read did not return after cancel")
	}
}

func TestFollowChecksRunningRarely(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 5, "stdout"))
	f := follow(t, p, Options{Tail: -1})
	a := openAppend(t, p)
	// Busy writing, then idle: at most about one check a second.
	for i := 5; i < 200; i++ {
		a.lines(i, i+1)
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	f.stop(t)
	if n := f.calls.Load(); n < 1 || n > 4 {
		t.Errorf("Running called %d times in about 1.5 s", n)
	}
	checkOutput(t, f, want(0, 200))
}

func TestFollowRunningError(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 5, "stdout"))
	var warn syncBuffer
	var calls atomic.Int64
	err := Read(context.Background(), p, Options{Tail: -1, Follow: true}, io.Discard, io.Discard, &warn,
		func(context.Context) (bool, error) {
			if calls.Add(1) < 3 {
				return false, errors.New("rpc error: code = Unavailable")
			}
			return false, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(warn.String(), "\n"); n != 1 || !strings.Contains(warn.String(), "Unavailable") {
		t.Errorf("warnings: %q", warn.String())
	}
}

func TestFollowUntilInThePast(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 5, "stdout"))
	r := readOpts(t, p, Options{Tail: -1, Follow: true, Until: at(3)})
	if r.err != nil || r.stdout != want(0, 4) {
		t.Errorf("%v %q", r.err, r.stdout)
	}
}

func TestFollowLimitBytes(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 2, "stdout"))
	f := follow(t, p, Options{Tail: -1, LimitBytes: 20})
	openAppend(t, p).lines(2, 5)
	select {
	case err := <-f.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop at the byte limit")
	}
	if got := f.out.String(); got != "line 0\nline 1\nline 2\n"[:20] {
		t.Errorf("%q", got)
	}
}

func TestNotRegularRefused(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	fifo := filepath.Join(d, "fifo.log")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(d, "s.log")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	target := writeFile(t, filepath.Join(d, "target"), cri(at(0), "stdout", "F", "via symlink"))
	link := filepath.Join(d, "link.log")
	os.Symlink(target, link)
	fifoLink := filepath.Join(d, "fifolink.log")
	os.Symlink(fifo, fifoLink)
	for _, tt := range []struct {
		path, err string
	}{
		{fifo, "named pipe"},
		{fifoLink, "named pipe"},
		{d, "directory"},
		{"/dev/null", "character device"},
		{sock, "socket"},
		{"relative/0.log", "not absolute"},
		{filepath.Join(d, "missing.log"), "no such file"},
	} {
		for _, follow := range []bool{false, true} {
			done := make(chan result, 1)
			go func() { done <- readOpts(t, tt.path, Options{Tail: -1, Follow: follow}) }()
			select {
			case r := <-done:
				if r.err == nil || !strings.Contains(r.err.Error(), tt.err) {
					t.Errorf("%s: got %v, want an error about %q", tt.path, r.err, tt.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: Read hangs", tt.path)
			}
		}
	}
	if r := readOpts(t, link, all()); r.err != nil || r.stdout != "via symlink\n" {
		t.Errorf("symlink to a regular file: %v %q", r.err, r.stdout)
	}
}

func TestReadManyMerged(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	var a, b strings.Builder
	for i := range 20 {
		line := cri(at(i), "stdout", "F", fmt.Sprintf("line %d", i))
		if i%3 == 0 {
			line = cri(at(i), "stderr", "F", fmt.Sprintf("line %d", i))
		}
		if i%2 == 0 {
			a.WriteString(line)
		} else {
			b.WriteString(line)
		}
	}
	pa := writeFile(t, filepath.Join(d, "a.log"), a.String())
	pb := writeFile(t, filepath.Join(d, "b.log"), b.String())
	srcs := []Source{{Path: pa, Prefix: "[a] "}, {Path: pb, Prefix: "[b] "}}
	expect := func(from, to int, tail int, stream Stream, ts bool) (string, string) {
		var o, e strings.Builder
		var keep []int
		for i := from; i < to; i++ {
			if (stream == Stdout && i%3 == 0) || (stream == Stderr && i%3 != 0) {
				continue
			}
			keep = append(keep, i)
		}
		if tail >= 0 {
			var ka, kb []int
			for _, i := range keep {
				if i%2 == 0 {
					ka = append(ka, i)
				} else {
					kb = append(kb, i)
				}
			}
			ka, kb = ka[max(0, len(ka)-tail):], kb[max(0, len(kb)-tail):]
			keep = nil
			for i := from; i < to; i++ {
				for _, k := range append(append([]int{}, ka...), kb...) {
					if k == i {
						keep = append(keep, i)
					}
				}
			}
		}
		for _, i := range keep {
			w := &o
			if i%3 == 0 {
				w = &e
			}
			if ts {
				w.WriteString(at(i).Format(tsOutLayout) + " ")
			}
			fmt.Fprintf(w, "[%s] line %d\n", map[bool]string{true: "a", false: "b"}[i%2 == 0], i)
		}
		return o.String(), e.String()
	}
	for _, tt := range []struct {
		opts     Options
		from, to int
		tail     int
	}{
		{Options{Tail: -1}, 0, 20, -1},
		{Options{Tail: -1, Timestamps: true}, 0, 20, -1},
		{Options{Tail: 3}, 0, 20, 3},
		{Options{Tail: 2, Stream: Stdout}, 0, 20, 2},
		{Options{Tail: -1, Since: at(5), Until: at(14)}, 5, 15, -1},
	} {
		var o, e, w syncBuffer
		if err := ReadMany(context.Background(), srcs, tt.opts, &o, &e, &w); err != nil {
			t.Fatal(err)
		}
		wo, we := expect(tt.from, tt.to, tt.tail, tt.opts.Stream, tt.opts.Timestamps)
		if o.String() != wo || e.String() != we {
			t.Errorf("%+v:\nstdout %q\n  want %q\nstderr %q\n  want %q", tt.opts, o.String(), wo, e.String(), we)
		}
	}
}

func TestReadManyFollow(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	pa := writeFile(t, filepath.Join(d, "a.log"), "")
	pb := writeFile(t, filepath.Join(d, "b.log"), "")
	var runA, runB atomic.Bool
	runA.Store(true)
	runB.Store(true)
	srcs := []Source{
		{Path: pa, Prefix: "[a] ", Running: func(context.Context) (bool, error) { return runA.Load(), nil }},
		{Path: pb, Prefix: "[b] ", Running: func(context.Context) (bool, error) { return runB.Load(), nil }},
	}
	var o, e, w syncBuffer
	done := make(chan error, 1)
	go func() { done <- ReadMany(context.Background(), srcs, Options{Tail: -1, Follow: true}, &o, &e, &w) }()
	fa, fb := openAppend(t, pa), openAppend(t, pb)
	// Partial lines on one source must not interleave with the other's.
	fa.f.WriteString(cri(at(0), "stdout", "P", "a-start "))
	fb.f.WriteString(cri(at(1), "stdout", "F", "b-one"))
	time.Sleep(30 * time.Millisecond)
	fa.f.WriteString(cri(at(2), "stdout", "F", "a-end"))
	fb.f.WriteString(cri(at(3), "stdout", "F", "b-two"))
	waitFor(t, "four lines", func() bool { return strings.Count(o.String(), "\n") == 3 })
	runA.Store(false)
	fb.f.WriteString(cri(at(4), "stdout", "F", "b-three"))
	time.Sleep(1500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("returned before every container exited: %v", err)
	default:
	}
	runB.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not return")
	}
	for _, l := range []string{"[a] a-start a-end\n", "[b] b-one\n", "[b] b-two\n", "[b] b-three\n"} {
		if strings.Count(o.String(), l) != 1 {
			t.Errorf("%q not printed once in %q", l, o.String())
		}
	}
	if strings.Count(o.String(), "\n") != 4 {
		t.Errorf("output %q", o.String())
	}
}

func TestFollowGrowingHugeLine(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), "")
	f := follow(t, p, Options{Tail: -1, Timestamps: true})
	a := openAppend(t, p)
	piece := strings.Repeat("x", 256<<10)
	// One physical line written in pieces, then a run of partial chunks
	// interleaved with stderr lines.
	a.f.WriteString(at(1).Format(time.RFC3339Nano) + " stdout F ")
	for range 8 {
		a.f.WriteString(piece)
		time.Sleep(2 * time.Millisecond)
	}
	a.f.WriteString("\n")
	for i := range 16 {
		a.f.WriteString(cri(at(2+i), "stdout", "P", piece))
		a.f.WriteString(cri(at(2+i), "stderr", "F", "e"))
	}
	time.Sleep(50 * time.Millisecond)
	if strings.Contains(f.out.String(), at(2).Format(tsOutLayout)) {
		t.Error("a partial line was printed before it was complete")
	}
	a.f.WriteString(cri(at(30), "stdout", "F", "end"))
	f.stop(t)
	wantOut := at(1).Format(tsOutLayout) + " " + strings.Repeat(piece, 8) + "\n" +
		at(2).Format(tsOutLayout) + " " + strings.Repeat(piece, 16) + "end\n"
	if got := f.out.String(); got != wantOut {
		t.Errorf("got %d bytes, want %d", len(got), len(wantOut))
	}
	if n := strings.Count(f.errw.String(), "Z e\n"); n != 16 {
		t.Errorf("%d stderr lines", n)
	}
}

// TestFollowPartialAcrossRotation: a logical line that starts in the file
// kubelet renames and ends in the new one is printed once, whole.
func TestFollowPartialAcrossRotation(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	p := writeFile(t, filepath.Join(d, "0.log"), cri(at(0), "stdout", "F", "first"))
	f := follow(t, p, Options{Tail: -1})
	a := openAppend(t, p)
	waitFor(t, "first", func() bool { return f.out.String() == "first\n" })
	a.f.WriteString(cri(at(1), "stdout", "P", "start-"))
	time.Sleep(50 * time.Millisecond)
	os.Rename(p, filepath.Join(d, "0.log.20260102-000001"))
	b := openAppend(t, p)
	b.f.WriteString(cri(at(2), "stdout", "P", "middle-"))
	time.Sleep(50 * time.Millisecond)
	b.f.WriteString(cri(at(3), "stdout", "F", "end"))
	b.f.WriteString(cri(at(4), "stdout", "F", "after"))
	f.stop(t)
	checkOutput(t, f, "first\nstart-middle-end\nafter\n")
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteError(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 3, "stdout"))
	err := Read(context.Background(), p, all(), failWriter{syscall.EPIPE}, io.Discard, io.Discard, nil)
	if !errors.Is(err, syscall.EPIPE) {
		t.Errorf("got %v, want EPIPE", err)
	}
	err = Read(context.Background(), p, Options{Tail: -1, Follow: true}, failWriter{syscall.ENOSPC}, io.Discard, io.Discard, nil)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("follow: got %v, want ENOSPC", err)
	}
}

func TestCorruptRotatedFile(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	writeFile(t, filepath.Join(d, "0.log.20260101-000000.gz"), "not gzip at all")
	var b strings.Builder
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(numbered(0, 5, "stdout")))
	zw.Close()
	writeFile(t, filepath.Join(d, "0.log.20260101-100000.gz"), b.String()[:b.Len()-6]) // truncated
	p := writeFile(t, filepath.Join(d, "0.log"), numbered(10, 12, "stdout"))
	for _, tail := range []int64{-1, 3, 100} {
		r := readOpts(t, p, Options{Tail: tail})
		if r.err != nil || !strings.HasSuffix(r.stdout, want(10, 12)) || strings.Count(r.warn, "\n") > 2 {
			t.Errorf("tail %d: %v %q %q", tail, r.err, r.stdout, r.warn)
		}
	}
}

func TestReadManyUnterminatedLine(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	pa := writeFile(t, filepath.Join(d, "a.log"), cri(at(0), "stdout", "P", "unfinished"))
	pb := writeFile(t, filepath.Join(d, "b.log"), cri(at(1), "stdout", "F", "next"))
	var o bytes.Buffer
	err := ReadMany(context.Background(), []Source{{Path: pa, Prefix: "a| "}, {Path: pb, Prefix: "b| "}}, all(), &o, io.Discard, io.Discard)
	if err != nil || o.String() != "a| unfinished\nb| next\n" {
		t.Errorf("%v %q", err, o.String())
	}
}
