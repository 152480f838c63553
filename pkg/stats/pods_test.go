package stats

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func podNames(rows []Pod) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	return out
}

func TestPodSample(t *testing.T) {
	n := newNode(t)
	s := &PodSampler{RS: n.rs, Filter: &kube.PodFilter{},
		Sleep: func(context.Context, time.Duration) error { t.Error("slept with rates at hand"); return nil }}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3 || len(res.Failed) != 0 || res.ListErr != nil {
		t.Fatalf("rows %v failed %v", podNames(res.Rows), res.Failed)
	}
	if !slices.IsSortedFunc(res.Rows, func(a, b Pod) int { return strings.Compare(a.ID, b.ID) }) {
		t.Errorf("not sorted by ID")
	}
	for _, r := range res.Rows {
		// the fake: network and process counts for every ready pod
		if !r.HasCPU || !r.HasNetwork || r.RxBytes == 0 || !r.HasProcesses || r.Processes < 1 || r.Memory == 0 {
			t.Errorf("row %+v", r)
		}
	}
	ns, _ := kube.NewMatcher("namespace", "kube-system", false)
	s = &PodSampler{RS: n.rs, Filter: &kube.PodFilter{Selector: kube.Selector{Namespace: ns}}}
	if res, err = s.Sample(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if got := podNames(res.Rows); !slices.Equal(got, []string{"kube-system/coredns-x", "kube-system/kube-proxy-y"}) &&
		!slices.Equal(got, []string{"kube-system/kube-proxy-y", "kube-system/coredns-x"}) {
		t.Errorf("kube-system: %v", got)
	}
}

// containerd fails ListPodSandboxStats as a whole when one sandbox has no
// cgroup parent: every ready pod is then asked on its own, the ones that
// answer are kept and the one that does not is named.
func TestPodSampleFallsBackPerPod(t *testing.T) {
	n := newNode(t)
	n.notReadyPod()
	msg := "failed to obtain metrics for sandbox " + n.web.Id + ": cgroupPath is empty"
	n.srv.Inject("ListPodSandboxStats", crifake.Fault{Code: codes.Unknown, Message: msg})
	n.rs.failPod = n.web.Id
	s := &PodSampler{RS: n.rs, Filter: &kube.PodFilter{}}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || len(res.Failed) != 1 || res.Failed[0].ID != n.web.Id || res.Failed[0].Name != "web-z" ||
		!strings.Contains(res.Failed[0].Err.Error(), "cgroupPath is empty") {
		t.Fatalf("rows %v failed %+v", podNames(res.Rows), res.Failed)
	}
	if res.ListErr == nil || !strings.Contains(res.ListErr.Error(), msg) {
		t.Errorf("list error %v", res.ListErr)
	}
	// only the ready pods were asked
	if c := len(n.srv.Requests("PodSandboxStats")); c != 2 {
		t.Errorf("%d PodSandboxStats calls, want 2 (the failing pod is not sent to the fake)", c)
	}
}

// A runtime without the call, or one that is gone, is not asked pod by pod.
func TestPodSampleNoFallback(t *testing.T) {
	for _, code := range []codes.Code{codes.Unimplemented, codes.Unavailable} {
		n := newNode(t)
		n.srv.Inject("ListPodSandboxStats", crifake.Fault{Code: code})
		_, err := (&PodSampler{RS: n.rs, Filter: &kube.PodFilter{}}).Sample(context.Background(), true)
		if err == nil || (code == codes.Unimplemented && !cri.IsUnimplemented(err)) {
			t.Errorf("%v: error %v", code, err)
		}
		if c := len(n.srv.Requests("PodSandboxStats")); c != 0 {
			t.Errorf("%v: %d per-pod calls", code, c)
		}
	}
}

func TestPodSampleTwice(t *testing.T) {
	n := newNode(t)
	rate := map[string]uint64{}
	n.rs.podStats = func(r *runtimeapi.ListPodSandboxStatsResponse) {
		for _, s := range r.Stats {
			rate[s.GetAttributes().GetId()] = s.GetLinux().GetCpu().GetUsageNanoCores().GetValue()
			s.Linux.Cpu.UsageNanoCores = nil
		}
	}
	var slept []time.Duration
	s := &PodSampler{RS: n.rs, Filter: &kube.PodFilter{}, Interval: time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slept, []time.Duration{time.Second}) {
		t.Errorf("slept %v", slept)
	}
	for _, r := range res.Rows {
		if want := float64(rate[r.ID]) / 1e7; !r.HasCPU || r.CPU-want > 1e-9 || want-r.CPU > 1e-9 {
			t.Errorf("%s: CPU %v, want %v", r.Name, r.CPU, want)
		}
	}
}
