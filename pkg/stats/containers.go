package stats

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Container is one row of `crictl stats`: a container's figures with its
// name and its pod's name and namespace.
type Container struct {
	ID, Name, Pod, Namespace string
	// CPU is in percent of one core; HasCPU is false when no figure can be
	// given yet (a container that started since the previous sample).
	CPU    float64
	HasCPU bool
	// Memory is the working set, as the reference shows it; MemoryLimit is
	// the container's limit when the runtime reports one (working set plus
	// available bytes), else 0.
	Memory, MemoryLimit uint64
	Disk, Inodes, Swap  uint64
	// State and PodID come from the list.
	State runtimeapi.ContainerState
	PodID string
}

// ContainerSample is what one sample of the selected containers gives.
type ContainerSample struct {
	// Rows are the containers the selection holds in both the list and the
	// stats, sorted by ID (as the reference sorts them).
	Rows []Container
	// Stats are the runtime's stats of those containers, sorted by ID: the
	// document `stats -o json` prints (only with DocumentOnly).
	Stats []*runtimeapi.ContainerStats
	// Errs are errors that did not stop the sample (the pod list failed:
	// POD and NAMESPACE come from kubelet's labels).
	Errs []error
}

// ContainerSampler samples the statistics of the containers a filter
// selects. It keeps the previous sample so that a watch computes CPU from
// consecutive frames; one sampler serves one command.
type ContainerSampler struct {
	RS     runtimeapi.RuntimeServiceClient
	Images kube.ImageClient
	Filter *kube.ContainerFilter
	// Interval is the wait between the two samples of a CPU figure when the
	// runtime does not report rates and there is no previous sample
	// (SampleInterval if zero).
	Interval time.Duration
	// Sleep waits for d or until ctx is done (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
	// Measure takes the second sample even when the runtime gives rates
	// (the user asked for CPU over an interval of their choice).
	Measure bool
	// DocumentOnly: only Stats is wanted (-o json), so the pods are listed
	// only when the filter needs them; Rows then lack POD and NAMESPACE
	// where kubelet's labels do not give them.
	DocumentOnly bool

	// prev is the CPU of the previous sample, by container ID.
	prev map[string]*runtimeapi.CpuUsage
}

// Sample lists the selected containers and their stats concurrently. When
// a CPU figure needs a second sample (first call, the runtime gives no
// rates) and twice is true, it waits Interval and takes the stats again.
// twice false gives the rows of a single sample, CPU from rates only.
func (s *ContainerSampler) Sample(ctx context.Context, twice bool) (*ContainerSample, error) {
	var (
		wg     sync.WaitGroup
		st     *runtimeapi.ListContainerStatsResponse
		stErr  error
		filter = s.statsFilter()
	)
	wg.Go(func() {
		st, stErr = s.RS.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: filter})
	})
	// The lists come back long before the stats (containerd takes ~1 ms a
	// container for these): only what the rows need is kept of them, so
	// their replies are garbage by the time the stats are decoded.
	list, err := kube.ListContainers(ctx, s.RS, s.Images, s.Filter, kube.Join{Pods: !s.DocumentOnly})
	var sel map[string]member
	var errs []error
	running := false
	if err == nil {
		sel, running, errs = selected(list)
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if stErr != nil {
		return nil, stErr
	}
	stats := st.GetStats()
	cpus := make([]*runtimeapi.CpuUsage, len(stats))
	for i, cs := range stats {
		cpus[i] = cs.GetCpu()
	}
	rates := HasRates(cpus)
	prev := s.prev
	if prev == nil && (!rates || s.Measure) && twice && running {
		prev = cpuByID(stats)
		if err := s.sleep(ctx, cmp.Or(s.Interval, SampleInterval)); err != nil {
			return nil, err
		}
		r, err := s.RS.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: filter})
		if err != nil {
			return nil, err
		}
		stats = r.GetStats()
	}
	res := &ContainerSample{Errs: errs}
	var kept []*runtimeapi.ContainerStats
	res.Rows, kept = joinContainers(stats, sel, prev, rates && !s.Measure)
	if s.DocumentOnly {
		res.Stats = kept
	}
	s.prev = cpuByID(kept)
	return res, nil
}

// member is what a row needs of a container the selection holds.
type member struct {
	name, pod, namespace, podID string
	state                       runtimeapi.ContainerState
}

// selected keeps what the rows need of the listed containers, and tells
// whether any runs.
func selected(list *kube.Containers) (sel map[string]member, running bool, errs []error) {
	sel = make(map[string]member, len(list.Items))
	for _, c := range list.Items {
		pod, ns := list.Pods.PodOf(c)
		sel[c.GetId()] = member{name: c.GetMetadata().GetName(), pod: pod, namespace: ns, podID: c.GetPodSandboxId(), state: c.GetState()}
		running = running || c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return sel, running, list.Errs
}

func (s *ContainerSampler) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits for d, or returns ctx's error when it ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// statsFilter is the part of the selection the runtime applies to the
// stats: an ID, a full pod ID, exact labels. It is never nil: containerd
// 1.6 answers a nil filter with the stats of every task, pause containers
// included, at twice the cost.
func (s *ContainerSampler) statsFilter() *runtimeapi.ContainerStatsFilter {
	f := &runtimeapi.ContainerStatsFilter{Id: s.Filter.ID, LabelSelector: s.Filter.Labels.Exact}
	if kube.IsFullID(s.Filter.Pod) {
		f.PodSandboxId = s.Filter.Pod
	}
	return f
}

// cpuByID keeps the CPU of each container's stats.
func cpuByID(stats []*runtimeapi.ContainerStats) map[string]*runtimeapi.CpuUsage {
	m := make(map[string]*runtimeapi.CpuUsage, len(stats))
	for _, s := range stats {
		m[s.GetAttributes().GetId()] = s.GetCpu()
	}
	return m
}

// joinContainers keeps the stats of the selected containers, sorted by
// ID, and makes their rows.
func joinContainers(stats []*runtimeapi.ContainerStats, sel map[string]member, prev map[string]*runtimeapi.CpuUsage,
	rates bool) ([]Container, []*runtimeapi.ContainerStats) {
	kept := make([]*runtimeapi.ContainerStats, 0, min(len(stats), len(sel)))
	for _, s := range stats {
		if _, ok := sel[s.GetAttributes().GetId()]; ok {
			kept = append(kept, s)
		}
	}
	slices.SortFunc(kept, func(a, b *runtimeapi.ContainerStats) int {
		return cmp.Compare(a.GetAttributes().GetId(), b.GetAttributes().GetId())
	})
	rows := make([]Container, len(kept))
	for i, s := range kept {
		id := s.GetAttributes().GetId()
		m := sel[id]
		r := Container{
			ID: id, Name: m.name, Pod: m.pod, Namespace: m.namespace,
			Memory: s.GetMemory().GetWorkingSetBytes().GetValue(),
			Disk:   s.GetWritableLayer().GetUsedBytes().GetValue(),
			Inodes: s.GetWritableLayer().GetInodesUsed().GetValue(),
			Swap:   s.GetSwap().GetSwapUsageBytes().GetValue(),
			State:  m.state, PodID: m.podID,
		}
		if avail := s.GetMemory().GetAvailableBytes().GetValue(); avail > 0 {
			r.MemoryLimit = r.Memory + avail
		}
		if m.state == runtimeapi.ContainerState_CONTAINER_RUNNING {
			r.CPU, r.HasCPU = cpuFigure(prev[id], s.GetCpu(), rates)
		} else {
			// A container that does not run uses no CPU.
			r.HasCPU = true
		}
		rows[i] = r
	}
	return rows, kept
}
