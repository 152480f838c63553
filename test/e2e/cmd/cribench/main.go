// Command cribench is `make bench`: it starts a throwaway containerd with the
// e2e harness, populates it with N kubelet-like pods, and times crictl's
// read-only commands against the raw-RPC floor (crifloor), then tears the
// runtime down.
//
//	cribench [-pods N] [-rounds R] [-warmup W] [-rss K] [-jobs J] [-only REGEX]
//	         [-wait-idle P [-wait-max D]] [-watch D]
//	         [-crictl bin/crictl] [-floor bin/crifloor] [-rusage bin/crirusage]
//
// Per command, crictl and the floor run alternately (CLI F, F CLI, ...)
// after W warm-up rounds; wall time is measured from fork to reap. The
// table gives the medians, the median of the per-round CLI/floor ratios,
// crictl's median CPU time (its rusage), the median peak RSS of K runs
// (taken by crirusage: see there why not from this process's children),
// the output size, the exit code and the RPCs crictl made (its -D lines).
// The last line is `worst ratio: X (command)`. Progress goes to stderr, the
// report (markdown) to stdout. See docs/benchmarks.md.
//
// It needs what the e2e tests need: root on Debian/Ubuntu. Another runtime
// on the machine is left alone: the harness claims its own bridge and
// subnet. On a shared machine, -wait-idle 85 waits (after populating)
// until the CPUs were at least 85% idle over 5 seconds before measuring.
// -watch 10m then runs each watch mode for ten minutes and reports its
// resident set after the first minute, at the end and at its peak.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	os.Exit(run())
}

func run() int {
	defPods := "105"
	if v := os.Getenv("BENCH_PODS"); v != "" {
		defPods = v
	}
	fs := flag.NewFlagSet("cribench", flag.ContinueOnError)
	podsFlag := fs.String("pods", defPods, "pods to create, or several sizes measured in turn on one runtime (105,500)")
	rounds := fs.Int("rounds", 30, "measured rounds per command")
	warmup := fs.Int("warmup", 3, "unmeasured rounds first")
	rss := fs.Int("rss", 5, "runs per command for the peak RSS median")
	jobs := fs.Int("jobs", 4, "pods created in parallel")
	waitIdle := fs.Float64("wait-idle", 0, "before measuring, wait until the CPUs were at least this many percent idle over 5s (0: do not wait)")
	waitMax := fs.Duration("wait-max", 20*time.Minute, "longest wait for -wait-idle; then measure anyway")
	only := fs.String("only", "", "regular expression: run only the commands whose label matches")
	watchFor := fs.Duration("watch", 0, "also run each watch (stats -w, statsp -w, ps -w) this long and report its resident set over time (0: not)")
	runtimeFlag := fs.String("runtime", string(harness.Containerd), "the runtime to start: containerd (Debian's 1.6) or containerd2 (2.4, built from the module proxy and cached)")
	crictl := fs.String("crictl", "bin/crictl", "crictl binary")
	floor := fs.String("floor", "bin/crifloor", "floor binary (./test/e2e/cmd/crifloor)")
	rusage := fs.String("rusage", "bin/crirusage", "rusage helper (./test/e2e/cmd/crirusage)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if fs.NArg() != 0 || *rounds < 1 || *warmup < 0 || *rss < 1 || *jobs < 1 {
		fs.Usage()
		return 2
	}
	sizes, err := parseSizes(*podsFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cribench: -pods (or BENCH_PODS) %q: %v\n", *podsFlag, err)
		return 2
	}
	kinds, err := harness.ParseRuntimes(*runtimeFlag)
	if err != nil || len(kinds) != 1 {
		fmt.Fprintf(os.Stderr, "cribench: -runtime %q: want one of containerd, containerd2\n", *runtimeFlag)
		return 2
	}
	var onlyRE *regexp.Regexp
	if *only != "" {
		if onlyRE, err = regexp.Compile(*only); err != nil {
			fmt.Fprintf(os.Stderr, "cribench: -only: %v\n", err)
			return 2
		}
	}
	b := &bench{rounds: *rounds, warmup: *warmup, rss: *rss, waitIdle: *waitIdle, waitMax: *waitMax, watch: *watchFor}
	for _, p := range []struct {
		dst  *string
		path string
	}{{&b.crictl, *crictl}, {&b.floor, *floor}, {&b.rusage, *rusage}} {
		abs, err := filepath.Abs(p.path)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "cribench: %v (make bench builds it)\n", err)
			return 1
		}
		*p.dst = abs
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "cribench: "+format+"\n", args...)
	}
	stage, err := os.MkdirTemp("", "cribench-bin-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(stage) }()
	for _, p := range []*string{&b.crictl, &b.floor, &b.rusage} {
		if *p, err = copyBinary(*p, stage); err != nil {
			logf("%v", err)
			return 1
		}
	}
	if err := harness.Requirements(); err != nil {
		logf("cannot start a runtime: %v", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		logf("%v: stopping, then tearing the runtime down (again to abandon it; the next harness start sweeps it)", s)
		cancel()
		<-sigs
		os.Exit(1) //nolint:forbidigo // second signal
	}()

	// a /24 holds 253 bridge pods; the host-network ones need no address
	prefix := 24
	for prefix > 16 && (1<<(32-prefix))-3 < sizes[len(sizes)-1] {
		prefix--
	}
	sctx, scancel := context.WithTimeout(ctx, 20*time.Minute) // a cold containerd 2 build included
	env, err := harness.Start(sctx, harness.Options{Runtime: kinds[0], SubnetPrefixLen: prefix, Logf: logf})
	scancel()
	if err != nil {
		logf("the runtime did not start: %v", err)
		return 1
	}
	code := 0
	var pods []*harness.Pod
	for i, n := range sizes {
		if i > 0 {
			fmt.Println()
		}
		if pods, err = benchmark(ctx, env, b, pods, n, *jobs, onlyRE, os.Stdout, logf); err != nil {
			logf("%v", err)
			code = 1
			break
		}
	}
	t := time.Now()
	logf("tearing down %s", env.Dir)
	if err := env.Close(); err != nil {
		logf("teardown: %v", err)
		code = 1
	} else {
		logf("torn down in %v", time.Since(t).Round(time.Millisecond))
	}
	return code
}

// parseSizes reads "105" or "105,500" (ascending, as the runtime only grows).
func parseSizes(v string) ([]int, error) {
	var sizes []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("want positive numbers")
		}
		if len(sizes) > 0 && n <= sizes[len(sizes)-1] {
			return nil, fmt.Errorf("want ascending sizes")
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no size")
	}
	return sizes, nil
}

// benchmark grows the population to n pods, measures every command and
// writes the report; it returns the pods for the next size.
func benchmark(ctx context.Context, env *harness.Env, b *bench, have []*harness.Pod, n, jobs int, only *regexp.Regexp, w io.Writer, logf func(string, ...any)) ([]*harness.Pod, error) {
	t := time.Now()
	logf("creating pods %d..%d, %d at a time", len(have), n-1, jobs)
	pods, err := populate(ctx, env, have, n, jobs, logf)
	if err != nil {
		return nil, fmt.Errorf("populate: %w", err)
	}
	logf("populated in %v", time.Since(t).Round(time.Millisecond))

	b.endpoint = env.Endpoint
	b.env = append(os.Environ(), "CRI_CONFIG_FILE=/dev/null")
	ctr, pod := pods[0].Containers[0].ID, pods[0].ID

	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ver, err := env.Runtime.Version(lctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return nil, err
	}
	sb, err := env.Runtime.ListPodSandbox(lctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, err
	}
	cs, err := env.Runtime.ListContainers(lctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, err
	}
	im, err := env.Images.ListImages(lctx, &runtimeapi.ListImagesRequest{})
	if err != nil {
		return nil, err
	}
	exited := 0
	for _, c := range cs.GetContainers() {
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
			exited++
		}
	}
	// let the runtime settle after the creation burst
	time.Sleep(2 * time.Second)
	if b.waitIdle > 0 {
		if err := waitForIdle(ctx, b.waitIdle, b.waitMax, logf); err != nil {
			return nil, err
		}
	}
	idle, err := idleOver(ctx, 3*time.Second)
	if err != nil {
		return nil, err
	}

	crictlVersion := "?"
	if out, err := runOutput(ctx, b.env, b.crictl, "--version"); err == nil {
		crictlVersion = strings.TrimSpace(out)
	}
	size := "?"
	if fi, err := os.Stat(b.crictl); err == nil {
		size = fmt.Sprintf("%.1f MiB", float64(fi.Size())/(1<<20))
	}
	loadBefore := loadavg()
	started := time.Now()

	if only == nil || only.MatchString(bundleLabel) {
		logf("filling every container's log to %d lines for the bundle", bundleLines)
		if err := fillLogs(pods, bundleLines); err != nil {
			return nil, err
		}
	}

	var results []*result
	for _, c := range commandList(ctr, pod) {
		if only != nil && !only.MatchString(c.label) {
			continue
		}
		logf("measuring %s", c.label)
		r, err := b.measure(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.label, err)
		}
		results = append(results, r)
	}
	var start *result
	if only == nil || only.MatchString("--version") {
		logf("measuring start-up")
		if start, err = b.startup(ctx); err != nil {
			return nil, fmt.Errorf("start-up: %w", err)
		}
	}

	fmt.Fprintf(w, "## crictl vs the raw-RPC floor: %d pods\n\n", n)
	fmt.Fprintf(w, "- %s, %s; %d CPUs, Go %s, kernel %s\n", started.UTC().Format("2006-01-02 15:04 MST"), hostname(), runtime.NumCPU(), runtime.Version(), kernel())
	fmt.Fprintf(w, "- runtime: %s %s (CRI %s): %d pods, %d containers (%d exited), %d images\n",
		ver.GetRuntimeName(), ver.GetRuntimeVersion(), ver.GetRuntimeApiVersion(), len(sb.GetItems()), len(cs.GetContainers()), exited, len(im.GetImages()))
	fmt.Fprintf(w, "- crictl: %s (%s); CTR = %.13s (%s), POD = %.13s (%s/%s)\n", crictlVersion, size, ctr, pods[0].Containers[0].Name, pod, pods[0].Namespace, pods[0].Name)
	fmt.Fprintf(w, "- %d rounds after %d warm-up, CLI and floor alternating; RSS: median of %d runs\n", b.rounds, b.warmup, b.rss)
	fmt.Fprintf(w, "- load average (1 5 15 min): %s before, %s after (%v); CPUs %.0f%% idle in the 3 s before\n\n", loadBefore, loadavg(), time.Since(started).Round(time.Second), idle)
	fmt.Fprintln(w, "| command | CLI ms | floor ms | CLI/floor | (min-max) | CLI CPU ms | floor CPU ms | CLI RSS MiB | floor RSS MiB | out bytes | exit | CLI RPCs | floor RPCs |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
	worst, worstLabel := math.NaN(), ""
	var unranked []string
	for _, r := range results {
		printRow(w, r)
		switch {
		case r.cmd.floor == nil, r.cmd.ownTarget:
		case r.code != 0 || r.floorCode != 0:
			unranked = append(unranked, fmt.Sprintf("%s (exit %d, floor exit %d)", r.cmd.label, r.code, r.floorCode))
		case math.IsNaN(worst) || r.ratio > worst:
			worst, worstLabel = r.ratio, r.cmd.label
		}
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if r.stderr != "" {
			fmt.Fprintf(w, "- `%s` exit %d: %s\n", r.cmd.label, r.code, r.stderr)
		}
	}
	if start != nil {
		fmt.Fprintf(w, "- start-up: `crictl --version` %.2f ms (CPU %.2f ms, RSS %.1f MiB) vs a static Go binary doing nothing %.2f ms (CPU %.2f ms, RSS %.1f MiB): %.2fx\n",
			start.cliMs, start.cpuMs, start.rssMiB, start.floorMs, start.floorCPU, start.floorRSS, start.ratio)
	}
	for _, line := range doctorLines(results) {
		fmt.Fprintln(w, line)
	}
	if len(unranked) > 0 {
		fmt.Fprintf(w, "- not ranked: %s\n", strings.Join(unranked, ", "))
	}
	fmt.Fprintln(w)
	if math.IsNaN(worst) {
		fmt.Fprintln(w, "worst ratio: - (no command with a floor succeeded)")
	} else {
		fmt.Fprintf(w, "worst ratio: %.2f (%s)\n", worst, worstLabel)
	}
	if b.watch > 0 {
		if err := b.watchReport(ctx, w, b.watch, logf); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
	}
	return pods, nil
}

// doctorLines compare doctor (and doctor --stats) with `ps -a`: doctor's
// target is at most 3x.
func doctorLines(results []*result) []string {
	var ps *result
	for _, r := range results {
		if r.cmd.label == "ps -a" {
			ps = r
		}
	}
	if ps == nil || ps.cliMs == 0 {
		return nil
	}
	var out []string
	for _, r := range results {
		if strings.HasPrefix(r.cmd.label, "doctor") {
			out = append(out, fmt.Sprintf("- `%s` %.2f ms against `ps -a` %.2f ms: %.2fx (target for `doctor`: at most 3x); CPU %.2f ms against %.2f ms",
				r.cmd.label, r.cliMs, ps.cliMs, r.cliMs/ps.cliMs, r.cpuMs, ps.cpuMs))
		}
	}
	return out
}

// waitForIdle waits until the CPUs were at least pct% idle over 5 seconds,
// or for at most d. The 1-minute load average is no good for this: with
// hundreds of pods, each waking once a second to log a line, it stays
// above 1 on an otherwise idle machine.
func waitForIdle(ctx context.Context, pct float64, d time.Duration, logf func(string, ...any)) error {
	deadline := time.Now().Add(d)
	for i := 0; ; i++ {
		idle, err := idleOver(ctx, 5*time.Second)
		if err != nil {
			return err
		}
		if idle >= pct {
			logf("CPUs %.0f%% idle: measuring", idle)
			return nil
		}
		if time.Now().After(deadline) {
			logf("CPUs still only %.0f%% idle after %v: measuring anyway", idle, d)
			return nil
		}
		if i%12 == 0 {
			logf("CPUs %.0f%% idle < %.0f%% (load average %s): waiting (up to %v)", idle, pct, loadavg(), time.Until(deadline).Round(time.Second))
		}
	}
}

// idleOver is the percentage of CPU time spent idle over d (/proc/stat).
func idleOver(ctx context.Context, d time.Duration) (float64, error) {
	idle0, total0, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	idle1, total1, err := cpuTimes()
	if err != nil {
		return 0, err
	}
	if total1 <= total0 {
		return 100, nil
	}
	return 100 * float64(idle1-idle0) / float64(total1-total0), nil
}

// cpuTimes reads the idle (idle + iowait) and total jiffies of all CPUs.
func cpuTimes() (idle, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, v := range f[1:] {
		if i >= 8 { // guest times are already counted in user and nice
			break
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return idle, total, nil
}

func printRow(w io.Writer, r *result) {
	dash := func(v float64, format string) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf(format, v)
	}
	spread := "-"
	if !math.IsNaN(r.ratio) {
		spread = fmt.Sprintf("%.2f-%.2f", r.minRatio, r.maxRatio)
	}
	floorRPCs := r.floorRPCs
	if floorRPCs == "" {
		floorRPCs = "-"
	}
	fmt.Fprintf(w, "| `%s` | %.2f | %s | %s | %s | %.2f | %s | %.1f | %s | %d | %d | %s | %s |\n",
		r.cmd.label, r.cliMs, dash(r.floorMs, "%.2f"), dash(r.ratio, "**%.2f**"), spread,
		r.cpuMs, dash(r.floorCPU, "%.2f"), r.rssMiB, dash(r.floorRSS, "%.1f"), r.outBytes, r.code, r.rpcs, floorRPCs)
}

func runOutput(ctx context.Context, env []string, argv ...string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.Output()
	return string(out), err
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "?"
	}
	return h
}

func kernel() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "?"
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// copyBinary copies the program at src into dir and returns the copy's
// path. Every binary is measured as a copy: on the development VM a
// program run straight after `go build` wrote it took 12-15% longer than
// a copy of the same file (the linker writes its output through a memory
// mapping; a copy, or a file read back from disk, sits in the page cache
// differently), and crictl and the floor must start from the same state,
// the one an installed binary is in.
func copyBinary(src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(dir, filepath.Base(src))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", fmt.Errorf("copying %s: %w", src, err)
	}
	return dst, out.Close()
}
