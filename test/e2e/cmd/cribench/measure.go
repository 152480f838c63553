package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchCmd is one row of the table: a crictl command line and the floor
// mode that makes the RPCs it cannot avoid (nil: no floor).
type benchCmd struct {
	label string
	args  []string
	floor []string
	// ownTarget: the command is held to a target of its own (doctor: 3x
	// `ps -a`), not to the floor ratio, and is left out of the worst ratio.
	ownTarget bool
}

func commandList(ctr, pod string) []benchCmd {
	return []benchCmd{
		{"version", []string{"version"}, []string{"version"}, false},
		{"info", []string{"info"}, []string{"info"}, false},
		{"pods", []string{"pods"}, []string{"pods"}, false},
		{"pods --namespace kube-system", []string{"pods", "--namespace", "kube-system"}, []string{"pods"}, false},
		{"ps -a", []string{"ps", "-a"}, []string{"ps"}, false},
		{"ps -a -o json", []string{"ps", "-a", "-o", "json"}, []string{"containers"}, false},
		{"images", []string{"images"}, []string{"images"}, false},
		{"inspect CTR", []string{"inspect", ctr}, []string{"inspect", ctr}, false},
		{"inspectp POD", []string{"inspectp", pod}, []string{"inspectp", pod}, false},
		{"logs --tail 20 CTR", []string{"logs", "--tail", "20", ctr}, nil, false},
		{"pods -o json", []string{"pods", "-o", "json"}, []string{"pods"}, false},
		{"images -o json", []string{"images", "-o", "json"}, []string{"images"}, false},
		{"ps", []string{"ps"}, []string{"ps-running"}, false},
		{"stats", []string{"stats"}, []string{"stats"}, false},
		{"stats -o json", []string{"stats", "-o", "json"}, []string{"stats-json"}, false},
		{"statsp", []string{"statsp"}, []string{"statsp"}, false},
		// the bench node has findings (the exited migrate containers):
		// --fail-on never keeps the exit code 0
		// the floor is doctor's list calls; its per-object calls depend on
		// what it finds, so it is held to 3x `ps -a` instead
		{"doctor", []string{"doctor", "--fail-on", "never"}, []string{"doctor"}, true},
		{"doctor --stats", []string{"doctor", "--stats", "--fail-on", "never"}, []string{"doctor-stats"}, true},
		// No floor: a bundle is hundreds of calls and files (issue 12's
		// target: under 3 s and 40 MiB with 200 log lines per container).
		{bundleLabel, []string{"bundle", "--log-lines", "200", "-o", "-"}, nil, true},
	}
}

// bundleLabel is the row of crictl bundle; its logs are filled to
// bundleLines lines per container first.
const (
	bundleLabel = "bundle --log-lines 200 -o -"
	bundleLines = 200
)

// sample is one measured run.
type sample struct {
	wall, cpu time.Duration
	code      int
}

// runOnce runs argv with the streams on /dev/null (or stdout to out) and
// times it from fork to reap. CPU time is the child's own rusage; its
// Maxrss is not used (see rssOf).
func runOnce(ctx context.Context, argv, env []string, out io.Writer) (sample, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout = out
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return sample{}, err
	}
	if ctx.Err() != nil {
		return sample{}, ctx.Err()
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{wall: wall, code: cmd.ProcessState.ExitCode()}
	if ru != nil {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, nil
}

// rssOf is the median peak RSS of argv over n runs, measured by crirusage:
// a child of this (large) process would report this process's own peak.
func rssOf(ctx context.Context, rusage string, argv, env []string, n int) (float64, error) {
	var vals []float64
	for i := 0; i < n; i++ {
		cmd := exec.CommandContext(ctx, rusage, argv...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return 0, fmt.Errorf("crirusage %s: %w", strings.Join(argv, " "), err)
		}
		f := strings.Fields(string(out))
		if len(f) != 5 {
			return 0, fmt.Errorf("crirusage: unexpected output %q", out)
		}
		kib, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return 0, err
		}
		vals = append(vals, float64(kib)/1024)
	}
	return median(vals), nil
}

var debugRequest = regexp.MustCompile(`(?m)^debug: (\w+) request`)

// rpcsOf runs crictl once with -D and lists the requests it logged.
func rpcsOf(ctx context.Context, crictl string, global, args, env []string) string {
	var errOut bytes.Buffer
	argv := append(append(append([]string{}, global...), "-D"), args...)
	cmd := exec.CommandContext(ctx, crictl, argv...)
	cmd.Env = env
	cmd.Stderr = &errOut
	_ = cmd.Run()
	var calls []string
	for _, m := range debugRequest.FindAllStringSubmatch(errOut.String(), -1) {
		calls = append(calls, m[1])
	}
	if len(calls) == 0 {
		return "-"
	}
	if len(calls) > 10 {
		// A bundle: counts by RPC.
		counts := map[string]int{}
		for _, c := range calls {
			counts[c]++
		}
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%s×%d", name, counts[name]))
		}
		return fmt.Sprintf("%d: %s", len(calls), strings.Join(parts, " "))
	}
	return strings.Join(calls, " ")
}

// result is one row of the table.
type result struct {
	cmd                benchCmd
	cliMs, floorMs     float64
	ratio              float64 // median of per-round CLI/floor; NaN without a floor
	cpuMs, floorCPU    float64
	rssMiB, floorRSS   float64
	outBytes           int
	code, floorCode    int
	stderr             string // first line of stderr of a failing checked run
	rpcs, floorRPCs    string
	rounds             int
	minRatio, maxRatio float64
}

type bench struct {
	crictl, floor, rusage string
	endpoint              string
	env                   []string
	rounds, warmup, rss   int
	waitIdle              float64
	waitMax               time.Duration
	watch                 time.Duration
}

func (b *bench) cliArgv(args []string) []string {
	return append([]string{b.crictl, "-r", b.endpoint}, args...)
}

func (b *bench) floorArgv(mode []string) []string {
	return append([]string{b.floor, b.endpoint}, mode...)
}

// measure runs one command: a checked run of each side (exit code, output
// size), warm-up rounds, then rounds of CLI and floor in alternating order
// (CLI F, F CLI, ...), then the peak RSS runs.
func (b *bench) measure(ctx context.Context, c benchCmd) (*result, error) {
	r := &result{cmd: c, ratio: math.NaN(), floorMs: math.NaN(), floorCPU: math.NaN(), floorRSS: math.NaN(), rounds: b.rounds}
	cli := b.cliArgv(c.args)

	var out countWriter
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, cli[0], cli[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = b.env, &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, err
	}
	r.code, r.outBytes = cmd.ProcessState.ExitCode(), out.n
	if r.code != 0 {
		r.stderr, _, _ = strings.Cut(strings.TrimSpace(errOut.String()), "\n")
	}
	r.rpcs = rpcsOf(ctx, b.crictl, []string{"-r", b.endpoint}, c.args, b.env)

	var fl []string
	if c.floor != nil {
		fl = b.floorArgv(c.floor)
		s, err := runOnce(ctx, fl, b.env, nil)
		if err != nil {
			return nil, err
		}
		r.floorCode = s.code
		r.floorRPCs = floorRPCs(c.floor[0])
	}

	var cliMs, floorMs, cpuMs, floorCPU, ratios []float64
	for round := 0; round < b.warmup+b.rounds; round++ {
		var sc, sf sample
		var err error
		if fl == nil {
			sc, err = runOnce(ctx, cli, b.env, nil)
		} else if round%2 == 0 {
			if sc, err = runOnce(ctx, cli, b.env, nil); err == nil {
				sf, err = runOnce(ctx, fl, b.env, nil)
			}
		} else {
			if sf, err = runOnce(ctx, fl, b.env, nil); err == nil {
				sc, err = runOnce(ctx, cli, b.env, nil)
			}
		}
		if err != nil {
			return nil, err
		}
		if round < b.warmup {
			continue
		}
		cliMs = append(cliMs, ms(sc.wall))
		cpuMs = append(cpuMs, ms(sc.cpu))
		if fl != nil {
			floorMs = append(floorMs, ms(sf.wall))
			floorCPU = append(floorCPU, ms(sf.cpu))
			ratios = append(ratios, float64(sc.wall)/float64(sf.wall))
		}
	}
	r.cliMs, r.cpuMs = median(cliMs), median(cpuMs)
	if fl != nil {
		r.floorMs, r.ratio, r.floorCPU = median(floorMs), median(ratios), median(floorCPU)
		r.minRatio, r.maxRatio = slices.Min(ratios), slices.Max(ratios)
	}

	if r.rssMiB, err = rssOf(ctx, b.rusage, cli, b.env, b.rss); err != nil {
		return nil, err
	}
	if fl != nil {
		if r.floorRSS, err = rssOf(ctx, b.rusage, fl, b.env, b.rss); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// startup compares `crictl --version` (no RPC: process start and package
// init only) with a static Go binary that does nothing.
func (b *bench) startup(ctx context.Context) (*result, error) {
	c := benchCmd{label: "--version (start-up only)", args: []string{"--version"}}
	cli := []string{b.crictl, "--version"}
	empty := []string{b.rusage}
	r := &result{cmd: c, rounds: b.rounds, rpcs: "-", floorRPCs: "-"}
	var cliMs, floorMs, cpuMs, floorCPU, ratios []float64
	for round := 0; round < b.warmup+b.rounds; round++ {
		first, second := cli, empty
		if round%2 == 1 {
			first, second = empty, cli
		}
		s1, err := runOnce(ctx, first, b.env, nil)
		if err != nil {
			return nil, err
		}
		s2, err := runOnce(ctx, second, b.env, nil)
		if err != nil {
			return nil, err
		}
		if round < b.warmup {
			continue
		}
		sc, sf := s1, s2
		if round%2 == 1 {
			sc, sf = s2, s1
		}
		r.code = max(r.code, sc.code)
		cliMs = append(cliMs, ms(sc.wall))
		cpuMs = append(cpuMs, ms(sc.cpu))
		floorMs = append(floorMs, ms(sf.wall))
		floorCPU = append(floorCPU, ms(sf.cpu))
		ratios = append(ratios, float64(sc.wall)/float64(sf.wall))
	}
	r.cliMs, r.cpuMs, r.floorMs, r.ratio = median(cliMs), median(cpuMs), median(floorMs), median(ratios)
	r.floorCPU = median(floorCPU)
	r.minRatio, r.maxRatio = slices.Min(ratios), slices.Max(ratios)
	var err error
	if r.rssMiB, err = rssOf(ctx, b.rusage, cli, b.env, b.rss); err != nil {
		return nil, err
	}
	r.floorRSS, err = rssOf(ctx, b.rusage, empty, b.env, b.rss)
	return r, err
}

func floorRPCs(mode string) string {
	switch mode {
	case "version":
		return "Version"
	case "info":
		return "Status"
	case "pods":
		return "ListPodSandbox"
	case "containers":
		return "ListContainers"
	case "ps", "ps-running":
		return "ListContainers ListPodSandbox"
	case "images":
		return "ListImages"
	case "inspect":
		return "ContainerStatus"
	case "inspectp":
		return "PodSandboxStatus"
	case "doctor":
		return "Status Version ListPodSandbox ListContainers ImageFsInfo"
	case "doctor-stats":
		return "Status Version ListPodSandbox ListContainers ImageFsInfo ListContainerStats"
	case "stats":
		return "ListContainerStats ListContainers ListPodSandbox [ListContainerStats]"
	case "stats-json":
		return "ListContainerStats ListContainers"
	case "statsp":
		return "ListPodSandboxStats [ListPodSandboxStats]"
	}
	return "?"
}

type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
