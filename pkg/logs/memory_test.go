package logs

import (
	"bufio"
	"context"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// hugeMiB is the size of the huge lines; LOGS_HUGE_MIB=300 runs the manual
// check described in doc.go.
func hugeMiB(t *testing.T) int {
	if s := os.Getenv("LOGS_HUGE_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	return 64
}

// crcWriter checksums what it is given, keeping nothing.
type crcWriter struct {
	crc uint32
	n   int64
}

func (w *crcWriter) Write(p []byte) (int, error) {
	w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	w.n += int64(len(p))
	return len(p), nil
}

// hugeFile writes a log whose content is produced by body in 1 MiB pieces and
// returns the checksum of the content the reader should print.
func hugeFile(t *testing.T, path string, body func(w *bufio.Writer, expect *crcWriter)) *crcWriter {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	expect := &crcWriter{}
	body(w, expect)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return expect
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

func checkBounded(t *testing.T, name, path string, opts Options, expect *crcWriter) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := &crcWriter{}
	if err := Read(context.Background(), path, opts, got, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got.n != expect.n || got.crc != expect.crc {
		t.Errorf("%s: printed %d bytes (crc %x), want %d (crc %x)", name, got.n, got.crc, expect.n, expect.crc)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if alloc > 8<<20 {
		t.Errorf("%s: allocated %d bytes to print %d", name, alloc, got.n)
	}
	t.Logf("%s: printed %d bytes, allocated %d bytes; peak RSS of the test process %s", name, got.n, alloc, peakRSS())
}

// TestHugeLines checks that lines far larger than any buffer stream out whole
// with bounded memory. Not parallel: it measures allocations.
func TestHugeLines(t *testing.T) {
	size := hugeMiB(t) << 20
	d := logDir(t)
	chunk := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB

	p := filepath.Join(d, "cri.log")
	expect := hugeFile(t, p, func(w *bufio.Writer, e *crcWriter) {
		w.WriteString("2026-01-02T03:04:05Z stdout F ")
		for range size >> 20 {
			w.Write(chunk)
			e.Write(chunk)
		}
		w.WriteString("\n" + cri(at(1), "stdout", "F", "next"))
		e.Write([]byte("\nnext\n"))
	})
	checkBounded(t, "one CRI line", p, all(), expect)
	checkBounded(t, "one CRI line, tail 2", p, Options{Tail: 2}, expect)

	p = filepath.Join(d, "nonl.log")
	expect = hugeFile(t, p, func(w *bufio.Writer, e *crcWriter) {
		w.WriteString("2026-01-02T03:04:05Z stdout F ")
		for range size >> 20 {
			w.Write(chunk)
			e.Write(chunk)
		}
	})
	checkBounded(t, "no newline at all", p, all(), expect)

	p = filepath.Join(d, "partial.log")
	expect = hugeFile(t, p, func(w *bufio.Writer, e *crcWriter) {
		e.Write([]byte("2026-01-02T03:04:05.000000000Z "))
		for i := range size >> 14 {
			w.WriteString(cri(at(i), "stdout", "P", string(chunk[:16<<10])))
			if i%7 == 0 {
				w.WriteString(cri(at(i), "stderr", "F", "interleaved"))
			}
			e.Write(chunk[:16<<10])
		}
		w.WriteString(cri(at(1<<20), "stdout", "F", "end"))
		e.Write([]byte("end\n"))
	})
	checkBounded(t, "16 KiB partial chunks", p, Options{Tail: 1, Timestamps: true, Stream: Stdout}, expect)

	p = filepath.Join(d, "json.log")
	jsonMiB := max(1, size>>22)
	expect = hugeFile(t, p, func(w *bufio.Writer, e *crcWriter) {
		w.WriteString(`{"log":"`)
		piece := strings.Repeat(`\u00e9\"x\\`, 1<<16)
		for range jsonMiB {
			w.WriteString(piece)
			e.Write([]byte(strings.Repeat("é\"x\\", 1<<16)))
		}
		w.WriteString(`\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n")
		e.Write([]byte("\n"))
	})
	checkBounded(t, "docker json-file line", p, all(), expect)
}
