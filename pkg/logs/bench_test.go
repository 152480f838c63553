package logs

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchN    int // lines in the file
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

const benchBlockLines = 8192

// benchFile writes a 1 GiB CRI log (LOGS_BENCH_MIB changes the size) of
// 130-byte lines, one block of lines repeated with its seconds patched so
// that timestamps keep increasing; every tenth line is on stderr.
func benchFile(b *testing.B) string {
	benchOnce.Do(func() {
		mib := 1024
		if s := os.Getenv("LOGS_BENCH_MIB"); s != "" {
			mib, _ = strconv.Atoi(s)
		}
		benchDir, benchErr = os.MkdirTemp("", "logs-bench")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, "0.log")
		f, err := os.Create(benchPath)
		if err != nil {
			benchErr = err
			return
		}
		defer f.Close()
		var block []byte
		var lineStarts []int
		for i := range benchBlockLines {
			stream := "stdout"
			if i%10 == 9 {
				stream = "stderr"
			}
			lineStarts = append(lineStarts, len(block))
			ts := t0.Add(time.Duration(i) * (time.Second / benchBlockLines)).Format(tsOutLayout)
			block = fmt.Appendf(block, "%s %s F GET /api/v1/namespaces/default/pods?limit=500 200 OK latency=%06dus user-agent=kubectl/v1.31\n", ts, stream, i)
		}
		blocks := (mib << 20) / len(block)
		for n := range blocks {
			hms := []byte(t0.Add(time.Duration(n) * time.Second).Format("15:04:05"))
			for _, s := range lineStarts {
				copy(block[s+11:], hms)
			}
			if _, err := f.Write(block); err != nil {
				benchErr = err
				return
			}
		}
		benchN = blocks * benchBlockLines
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

func benchRead(b *testing.B, opts Options, wantLines int) {
	p := benchFile(b)
	fi, _ := os.Stat(p)
	var read atomic.Int64
	ctx := context.WithValue(context.Background(), countKey{}, &read)
	lines := &lineCounter{}
	b.ResetTimer()
	for range b.N {
		lines.n = 0
		if err := Read(ctx, p, opts, lines, lines, io.Discard, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if wantLines >= 0 && lines.n != wantLines {
		b.Fatalf("printed %d lines, want %d", lines.n, wantLines)
	}
	b.ReportMetric(float64(read.Load())/float64(b.N), "bytes-read/op")
	b.ReportMetric(float64(fi.Size()), "file-bytes")
}

type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	for _, x := range p {
		if x == '\n' {
			c.n++
		}
	}
	return len(p), nil
}

func BenchmarkTail100(b *testing.B) {
	benchRead(b, Options{Tail: 100}, 100)
}

func BenchmarkTail100Stderr(b *testing.B) {
	benchRead(b, Options{Tail: 100, Stream: Stderr}, 100)
}

func BenchmarkSince(b *testing.B) {
	benchFile(b)
	// The last 1000 lines: a seek into the middle of the last block.
	since := t0.Add(time.Duration(benchN/benchBlockLines-1)*time.Second + time.Duration(benchBlockLines-1000)*(time.Second/benchBlockLines))
	benchRead(b, Options{Tail: -1, Since: since}, 1000)
}

func BenchmarkSinceUntilMiddle(b *testing.B) {
	benchFile(b)
	mid := t0.Add(time.Duration(benchN/benchBlockLines/2) * time.Second)
	benchRead(b, Options{Tail: -1, Since: mid, Until: mid.Add(time.Second - 1)}, benchBlockLines)
}

func BenchmarkAll(b *testing.B) {
	benchFile(b)
	benchRead(b, Options{Tail: -1}, benchN)
}
