package doctor

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Check is one unit of diagnosis over a snapshot.
type Check struct {
	// Name is what findings carry in their check field.
	Name string
	// Doc says what it finds, for docs/doctor.md.
	Doc string
	run func(v *view) []Finding
}

// Checks are every check, in the order findings of one severity are
// listed.
var Checks = []Check{
	{"runtime-condition", "RuntimeReady or NetworkReady not true (critical), or another condition of the runtime not true (info: e.g. containerd 2's deprecation warnings), with its reason and message", checkConditions},
	{"container-restarting", "a container restarted after its previous attempt exited non-zero (or crash-looping: its latest attempt exited non-zero too), with the exit code, its meaning, the reason and the last lines of the failed attempt's log", checkRestarts},
	{"container-exited", "a container of a ready pod that exited non-zero and was not restarted", checkExited},
	{"container-not-started", "a container created and never started", checkNotStarted},
	{"pod-not-ready", "a pod whose newest sandbox is not ready (stopped)", checkPodNotReady},
	{"pod-containers-exited", "a ready pod whose containers have all exited, none of them with a failure of its own (kubelet would have stopped the sandbox of a finished pod)", checkPodContainersExited},
	{"pod-pause-only", "a ready pod with no container besides its sandbox (pause) container", checkPausePods},
	{"imagefs-unavailable", "the runtime did not answer ImageFsInfo", checkImageFsUnavailable},
	{"disk-space", "an image or container filesystem fuller than --disk-warn or --disk-crit percent", checkDiskSpace},
	{"disk-inodes", "an image or container filesystem with more than --disk-warn or --disk-crit percent of its inodes in use", checkDiskInodes},
	{"disk-unmeasured", "a filesystem the runtime reports whose size crictl could not measure (statfs)", checkDiskUnmeasured},
	{"cpu-high", "a running container using more than --cpu-warn percent of its CPU limit (or of the node's CPUs without one)", checkCPU},
	{"memory-near-limit", "a running container whose working set is above --mem-warn percent of its memory limit", checkMemory},
	{"config-file", "crictl's config file cannot be used (crictl commands fail until it is fixed), or has problems that did not stop it", checkConfig},
	{"endpoint-default", "no runtime endpoint is configured: crictl probed the default endpoints, which the reference crictl deprecated", checkEndpoint},
	{"clock-skew", "the runtime's newest timestamp is ahead of the node's clock by more than 30 seconds", checkClock},
}

// Run runs every check on the snapshot and returns the findings, sorted.
func Run(s *Snapshot, sel Selection, o Options) []Finding {
	return newView(s, sel, o).run()
}

// Diagnose runs every check and summarizes: the report of the snapshot.
func Diagnose(s *Snapshot, sel Selection, o Options) *Report {
	v := newView(s, sel, o)
	fs := v.run()
	return &Report{Summary: v.summarize(fs), Findings: fs}
}

func (v *view) run() []Finding {
	out := []Finding{}
	for _, c := range Checks {
		for _, f := range c.run(v) {
			f.Check = c.Name
			if f.Evidence == nil {
				f.Evidence = Evidence{}
			}
			out = append(out, f)
		}
	}
	Sort(out)
	return out
}

// SuspectsOf is what Gather must ask the runtime for after the lists.
func SuspectsOf(s *Snapshot, sel Selection, o Options) Suspects {
	return newView(s, sel, o).suspects()
}

// LogsWanted is the logs Gather must read once the statuses are in.
func LogsWanted(s *Snapshot, sel Selection, o Options) []LogWant {
	return newView(s, sel, o).logsWanted()
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

func ago(now time.Time, ns int64) string {
	d := now.Sub(time.Unix(0, ns))
	if d < 0 {
		return "in " + units.HumanDuration(-d)
	}
	return units.HumanDuration(d) + " ago"
}

func timestamp(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

func containerObject(g *group, c *runtimeapi.Container) Object {
	return Object{Kind: KindContainer, Name: g.name, Namespace: g.ns, Pod: g.podName, ID: shortID(c.GetId())}
}

func podObject(p *runtimeapi.PodSandbox) Object {
	md := p.GetMetadata()
	return Object{Kind: KindPod, Name: md.GetName(), Namespace: md.GetNamespace(), ID: shortID(p.GetId())}
}

// containerArgs names a container for a hint: its name, the namespace,
// and the pod when another pod of the namespace has a container of that
// name.
func (v *view) containerArgs(g *group) []string {
	args := []string{g.name}
	if g.ns != "" {
		args = append(args, "--namespace", g.ns)
	}
	if v.sameName[g.ns+"/"+g.name] > 1 {
		args = append(args, "--pod", g.podName)
	}
	return args
}

func podArgs(p *runtimeapi.PodSandbox) []string {
	md := p.GetMetadata()
	return []string{md.GetName(), "--namespace", md.GetNamespace()}
}

func percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

func cores(nano float64) string { return strconv.FormatFloat(nano/1e9, 'f', 2, 64) }

func checkConditions(v *view) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, c := range v.s.Status.GetStatus().GetConditions() {
		seen[c.GetType()] = true
		if c.GetStatus() {
			continue
		}
		// Other conditions are the runtime's own notes (containerd 2's
		// ContainerdHasNoDeprecationWarnings), not a broken node.
		sev := Info
		if c.GetType() == runtimeapi.RuntimeReady || c.GetType() == runtimeapi.NetworkReady {
			sev = Critical
		}
		f := Finding{Severity: sev, Object: Object{Kind: KindRuntime, Name: c.GetType()},
			Message: c.GetType() + " is false", Hint: command("info")}
		if c.GetReason() != "" {
			f.Message += ": " + c.GetReason()
		}
		f.Evidence.add("status", "false")
		f.Evidence.add("reason", c.GetReason())
		f.Evidence.add("message", c.GetMessage())
		if c.GetType() == runtimeapi.NetworkReady {
			f.Evidence.add("lastCNILoadStatus", v.s.Status.GetInfo()["lastCNILoadStatus"])
		}
		out = append(out, f)
	}
	for _, t := range []string{runtimeapi.RuntimeReady, runtimeapi.NetworkReady} {
		if !seen[t] {
			out = append(out, Finding{Severity: Warning, Object: Object{Kind: KindRuntime, Name: t},
				Message: "the runtime does not report " + t, Evidence: Evidence{{"conditions", strconv.Itoa(len(v.s.Status.GetStatus().GetConditions()))}},
				Hint: command("info")})
		}
	}
	return out
}

// exitEvidence is the evidence of an exited container's status.
func (v *view) exitEvidence(e *Evidence, st *runtimeapi.ContainerStatus) {
	e.add("exitCode", strconv.Itoa(int(st.GetExitCode())))
	e.add("meaning", ExitMeaning(st.GetExitCode()))
	e.add("reason", st.GetReason())
	e.add("message", st.GetMessage())
	e.add("finishedAt", timestamp(st.GetFinishedAt()))
}

func (v *view) logOf(f *Finding, id string) {
	t, ok := v.s.Logs[id]
	if !ok {
		return
	}
	f.Evidence.add("log", t.Path)
	if t.Err != "" {
		f.Evidence.add("logError", t.Err)
		return
	}
	f.Log = t.Lines
}

func exitText(st *runtimeapi.ContainerStatus) string {
	s := fmt.Sprintf("exited with code %d (%s)", st.GetExitCode(), ExitMeaning(st.GetExitCode()))
	if st.GetReason() == "OOMKilled" {
		s = "was killed for memory (OOMKilled, exit code " + strconv.Itoa(int(st.GetExitCode())) + ")"
	}
	return s
}

func checkRestarts(v *view) []Finding {
	var out []Finding
	for _, g := range v.groups {
		l := g.latest()
		attempt := l.GetMetadata().GetAttempt()
		if attempt == 0 {
			continue
		}
		ls, prev := v.status(l), g.previous()
		ps := v.status(prev)
		var f Finding
		f.Object = containerObject(g, l)
		f.Evidence.add("attempt", strconv.FormatUint(uint64(attempt), 10))
		f.Evidence.add("state", stateName(l))
		switch {
		case exited(l):
			if ls == nil || ls.GetExitCode() == 0 {
				continue
			}
			f.Severity = Critical
			f.Message = fmt.Sprintf("crash loop: attempt %d %s %s", attempt, exitText(ls), ago(v.s.Now, ls.GetFinishedAt()))
			v.exitEvidence(&f.Evidence, ls)
			f.Hint = command(append([]string{"logs"}, v.containerArgs(g)...)...)
		case prev != nil && exited(prev) && ps != nil && ps.GetExitCode() != 0:
			f.Severity = Warning
			if v.s.Now.Sub(time.Unix(0, ps.GetFinishedAt())) < v.o.RecentRestart || !running(l) {
				f.Severity = Critical
			}
			f.Message = fmt.Sprintf("restarted (attempt %d); attempt %d %s %s", attempt, prev.GetMetadata().GetAttempt(), exitText(ps), ago(v.s.Now, ps.GetFinishedAt()))
			v.exitEvidence(&f.Evidence, ps)
			f.Evidence.add("previousID", shortID(prev.GetId()))
			f.Hint = command(append([]string{"logs", "--previous"}, v.containerArgs(g)...)...)
		default:
			continue
		}
		v.logOf(&f, l.GetId())
		out = append(out, f)
	}
	return out
}

func stateName(c *runtimeapi.Container) string {
	switch c.GetState() {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return "created"
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return "running"
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return "exited"
	}
	return "unknown"
}

func checkExited(v *view) []Finding {
	var out []Finding
	for _, g := range v.groups {
		l := g.latest()
		st := v.status(l)
		if l.GetMetadata().GetAttempt() > 0 || !exited(l) || !podReady(g.pod) || st == nil || st.GetExitCode() == 0 {
			continue
		}
		f := Finding{Severity: Warning, Object: containerObject(g, l),
			Message: fmt.Sprintf("%s %s and was not restarted", exitText(st), ago(v.s.Now, st.GetFinishedAt())),
			Hint:    command(append([]string{"logs"}, v.containerArgs(g)...)...)}
		if st.GetReason() == "OOMKilled" {
			f.Severity = Critical
		}
		v.exitEvidence(&f.Evidence, st)
		f.Evidence.add("image", l.GetImage().GetImage())
		v.logOf(&f, l.GetId())
		out = append(out, f)
	}
	return out
}

func checkNotStarted(v *view) []Finding {
	var out []Finding
	for _, g := range v.groups {
		l := g.latest()
		if l.GetState() != runtimeapi.ContainerState_CONTAINER_CREATED || v.s.Now.Sub(time.Unix(0, l.GetCreatedAt())) < v.o.NotStarted {
			continue
		}
		f := Finding{Severity: Warning, Object: containerObject(g, l),
			Message: "created " + ago(v.s.Now, l.GetCreatedAt()) + " and never started",
			Hint:    command(append([]string{"inspect"}, v.containerArgs(g)...)...)}
		f.Evidence.add("state", "created")
		f.Evidence.add("createdAt", timestamp(l.GetCreatedAt()))
		f.Evidence.add("attempt", strconv.FormatUint(uint64(l.GetMetadata().GetAttempt()), 10))
		f.Evidence.add("image", l.GetImage().GetImage())
		out = append(out, f)
	}
	return out
}

// podCounts counts a pod's containers (latest attempts) by state.
func (v *view) podCounts(p *runtimeapi.PodSandbox) (total, running, exited int) {
	for _, g := range v.byPod[p.GetId()] {
		total++
		switch g.latest().GetState() {
		case runtimeapi.ContainerState_CONTAINER_RUNNING:
			running++
		case runtimeapi.ContainerState_CONTAINER_EXITED:
			exited++
		}
	}
	return total, running, exited
}

func podEvidence(e *Evidence, p *runtimeapi.PodSandbox, total, running, exited int) {
	e.add("state", map[bool]string{true: "ready", false: "notready"}[podReady(p)])
	e.add("createdAt", timestamp(p.GetCreatedAt()))
	e.add("attempt", strconv.FormatUint(uint64(p.GetMetadata().GetAttempt()), 10))
	e.add("containers", strconv.Itoa(total))
	e.add("running", strconv.Itoa(running))
	e.add("exited", strconv.Itoa(exited))
}

func checkPodNotReady(v *view) []Finding {
	var out []Finding
	for _, p := range v.newestPods {
		if podReady(p) {
			continue
		}
		total, run, ex := v.podCounts(p)
		f := Finding{Severity: Warning, Object: podObject(p),
			Message: "pod is not ready: its sandbox is stopped (created " + ago(v.s.Now, p.GetCreatedAt()) + ")",
			Hint:    command(append([]string{"inspectp"}, podArgs(p)...)...)}
		podEvidence(&f.Evidence, p, total, run, ex)
		out = append(out, f)
	}
	return out
}

func checkPodContainersExited(v *view) []Finding {
	var out []Finding
	for _, p := range v.newestPods {
		total, run, ex := v.podCounts(p)
		if !podReady(p) || total == 0 || ex != total || v.failedContainer(p) {
			continue
		}
		f := Finding{Severity: Warning, Object: podObject(p),
			Message: fmt.Sprintf("pod is ready but all its containers (%d) have exited", total),
			Hint:    command("ps", "-a", "--pod", p.GetMetadata().GetName(), "--namespace", p.GetMetadata().GetNamespace())}
		podEvidence(&f.Evidence, p, total, run, ex)
		out = append(out, f)
	}
	return out
}

// failedContainer reports whether a container of the pod is a finding of
// its own (restarted, or exited non-zero): that explains the pod.
func (v *view) failedContainer(p *runtimeapi.PodSandbox) bool {
	for _, g := range v.byPod[p.GetId()] {
		l := g.latest()
		if l.GetMetadata().GetAttempt() > 0 || v.status(l).GetExitCode() != 0 {
			return true
		}
	}
	return false
}

func checkPausePods(v *view) []Finding {
	var out []Finding
	for _, p := range v.newestPods {
		if !podReady(p) || len(v.byPod[p.GetId()]) > 0 || v.s.Now.Sub(time.Unix(0, p.GetCreatedAt())) < v.o.NotStarted {
			continue
		}
		f := Finding{Severity: Warning, Object: podObject(p),
			Message: "only the sandbox (pause) container runs: the pod has no container, created " + ago(v.s.Now, p.GetCreatedAt()),
			Hint:    command(append([]string{"inspectp"}, podArgs(p)...)...)}
		podEvidence(&f.Evidence, p, 0, 0, 0)
		out = append(out, f)
	}
	return out
}

func checkImageFsUnavailable(v *view) []Finding {
	if v.s.ImageFsErr == "" {
		return nil
	}
	return []Finding{{Severity: Warning, Object: Object{Kind: KindRuntime, Name: "ImageFsInfo"},
		Message: "the runtime did not report its image filesystem", Evidence: Evidence{{"error", v.s.ImageFsErr}},
		Hint: command("imagefsinfo")}}
}

// filesystems are the image and container filesystems, each mountpoint
// once, with what the runtime says it uses there.
type filesystem struct {
	mountpoint, role string
	usage            *runtimeapi.FilesystemUsage
}

func (v *view) filesystems() []filesystem {
	var out []filesystem
	seen := map[string]bool{}
	add := func(role string, fss []*runtimeapi.FilesystemUsage) {
		for _, fs := range fss {
			mp := fs.GetFsId().GetMountpoint()
			if mp == "" || seen[mp] {
				continue
			}
			seen[mp] = true
			out = append(out, filesystem{mountpoint: mp, role: role, usage: fs})
		}
	}
	add("image", v.s.ImageFs.GetImageFilesystems())
	add("container", v.s.ImageFs.GetContainerFilesystems())
	return out
}

func (v *view) diskSeverity(pct float64) (Severity, bool) {
	switch {
	case pct >= v.o.DiskCrit:
		return Critical, true
	case pct >= v.o.DiskWarn:
		return Warning, true
	}
	return Info, false
}

// diskFindings are disk-space's and disk-inodes': pct measures a
// measured filesystem (false: it cannot say), describe writes the message
// and evidence of one over a threshold.
func (v *view) diskFindings(pct func(Capacity) (float64, bool), describe func(f *Finding, fs filesystem, c Capacity, pct float64)) []Finding {
	var out []Finding
	for _, fs := range v.filesystems() {
		c, ok := v.s.Capacity[fs.mountpoint]
		if !ok || c.Err != "" {
			continue
		}
		p, ok := pct(c)
		if !ok {
			continue
		}
		sev, bad := v.diskSeverity(p)
		if !bad {
			continue
		}
		f := Finding{Severity: sev, Object: Object{Kind: KindFilesystem, Name: fs.mountpoint}, Hint: command("rmi", "--prune")}
		describe(&f, fs, c, p)
		f.Evidence.add("threshold", percent(map[Severity]float64{Warning: v.o.DiskWarn, Critical: v.o.DiskCrit}[sev]))
		out = append(out, f)
	}
	return out
}

func checkDiskSpace(v *view) []Finding {
	return v.diskFindings(func(c Capacity) (float64, bool) {
		return 100 * float64(c.BytesUsed) / float64(c.BytesUsed+c.BytesFree), c.BytesUsed+c.BytesFree > 0
	}, func(f *Finding, fs filesystem, c Capacity, pct float64) {
		f.Message = fmt.Sprintf("%s filesystem %s full", fs.role, percent(pct))
		f.Evidence.add("used", percent(pct))
		f.Evidence.add("size", units.HumanSizeWithPrecision(float64(c.Bytes), 3))
		f.Evidence.add("available", units.HumanSizeWithPrecision(float64(c.BytesFree), 3))
		if fs.usage.GetUsedBytes() != nil {
			f.Evidence.add("runtimeUsedBytes", units.HumanSizeWithPrecision(float64(fs.usage.GetUsedBytes().GetValue()), 3))
		}
	})
}

func checkDiskInodes(v *view) []Finding {
	return v.diskFindings(func(c Capacity) (float64, bool) {
		// btrfs and others report no inode limit
		return 100 * float64(c.Inodes-min(c.InodesFree, c.Inodes)) / float64(c.Inodes), c.Inodes > 0
	}, func(f *Finding, fs filesystem, c Capacity, pct float64) {
		f.Message = fmt.Sprintf("%s filesystem has %s of its inodes in use", fs.role, percent(pct))
		f.Evidence.add("inodesUsed", percent(pct))
		f.Evidence.add("inodes", strconv.FormatUint(c.Inodes, 10))
		f.Evidence.add("inodesFree", strconv.FormatUint(c.InodesFree, 10))
		if fs.usage.GetInodesUsed() != nil {
			f.Evidence.add("runtimeInodesUsed", strconv.FormatUint(fs.usage.GetInodesUsed().GetValue(), 10))
		}
	})
}

func checkDiskUnmeasured(v *view) []Finding {
	var out []Finding
	for _, fs := range v.filesystems() {
		c, ok := v.s.Capacity[fs.mountpoint]
		if ok && c.Err == "" {
			continue
		}
		reason := c.Err
		if !ok {
			reason = "not measured"
		}
		out = append(out, Finding{Severity: Info, Object: Object{Kind: KindFilesystem, Name: fs.mountpoint},
			Message:  "cannot measure the " + fs.role + " filesystem's size (is crictl running on the runtime's node?)",
			Evidence: Evidence{{"error", reason}}, Hint: command("imagefsinfo")})
	}
	return out
}

// statsFindings measures the stats of each running container (its
// latest attempt); a finding it returns gets the container and the hint.
func (v *view) statsFindings(measure func(l *runtimeapi.Container, st *runtimeapi.ContainerStats) (Finding, bool)) []Finding {
	var out []Finding
	for _, g := range v.groups {
		l := g.latest()
		st := v.stats[l.GetId()]
		if !running(l) || st == nil {
			continue
		}
		if f, ok := measure(l, st); ok {
			f.Severity, f.Object = Warning, containerObject(g, l)
			f.Hint = command(append([]string{"inspect"}, v.containerArgs(g)...)...)
			out = append(out, f)
		}
	}
	return out
}

func checkCPU(v *view) []Finding {
	return v.statsFindings(func(l *runtimeapi.Container, st *runtimeapi.ContainerStats) (Finding, bool) {
		var f Finding
		if st.GetCpu().GetUsageNanoCores() == nil {
			return f, false
		}
		used := float64(st.GetCpu().GetUsageNanoCores().GetValue())
		var limit float64
		from := ""
		r := v.status(l).GetResources().GetLinux()
		switch {
		case r.GetCpuQuota() > 0 && r.GetCpuPeriod() > 0:
			limit, from = 1e9*float64(r.GetCpuQuota())/float64(r.GetCpuPeriod()), "CPU quota"
		case v.status(l) != nil && v.o.NodeCPUs > 0:
			limit, from = 1e9*float64(v.o.NodeCPUs), "node CPUs"
		default:
			return f, false
		}
		pct := 100 * used / limit
		f.Message = fmt.Sprintf("uses %s cores, %s of its limit (%s)", cores(used), percent(pct), from)
		f.Evidence.add("usageCores", cores(used))
		f.Evidence.add("limitCores", cores(limit))
		f.Evidence.add("limitFrom", from)
		f.Evidence.add("used", percent(pct))
		return f, pct >= v.o.CPUWarn
	})
}

func checkMemory(v *view) []Finding {
	return v.statsFindings(func(l *runtimeapi.Container, st *runtimeapi.ContainerStats) (Finding, bool) {
		var f Finding
		if st.GetMemory().GetWorkingSetBytes() == nil {
			return f, false
		}
		ws := st.GetMemory().GetWorkingSetBytes().GetValue()
		limit := uint64(v.status(l).GetResources().GetLinux().GetMemoryLimitInBytes())
		from := "ContainerStatus resources"
		if limit == 0 {
			if a := st.GetMemory().GetAvailableBytes().GetValue(); a > 0 {
				limit, from = ws+a, "stats (working set + available)"
			}
		}
		if limit == 0 {
			return f, false
		}
		pct := 100 * float64(ws) / float64(limit)
		f.Message = fmt.Sprintf("working set %s is %s of its memory limit %s", units.BytesSize(float64(ws)), percent(pct), units.BytesSize(float64(limit)))
		f.Evidence.add("workingSetBytes", strconv.FormatUint(ws, 10))
		f.Evidence.add("memoryLimitInBytes", strconv.FormatUint(limit, 10))
		f.Evidence.add("limitFrom", from)
		f.Evidence.add("used", percent(pct))
		return f, pct >= v.o.MemWarn
	})
}

func checkConfig(v *view) []Finding {
	n := v.s.Node
	var out []Finding
	if n.ConfigError != "" {
		out = append(out, Finding{Severity: Critical, Object: Object{Kind: KindCrictl, Name: n.ConfigPath},
			Message:  "the config file cannot be used, so every other crictl command fails; doctor ran without it",
			Evidence: Evidence{{"error", n.ConfigError}},
			Hint:     command("--config", "/dev/null", "info")})
	}
	for _, w := range n.ConfigWarnings {
		out = append(out, Finding{Severity: Warning, Object: Object{Kind: KindCrictl, Name: n.ConfigPath},
			Message: "config file: " + w, Evidence: Evidence{{"warning", w}}, Hint: command("config", "--list")})
	}
	return out
}

func checkEndpoint(v *view) []Finding {
	n := v.s.Node
	if !n.EndpointProbed {
		return nil
	}
	f := Finding{Severity: Warning, Object: Object{Kind: KindCrictl, Name: "runtime-endpoint"},
		Message: "no runtime endpoint is configured: crictl probed the default endpoints and used " + n.Endpoint +
			" (deprecated in the reference crictl; another runtime's socket may answer first)",
		Hint: command("config", "--set", "runtime-endpoint="+n.Endpoint)}
	f.Evidence.add("endpoint", n.Endpoint)
	f.Evidence.add("configFile", n.ConfigPath)
	return []Finding{f}
}

// checkClock compares the newest timestamp the runtime gave (objects'
// creation and stats samples) with the node's clock at the start of the
// gathering: a runtime cannot have created anything in the future.
func checkClock(v *view) []Finding {
	var newest int64
	what, hint := "", []string(nil)
	consider := func(ts int64, w string, h ...string) {
		if ts > newest {
			newest, what, hint = ts, w, h
		}
	}
	for _, p := range v.s.Pods {
		consider(p.GetCreatedAt(), "pod "+p.GetMetadata().GetNamespace()+"/"+p.GetMetadata().GetName()+" created", "pods", "--latest")
	}
	for _, c := range v.s.Containers {
		consider(c.GetCreatedAt(), "container "+c.GetMetadata().GetName()+" ("+shortID(c.GetId())+") created", "ps", "--latest")
	}
	for _, st := range v.s.ContainerStats {
		consider(st.GetCpu().GetTimestamp(), "CPU stats sampled", "info")
		consider(st.GetMemory().GetTimestamp(), "memory stats sampled", "info")
	}
	if newest == 0 {
		return nil
	}
	ahead := time.Unix(0, newest).Sub(v.s.Now)
	if ahead <= v.o.ClockSkew {
		return nil
	}
	f := Finding{Severity: Warning, Object: Object{Kind: KindRuntime, Name: "clock"},
		Message: "the runtime's newest timestamp (" + what + ") is " + units.HumanDuration(ahead) +
			" ahead of the node's clock: the clock was set back, or the runtime runs with another clock",
		Hint: command(hint...)}
	f.Evidence.add("nodeTime", v.s.Now.UTC().Format(time.RFC3339Nano))
	f.Evidence.add("runtimeTime", time.Unix(0, newest).UTC().Format(time.RFC3339Nano))
	f.Evidence.add("ahead", ahead.Round(time.Millisecond).String())
	f.Evidence.add("newest", what)
	return []Finding{f}
}

// Summary is the headline of a report.
type Summary struct {
	Counts
	Runtime        string `json:"runtime,omitempty"`
	RuntimeVersion string `json:"runtimeVersion,omitempty"`
	Endpoint       string `json:"endpoint"`
	Pods           int    `json:"pods"`
	Containers     int    `json:"containers"`
	// Stats says whether CPU and memory were checked: "checked", "off"
	// (not asked for: --stats) or "unavailable" (StatsError says why).
	Stats      string `json:"stats"`
	StatsError string `json:"statsError,omitempty"`
	CheckedAt  string `json:"checkedAt"`
}

// Summarize counts what was checked (after the selection) and found.
func Summarize(s *Snapshot, sel Selection, fs []Finding) Summary {
	return newView(s, sel, Options{}).summarize(fs)
}

func (v *view) summarize(fs []Finding) Summary {
	s := v.s
	sum := Summary{Counts: Count(fs), Endpoint: s.Node.Endpoint, Pods: len(v.newestPods),
		StatsError: s.StatsErr, CheckedAt: s.Now.UTC().Format(time.RFC3339), Stats: "checked"}
	switch {
	case s.StatsErr != "":
		sum.Stats = "unavailable"
	case s.ContainerStats == nil:
		sum.Stats = "off"
	}
	for _, g := range v.groups {
		sum.Containers += len(g.attempts)
	}
	if s.Version != nil {
		sum.Runtime, sum.RuntimeVersion = s.Version.GetRuntimeName(), s.Version.GetRuntimeVersion()
	}
	return sum
}

// Report is the document of `crictl doctor -o json|yaml`.
type Report struct {
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
}

// Headline is the one-line summary of a report.
func (r *Report) Headline() string {
	s := r.Summary
	var b strings.Builder
	{
		var parts []string
		if s.Critical+s.Warning == 0 {
			parts = append(parts, "no problems found")
		}
		for _, p := range []struct {
			n    int
			name string
		}{{s.Critical, "critical"}, {s.Warning, "warning"}, {s.Info, "info"}} {
			if p.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
			}
		}
		b.WriteString(strings.Join(parts, ", "))
	}
	rt := s.Runtime
	if rt == "" {
		rt = "runtime"
	}
	if s.RuntimeVersion != "" {
		rt += " " + s.RuntimeVersion
	}
	fmt.Fprintf(&b, " (%s at %s: %d pods, %d containers checked", rt, s.Endpoint, s.Pods, s.Containers)
	switch s.Stats {
	case "unavailable":
		b.WriteString("; no stats, CPU and memory not checked")
	case "checked":
		b.WriteString("; CPU and memory checked")
	}
	b.WriteString(")")
	return b.String()
}
