package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
)

// watchCmds are the watches -watch measures: a refreshing table and a
// follow of changes.
var watchCmds = [][]string{
	{"stats", "-w", "-s", "1"},
	{"statsp", "-w", "-s", "1"},
	{"ps", "-w"},
}

// watchResult is the resident set of one watch over time.
type watchResult struct {
	args                  []string
	early, last, peak     float64       // MiB: after the first minute, at the end, the highest
	cpuEarly, cpuLast     time.Duration // CPU time (user+system) after the first minute, at the end
	samples               int
	outBytes              int
	code                  int
	stderr                string
	duration, warmupAfter time.Duration
}

// watchRSS runs crictl with args (a watch, stdout to a pipe that is read
// and discarded) for d, reads its resident set size (VmRSS) every step,
// then interrupts it.
func (b *bench) watchRSS(ctx context.Context, args []string, d, step time.Duration) (*watchResult, error) {
	r := &watchResult{args: args, duration: d, warmupAfter: min(time.Minute, d/2)}
	argv := b.cliArgv(args)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = b.env
	var out countWriter
	cmd.Stdout = &out
	var errOut strings.Builder
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	start := time.Now()
	var rss []float64
	for time.Since(start) < d {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, ctx.Err()
		case <-time.After(step):
		}
		kib, err := vmRSS(cmd.Process.Pid)
		if err != nil {
			break // it ended
		}
		cpu, err := cpuTime(cmd.Process.Pid)
		if err != nil {
			break
		}
		mib := float64(kib) / 1024
		rss = append(rss, mib)
		r.cpuLast = cpu
		if time.Since(start) <= r.warmupAfter {
			r.early, r.cpuEarly = mib, cpu
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	r.code, r.outBytes, r.samples = cmd.ProcessState.ExitCode(), out.n, len(rss)
	r.stderr, _, _ = strings.Cut(strings.TrimSpace(errOut.String()), "\n")
	if len(rss) > 0 {
		r.last, r.peak = rss[len(rss)-1], slices.Max(rss)
	}
	return r, nil
}

// vmRSS reads a process's resident set size in KiB.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// cpuTime reads a process's user and system CPU time from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 10 ms on Linux).
func cpuTime(pid int) (time.Duration, error) {
	f, err := harness.StatFields(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// watchReport measures every watch for d and writes their table.
func (b *bench) watchReport(ctx context.Context, w io.Writer, d time.Duration, logf func(string, ...any)) error {
	step := max(min(d/60, 10*time.Second), time.Second)
	fmt.Fprintf(w, "\n### Watches over %v (resident set read every %v)\n\n", d, step)
	fmt.Fprintln(w, "| command | RSS MiB after the first minute | RSS MiB at the end | peak RSS MiB | CPU ms in the first minute | CPU ms after it | output bytes | exit |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, args := range watchCmds {
		logf("watching %s for %v", strings.Join(args, " "), d)
		r, err := b.watchRSS(ctx, args, d, step)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| `%s` | %.1f | %.1f | %.1f | %d | %d | %d | %d |\n", strings.Join(args, " "), r.early, r.last, r.peak,
			r.cpuEarly.Milliseconds(), (r.cpuLast - r.cpuEarly).Milliseconds(), r.outBytes, r.code)
		if r.stderr != "" {
			fmt.Fprintf(w, "\n- `%s`: %s\n", strings.Join(args, " "), r.stderr)
		}
	}
	return nil
}
