package profile

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// pprofFile is what a test reads back from a profile: the sample types
// ("cpu/nanoseconds") and how many samples it holds.
type pprofFile struct {
	sampleTypes []string
	samples     int
	periodType  string
}

// fields calls fn with each field of the protobuf message b: its number,
// and its value as bytes (length-delimited) or as an integer (varint).
func fields(t *testing.T, b []byte, fn func(num protowire.Number, bytes []byte, n uint64)) {
	t.Helper()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("not a pprof profile: bad tag")
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				t.Fatal("not a pprof profile: bad length")
			}
			fn(num, v, 0)
			b = b[n:]
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				t.Fatal("not a pprof profile: bad varint")
			}
			fn(num, nil, v)
			b = b[n:]
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatal("not a pprof profile: bad field")
			}
			b = b[n:]
		}
	}
}

// readPprof decodes a gzipped perftools.profiles.Profile (the format of
// runtime/pprof and `go tool pprof`) far enough to check it: sample_type
// = 1, sample = 2, string_table = 6, period_type = 11; a ValueType is
// type = 1 and unit = 2, indexes into the string table.
func readPprof(t *testing.T, path string) pprofFile {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s is not gzipped: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var types [][2]uint64
	var period [2]uint64
	var strs []string
	var out pprofFile
	valueType := func(v []byte) [2]uint64 {
		var vt [2]uint64
		fields(t, v, func(num protowire.Number, _ []byte, n uint64) {
			if num == 1 || num == 2 {
				vt[num-1] = n
			}
		})
		return vt
	}
	fields(t, b, func(num protowire.Number, v []byte, _ uint64) {
		switch num {
		case 1:
			types = append(types, valueType(v))
		case 2:
			out.samples++
		case 6:
			strs = append(strs, string(v))
		case 11:
			period = valueType(v)
		}
	})
	str := func(vt [2]uint64) string {
		if vt[0] >= uint64(len(strs)) || vt[1] >= uint64(len(strs)) {
			t.Fatalf("%s: string index out of range in %v", path, vt)
		}
		return strs[vt[0]] + "/" + strs[vt[1]]
	}
	for _, vt := range types {
		out.sampleTypes = append(out.sampleTypes, str(vt))
	}
	out.periodType = str(period)
	return out
}

var sink [][]byte

func work() {
	// Allocate and burn some CPU, so both profiles have something in them.
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		sink = append(sink, make([]byte, 64<<10))
		if len(sink) > 64 {
			sink = sink[:0]
		}
	}
}

// The profiling tests share the process's one CPU profiler and heap
// sampling rate, so they do not run in parallel.

func TestProfilesAreReadableByPprof(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	s, err := Start(cpu, mem)
	if err != nil {
		t.Fatal(err)
	}
	work()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	c := readPprof(t, cpu)
	if !slices.Equal(c.sampleTypes, []string{"samples/count", "cpu/nanoseconds"}) || c.periodType != "cpu/nanoseconds" {
		t.Errorf("CPU profile: sample types %q, period %q", c.sampleTypes, c.periodType)
	}
	m := readPprof(t, mem)
	if !slices.Equal(m.sampleTypes, []string{"alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"}) {
		t.Errorf("heap profile: sample types %q", m.sampleTypes)
	}
	if m.samples == 0 {
		t.Error("the heap profile holds no sample of the run's allocations")
	}
	if runtime.MemProfileRate != 512*1024 {
		t.Errorf("MemProfileRate left at %d", runtime.MemProfileRate)
	}

	// The files are what `go tool pprof` reads, when the toolchain is here.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return
	}
	for _, f := range []string{cpu, mem} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := exec.CommandContext(ctx, goBin, "tool", "pprof", "-raw", f).CombinedOutput()
		cancel()
		if err != nil || !strings.Contains(string(out), "Samples:") {
			t.Errorf("go tool pprof -raw %s: %v\n%s", filepath.Base(f), err, out)
		}
	}
}

func TestOnlyOneOrNone(t *testing.T) {
	if s, err := Start("", ""); s != nil || err != nil {
		t.Errorf("Start with no paths = %v, %v", s, err)
	}
	var none *Session
	if err := none.Stop(); err != nil {
		t.Errorf("Stop on nil: %v", err)
	}
	dir := t.TempDir()
	mem := filepath.Join(dir, "mem.pprof")
	s, err := Start("", mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if readPprof(t, mem).sampleTypes == nil {
		t.Error("heap profile without sample types")
	}
	cpu := filepath.Join(dir, "cpu.pprof")
	if s, err = Start(cpu, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := readPprof(t, cpu).periodType; got != "cpu/nanoseconds" {
		t.Errorf("CPU profile period %q", got)
	}
}

func TestBadPaths(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "p.pprof")
	for _, tc := range []struct {
		cpu, mem, want string
	}{
		{missing, "", "cannot write the CPU profile: open " + missing + ": no such file or directory"},
		{"", missing, "cannot write the memory profile: open " + missing + ": no such file or directory"},
		{filepath.Join(dir, "p"), filepath.Join(dir, ".", "p"), "--profile-cpu and --profile-mem name the same file"},
	} {
		s, err := Start(tc.cpu, tc.mem)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%q, %q) = %v; want an error containing %q", tc.cpu, tc.mem, err, tc.want)
		}
		if s != nil {
			t.Errorf("Start(%q, %q) returned a session with its error", tc.cpu, tc.mem)
		}
	}
	// A failed CPU profile leaves no profiler running and the rate as it was.
	if runtime.MemProfileRate != 512*1024 {
		t.Errorf("MemProfileRate left at %d", runtime.MemProfileRate)
	}
	s, err := Start(filepath.Join(dir, "ok.pprof"), "")
	if err != nil {
		t.Fatalf("the CPU profiler was left running: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}

// A second CPU profile while one runs (another profiler in the process)
// is an error, not a panic, and the first one is left alone.
func TestCPUProfilerBusy(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(filepath.Join(dir, "a.pprof"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := first.Stop(); err != nil {
			t.Error(err)
		}
	}()
	_, err = Start(filepath.Join(dir, "b.pprof"), filepath.Join(dir, "m.pprof"))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("cannot start the CPU profile %s", filepath.Join(dir, "b.pprof"))) {
		t.Errorf("second Start: %v", err)
	}
	if runtime.MemProfileRate != 512*1024 {
		t.Errorf("MemProfileRate left at %d after the failed start", runtime.MemProfileRate)
	}
}
