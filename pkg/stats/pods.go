package stats

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/parallel"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Pod is one row of `crictl statsp`.
type Pod struct {
	ID, Name, Namespace string
	// CPU is in percent of one core; HasCPU is false when no figure can be
	// given yet.
	CPU    float64
	HasCPU bool
	// Memory is the working set; MemoryLimit the pod's limit when the
	// runtime reports one, else 0.
	Memory, MemoryLimit uint64
	// RxBytes and TxBytes are the pod's default interface totals, when
	// HasNetwork (host-network pods and Windows pods may have none).
	RxBytes, TxBytes uint64
	HasNetwork       bool
	// Processes is the pod's process count, when HasProcesses.
	Processes    uint64
	HasProcesses bool
	Stats        *runtimeapi.PodSandboxStats
}

// PodError is a pod whose stats the runtime did not give.
type PodError struct {
	ID, Name, Namespace string
	Err                 error
}

// PodSample is what one sample of the selected pods gives.
type PodSample struct {
	// Rows are the pods that answered, sorted by ID; Stats their stats,
	// the document `statsp -o json` prints.
	Rows  []Pod
	Stats []*runtimeapi.PodSandboxStats
	// Failed are the pods that did not answer when the runtime failed the
	// list as a whole and each pod was asked on its own; ListErr is the
	// runtime's error for the list then.
	Failed  []PodError
	ListErr error
}

// PodSampler samples the statistics of the ready pods a filter selects.
type PodSampler struct {
	RS     runtimeapi.RuntimeServiceClient
	Filter *kube.PodFilter
	// Interval, Sleep and Measure are as for ContainerSampler.
	Interval time.Duration
	Sleep    func(ctx context.Context, d time.Duration) error
	Measure  bool

	// prev is the CPU of the previous sample, by pod ID.
	prev map[string]*runtimeapi.CpuUsage
}

// Sample asks for the stats of the selected pods (see PodSample) and, as
// ContainerSampler.Sample, a second time when a CPU figure needs it and
// twice is true.
func (s *PodSampler) Sample(ctx context.Context, twice bool) (*PodSample, error) {
	res := &PodSample{}
	stats, err := s.list(ctx, res, nil)
	if err != nil {
		return nil, err
	}
	cpus := make([]*runtimeapi.CpuUsage, len(stats))
	for i, ps := range stats {
		cpus[i] = podCPU(ps)
	}
	rates := HasRates(cpus)
	prev := s.prev
	if prev == nil && (!rates || s.Measure) && twice && len(stats) > 0 {
		prev = podCPUByID(stats)
		if err := s.sleep(ctx, cmp.Or(s.Interval, SampleInterval)); err != nil {
			return nil, err
		}
		// The pods that answered once are asked again; one that fails now
		// has stopped in between and is left out.
		again := &PodSample{}
		if stats, err = s.list(ctx, again, prev); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(stats, func(a, b *runtimeapi.PodSandboxStats) int {
		return cmp.Compare(a.GetAttributes().GetId(), b.GetAttributes().GetId())
	})
	res.Stats = stats
	res.Rows = make([]Pod, len(stats))
	for i, ps := range stats {
		res.Rows[i] = podRow(ps, prev[ps.GetAttributes().GetId()], rates && !s.Measure)
	}
	s.prev = podCPUByID(stats)
	return res, nil
}

func (s *PodSampler) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// list asks for the stats of the selected pods with ListPodSandboxStats,
// or one PodSandboxStats per ready pod when the list fails as a whole;
// only, when not nil, limits the per-pod calls to those pods.
func (s *PodSampler) list(ctx context.Context, res *PodSample, only map[string]*runtimeapi.CpuUsage) ([]*runtimeapi.PodSandboxStats, error) {
	r, err := s.RS.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: &runtimeapi.PodSandboxStatsFilter{
		Id: s.Filter.ID, LabelSelector: s.Filter.Labels.Exact,
	}})
	if err == nil {
		var out []*runtimeapi.PodSandboxStats
		for _, ps := range r.GetStats() {
			a := ps.GetAttributes()
			if s.Filter.Match(a.GetMetadata().GetName(), a.GetMetadata().GetNamespace(), a.GetLabels()) &&
				(only == nil || only[a.GetId()] != nil) {
				out = append(out, ps)
			}
		}
		return out, nil
	}
	if !wholeListFailure(ctx, err) {
		return nil, err
	}
	res.ListErr = err
	pf := *s.Filter
	pf.State = &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
	pods, lerr := kube.ListPods(ctx, s.RS, &pf)
	if lerr != nil {
		return nil, lerr
	}
	if only != nil {
		pods = slices.DeleteFunc(pods, func(p *runtimeapi.PodSandbox) bool { return only[p.GetId()] == nil })
	}
	got := make([]*runtimeapi.PodSandboxStats, len(pods))
	errs := make([]error, len(pods))
	parallel.ForEach(ctx, len(pods), parallel.DefaultLimit, func(i int) {
		r, err := s.RS.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: pods[i].GetId()})
		got[i], errs[i] = r.GetStats(), err
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*runtimeapi.PodSandboxStats
	for i, p := range pods {
		switch {
		case errs[i] != nil && only == nil:
			md := p.GetMetadata()
			res.Failed = append(res.Failed, PodError{ID: p.GetId(), Name: md.GetName(), Namespace: md.GetNamespace(), Err: errs[i]})
		case errs[i] == nil && got[i] != nil:
			out = append(out, got[i])
		}
	}
	return out, nil
}

// wholeListFailure tells a list the runtime failed because of one pod
// (an error about that pod) from one that says the runtime cannot answer
// at all: no such call, gone, too slow, or interrupted.
func wholeListFailure(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch status.Code(err) {
	case codes.Unimplemented, codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.ResourceExhausted:
		return false
	}
	return true
}

// podCPUByID keeps the CPU of each pod's stats.
func podCPUByID(stats []*runtimeapi.PodSandboxStats) map[string]*runtimeapi.CpuUsage {
	m := make(map[string]*runtimeapi.CpuUsage, len(stats))
	for _, s := range stats {
		m[s.GetAttributes().GetId()] = podCPU(s)
	}
	return m
}

// podCPU reads the Linux CPU stats, or the Windows ones for a Windows pod.
func podCPU(s *runtimeapi.PodSandboxStats) *runtimeapi.CpuUsage {
	if s.GetLinux() != nil {
		return s.GetLinux().GetCpu()
	}
	if w := s.GetWindows().GetCpu(); w != nil {
		return &runtimeapi.CpuUsage{Timestamp: w.GetTimestamp(), UsageCoreNanoSeconds: w.GetUsageCoreNanoSeconds(), UsageNanoCores: w.GetUsageNanoCores()}
	}
	return nil
}

func podRow(s *runtimeapi.PodSandboxStats, prevCPU *runtimeapi.CpuUsage, rates bool) Pod {
	md := s.GetAttributes().GetMetadata()
	r := Pod{ID: s.GetAttributes().GetId(), Name: md.GetName(), Namespace: md.GetNamespace(), Stats: s}
	r.CPU, r.HasCPU = cpuFigure(prevCPU, podCPU(s), rates)
	var avail uint64
	var net *runtimeapi.NetworkUsage
	var proc *runtimeapi.ProcessUsage
	if l := s.GetLinux(); l != nil {
		r.Memory, avail = l.GetMemory().GetWorkingSetBytes().GetValue(), l.GetMemory().GetAvailableBytes().GetValue()
		net, proc = l.GetNetwork(), l.GetProcess()
	} else if w := s.GetWindows(); w != nil {
		r.Memory, avail = w.GetMemory().GetWorkingSetBytes().GetValue(), w.GetMemory().GetAvailableBytes().GetValue()
		if wn := w.GetNetwork(); wn.GetDefaultInterface() != nil {
			r.RxBytes, r.TxBytes, r.HasNetwork = wn.GetDefaultInterface().GetRxBytes().GetValue(), wn.GetDefaultInterface().GetTxBytes().GetValue(), true
		}
		if pc := w.GetProcess().GetProcessCount(); pc != nil {
			r.Processes, r.HasProcesses = pc.GetValue(), true
		}
	}
	if avail > 0 {
		r.MemoryLimit = r.Memory + avail
	}
	if di := net.GetDefaultInterface(); di != nil {
		r.RxBytes, r.TxBytes, r.HasNetwork = di.GetRxBytes().GetValue(), di.GetTxBytes().GetValue(), true
	}
	if pc := proc.GetProcessCount(); pc != nil {
		r.Processes, r.HasProcesses = pc.GetValue(), true
	}
	return r
}
