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
	// Stats is the runtime's sample; State and PodID come from the list.
	Stats *runtimeapi.ContainerStats
	State runtimeapi.ContainerState
	PodID string
}

// ContainerSample is what one sample of the selected containers gives.
type ContainerSample struct {
	// Rows are the containers the selection holds in both the list and the
	// stats, sorted by ID (as the reference sorts them).
	Rows []Container
	// Stats are the runtime's stats of those containers, sorted by ID: the
	// document `stats -o json` prints.
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

	prev map[string]*runtimeapi.ContainerStats
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
	list, err := kube.ListContainers(ctx, s.RS, s.Images, s.Filter, kube.Join{Pods: !s.DocumentOnly})
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
	if prev == nil && (!rates || s.Measure) && twice && hasRunning(list.Items) {
		prev = indexStats(stats)
		if err := s.sleep(ctx, cmp.Or(s.Interval, SampleInterval)); err != nil {
			return nil, err
		}
		r, err := s.RS.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: filter})
		if err != nil {
			return nil, err
		}
		stats = r.GetStats()
	}
	res := &ContainerSample{Errs: list.Errs}
	res.Rows, res.Stats = joinContainers(stats, list, prev, rates && !s.Measure)
	s.prev = indexStats(res.Stats)
	return res, nil
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

func hasRunning(cs []*runtimeapi.Container) bool {
	for _, c := range cs {
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
			return true
		}
	}
	return false
}

func indexStats(stats []*runtimeapi.ContainerStats) map[string]*runtimeapi.ContainerStats {
	m := make(map[string]*runtimeapi.ContainerStats, len(stats))
	for _, s := range stats {
		m[s.GetAttributes().GetId()] = s
	}
	return m
}

// joinContainers keeps the stats of the listed containers, sorted by ID,
// and makes their rows.
func joinContainers(stats []*runtimeapi.ContainerStats, list *kube.Containers, prev map[string]*runtimeapi.ContainerStats,
	rates bool) ([]Container, []*runtimeapi.ContainerStats) {
	byID := make(map[string]*runtimeapi.Container, len(list.Items))
	for _, c := range list.Items {
		byID[c.GetId()] = c
	}
	kept := make([]*runtimeapi.ContainerStats, 0, min(len(stats), len(byID)))
	for _, s := range stats {
		if byID[s.GetAttributes().GetId()] != nil {
			kept = append(kept, s)
		}
	}
	slices.SortFunc(kept, func(a, b *runtimeapi.ContainerStats) int {
		return cmp.Compare(a.GetAttributes().GetId(), b.GetAttributes().GetId())
	})
	rows := make([]Container, len(kept))
	for i, s := range kept {
		c := byID[s.GetAttributes().GetId()]
		pod, ns := list.Pods.PodOf(c)
		r := Container{
			ID: c.GetId(), Name: c.GetMetadata().GetName(), Pod: pod, Namespace: ns,
			Memory: s.GetMemory().GetWorkingSetBytes().GetValue(),
			Disk:   s.GetWritableLayer().GetUsedBytes().GetValue(),
			Inodes: s.GetWritableLayer().GetInodesUsed().GetValue(),
			Swap:   s.GetSwap().GetSwapUsageBytes().GetValue(),
			Stats:  s, State: c.GetState(), PodID: c.GetPodSandboxId(),
		}
		if avail := s.GetMemory().GetAvailableBytes().GetValue(); avail > 0 {
			r.MemoryLimit = r.Memory + avail
		}
		if c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING {
			var p *runtimeapi.CpuUsage
			if ps := prev[c.GetId()]; ps != nil {
				p = ps.GetCpu()
			}
			r.CPU, r.HasCPU = cpuFigure(p, s.GetCpu(), rates)
		} else {
			// A container that does not run uses no CPU.
			r.HasCPU = true
		}
		rows[i] = r
	}
	return rows, kept
}
