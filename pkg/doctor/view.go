package doctor

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/logs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Selection narrows the pod and container checks to some pods, as
// --namespace, --pod and --selector do; findings about the runtime, the
// node and crictl itself are not narrowed. The zero value selects
// everything.
type Selection struct {
	Namespace *kube.Matcher
	Labels    kube.Labels
	// Pod is a pod ID, ID prefix or name.
	Pod string
}

func (s *Selection) matchPod(id, name, namespace string, labels map[string]string) bool {
	if s.Pod != "" && !strings.HasPrefix(id, s.Pod) && name != s.Pod {
		return false
	}
	return s.Namespace.Match(namespace) && s.Labels.Match(labels)
}

// Options are the thresholds of the checks.
type Options struct {
	// DiskWarn and DiskCrit are the percentages of a filesystem's space
	// or inodes in use that make a warning and a critical finding.
	DiskWarn, DiskCrit float64
	// CPUWarn is the percentage of a container's CPU limit (or, without
	// one, of the node's CPUs) that makes a warning.
	CPUWarn float64
	// MemWarn is the percentage of a container's memory limit its working
	// set may reach before a warning.
	MemWarn float64
	// NotStarted is how long a container may stay created, or a ready
	// pod without containers, before it is a finding.
	NotStarted time.Duration
	// RecentRestart: a restart after a failure within this long is
	// critical, an older one a warning.
	RecentRestart time.Duration
	// ClockSkew is how far the runtime's newest timestamp may be ahead of
	// the node's clock.
	ClockSkew time.Duration
	// LogLines is how many lines of a failed attempt's log to show.
	LogLines int
	// NodeCPUs is the node's CPU count, for containers without a CPU
	// limit (0: those are not checked).
	NodeCPUs int
	// Stats makes Gather ask for the containers' stats (CPU and memory
	// checks). containerd 1.6 answers ListContainerStats in about 4 ms
	// per container, several times all the other calls together, so it
	// is asked for only on request.
	Stats bool
}

// DefaultOptions are the documented defaults (docs/doctor.md).
func DefaultOptions() Options {
	return Options{
		DiskWarn: 85, DiskCrit: 95, CPUWarn: 90, MemWarn: 90,
		NotStarted: 2 * time.Minute, RecentRestart: 10 * time.Minute,
		ClockSkew: 30 * time.Second, LogLines: 5,
	}
}

// group is the attempts of one container of one pod, oldest first.
type group struct {
	podID, name string
	pod         *runtimeapi.PodSandbox // nil when the sandbox is gone
	podName, ns string
	attempts    []*runtimeapi.Container
}

func (g *group) latest() *runtimeapi.Container { return g.attempts[len(g.attempts)-1] }

// previous is the newest attempt before the latest one, or nil.
func (g *group) previous() *runtimeapi.Container {
	l := g.latest().GetMetadata().GetAttempt()
	for i := len(g.attempts) - 2; i >= 0; i-- {
		if g.attempts[i].GetMetadata().GetAttempt() < l {
			return g.attempts[i]
		}
	}
	return nil
}

// view is a snapshot indexed for the checks, narrowed by the selection.
type view struct {
	s    *Snapshot
	o    Options
	pods kube.PodIndex
	// newestPods are the newest sandbox of each selected namespace/name.
	newestPods []*runtimeapi.PodSandbox
	// groups are the selected containers by pod and name, in a stable
	// order.
	groups []*group
	byPod  map[string][]*group
	stats  map[string]*runtimeapi.ContainerStats
	// sameName counts pods per namespace/container name: a hint then
	// needs --pod to name the container.
	sameName map[string]int
}

func newView(s *Snapshot, sel Selection, o Options) *view {
	v := &view{s: s, o: o, pods: kube.IndexPods(s.Pods), byPod: map[string][]*group{},
		stats: map[string]*runtimeapi.ContainerStats{}, sameName: map[string]int{}}
	newest := map[string]*runtimeapi.PodSandbox{}
	for _, p := range s.Pods {
		md := p.GetMetadata()
		if !sel.matchPod(p.GetId(), md.GetName(), md.GetNamespace(), p.GetLabels()) {
			continue
		}
		k := md.GetNamespace() + "/" + md.GetName()
		if o := newest[k]; o == nil || p.GetCreatedAt() > o.GetCreatedAt() {
			newest[k] = p
		}
	}
	for _, p := range newest {
		v.newestPods = append(v.newestPods, p)
	}
	slices.SortFunc(v.newestPods, func(a, b *runtimeapi.PodSandbox) int {
		return cmp.Or(cmp.Compare(a.GetMetadata().GetNamespace(), b.GetMetadata().GetNamespace()),
			cmp.Compare(a.GetMetadata().GetName(), b.GetMetadata().GetName()))
	})

	groups := map[string]*group{}
	var all []*group
	for _, c := range s.Containers {
		if kube.IsSandboxContainer(c) {
			continue
		}
		k := c.GetPodSandboxId() + "\x00" + c.GetMetadata().GetName()
		g := groups[k]
		if g == nil {
			podName, ns := v.pods.PodOf(c)
			g = &group{podID: c.GetPodSandboxId(), name: c.GetMetadata().GetName(), pod: v.pods[c.GetPodSandboxId()], podName: podName, ns: ns}
			groups[k] = g
			all = append(all, g)
			v.sameName[ns+"/"+g.name]++
		}
		g.attempts = append(g.attempts, c)
	}
	for _, g := range all {
		labels := g.attempts[0].GetLabels()
		if g.pod != nil {
			labels = g.pod.GetLabels()
		}
		if sel.matchPod(g.podID, g.podName, g.ns, labels) {
			v.groups = append(v.groups, g)
			v.byPod[g.podID] = append(v.byPod[g.podID], g)
		}
	}
	for _, g := range v.groups {
		slices.SortFunc(g.attempts, func(a, b *runtimeapi.Container) int {
			return cmp.Or(cmp.Compare(a.GetMetadata().GetAttempt(), b.GetMetadata().GetAttempt()),
				cmp.Compare(a.GetCreatedAt(), b.GetCreatedAt()), cmp.Compare(a.GetId(), b.GetId()))
		})
	}
	slices.SortFunc(v.groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.ns, b.ns), cmp.Compare(a.podName, b.podName), cmp.Compare(a.name, b.name), cmp.Compare(a.podID, b.podID))
	})
	for _, st := range s.ContainerStats {
		v.stats[st.GetAttributes().GetId()] = st
	}
	return v
}

func running(c *runtimeapi.Container) bool {
	return c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
}

func exited(c *runtimeapi.Container) bool {
	return c.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED
}

func podReady(p *runtimeapi.PodSandbox) bool {
	return p != nil && p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY
}

// status is the ContainerStatus gathered for a container, or nil.
func (v *view) status(c *runtimeapi.Container) *runtimeapi.ContainerStatus {
	if c == nil {
		return nil
	}
	return v.s.Statuses[c.GetId()]
}

// Suspects are the per-object calls the checks need after the lists: the
// containers whose ContainerStatus a check reads, and whether Status is
// wanted again with the runtime's verbose info.
type Suspects struct {
	Containers    []string
	VerboseStatus bool
}

// suspectsOf lists what the checks will look at: the latest and previous
// attempts of restarted containers, exited containers of ready pods that
// were not restarted, and the containers whose stats are near a limit.
func (v *view) suspects() Suspects {
	var sus Suspects
	for _, c := range v.s.Status.GetStatus().GetConditions() {
		if !c.GetStatus() {
			sus.VerboseStatus = true
		}
	}
	seen := map[string]bool{}
	add := func(c *runtimeapi.Container) {
		if c != nil && !seen[c.GetId()] {
			seen[c.GetId()] = true
			sus.Containers = append(sus.Containers, c.GetId())
		}
	}
	for _, g := range v.groups {
		l := g.latest()
		switch {
		case l.GetMetadata().GetAttempt() > 0:
			add(l)
			if p := g.previous(); p != nil && exited(p) {
				add(p)
			}
		case exited(l) && podReady(g.pod):
			add(l)
		}
		if running(l) && v.memSuspect(l) {
			add(l)
		}
	}
	for _, c := range v.cpuSuspects() {
		add(c)
	}
	return sus
}

// A container's CPU limit is only in its ContainerStatus: those of the
// busiest running containers using at least cpuSuspectCores are asked for,
// at most cpuSuspectMax of them.
const (
	cpuSuspectCores = 0.05
	cpuSuspectMax   = 16
)

func (v *view) cpuSuspects() []*runtimeapi.Container {
	var out []*runtimeapi.Container
	for _, g := range v.groups {
		l := g.latest()
		if st := v.stats[l.GetId()]; running(l) && st != nil && v.nanoCores(l) >= cpuSuspectCores*1e9 {
			out = append(out, l)
		}
	}
	slices.SortStableFunc(out, func(a, b *runtimeapi.Container) int { return cmp.Compare(v.nanoCores(b), v.nanoCores(a)) })
	return out[:min(len(out), cpuSuspectMax)]
}

func (v *view) nanoCores(c *runtimeapi.Container) uint64 {
	return v.stats[c.GetId()].GetCpu().GetUsageNanoCores().GetValue()
}

// memSuspect: the stats give the limit as working set + available bytes
// (containerd reports available bytes only under a limit).
func (v *view) memSuspect(c *runtimeapi.Container) bool {
	st := v.stats[c.GetId()]
	ws, avail := st.GetMemory().GetWorkingSetBytes().GetValue(), st.GetMemory().GetAvailableBytes().GetValue()
	return avail > 0 && 100*float64(ws)/float64(ws+avail) >= v.o.MemWarn
}

// LogWant is a log tail Gather reads for a finding: the container the
// finding is about, the log file and the attempt it belongs to.
type LogWant struct {
	ID, PodID string
	Path      string
	Attempt   uint32
	Err       error
}

// logsWanted lists the logs to read once the statuses are in: for a
// restarted container the previous attempt's (or, when the latest has
// exited too, its own), for an exited one its own, when it failed.
func (v *view) logsWanted() []LogWant {
	var out []LogWant
	for _, g := range v.groups {
		l := g.latest()
		ls := v.status(l)
		if ls.GetLogPath() == "" {
			continue
		}
		attempt := l.GetMetadata().GetAttempt()
		switch {
		case exited(l) && ls.GetExitCode() != 0 && (attempt > 0 || podReady(g.pod)):
			out = append(out, LogWant{ID: l.GetId(), PodID: g.podID, Path: ls.GetLogPath(), Attempt: attempt})
		case !exited(l) && attempt > 0:
			p := g.previous()
			if p == nil || !exited(p) || v.status(p).GetExitCode() == 0 {
				continue
			}
			path, err := logs.PreviousPath(ls.GetLogPath(), attempt)
			out = append(out, LogWant{ID: l.GetId(), PodID: g.podID, Path: path, Attempt: attempt - 1, Err: err})
		}
	}
	return out
}
