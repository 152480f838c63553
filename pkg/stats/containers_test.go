package stats

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/kube"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func noImages() (runtimeapi.ImageServiceClient, error) { panic("no image list needed") }

func rowNames(rows []Container) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Pod+"/"+r.Name)
	}
	return out
}

func TestContainerSampleJoinsAndSorts(t *testing.T) {
	n := newNode(t)
	rate := rateRecorder(n)
	s := &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{},
		Sleep: func(context.Context, time.Duration) error { t.Error("slept with rates at hand"); return nil }}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	// running containers only, pause ones left out, sorted by ID; no
	// document unless asked for
	if len(res.Rows) != 3 || res.Stats != nil {
		t.Fatalf("rows %v, %d stats", rowNames(res.Rows), len(res.Stats))
	}
	if !slices.IsSortedFunc(res.Rows, func(a, b Container) int { return compareStrings(a.ID, b.ID) }) {
		t.Errorf("not sorted by ID: %v", res.Rows)
	}
	for _, r := range res.Rows {
		if !r.HasCPU || r.Memory == 0 {
			t.Errorf("row %+v", r)
		}
		// the fake's rate: (1 + h%50) million nano cores
		if want := rate[r.ID]; r.CPU != want {
			t.Errorf("%s: CPU %v, want the runtime's rate %v", r.Name, r.CPU, want)
		}
		if r.Name == "nginx" && (r.Pod != "web-z" || r.Namespace != "default") {
			t.Errorf("nginx joined to %s/%s", r.Namespace, r.Pod)
		}
	}
	// the runtime's filter is never nil
	reqs := n.srv.Requests("ListContainerStats")
	if len(reqs) != 1 || reqs[0].(*runtimeapi.ListContainerStatsRequest).Filter == nil {
		t.Errorf("requests %v", reqs)
	}

	ns, _ := kube.NewMatcher("namespace", "kube-system", false)
	s = &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{Selector: kube.Selector{Namespace: ns}, All: true}}
	if res, err = s.Sample(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if got := rowNames(res.Rows); len(got) != 2 || !slices.Contains(got, "coredns-x/coredns") || !slices.Contains(got, "kube-proxy-y/kube-proxy") {
		t.Errorf("kube-system: %v", got)
	}
	// -a: the exited container, with no CPU use; the document
	s = &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{ID: n.old.Id, All: true}, DocumentOnly: true}
	if res, err = s.Sample(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].CPU != 0 || !res.Rows[0].HasCPU || res.Rows[0].State != runtimeapi.ContainerState_CONTAINER_EXITED ||
		len(res.Stats) != 1 || res.Stats[0].GetAttributes().GetId() != n.old.Id {
		t.Errorf("exited container: %+v, stats %v", res.Rows, res.Stats)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// A container the stats hold but the list does not (it went away between
// the calls), or the list holds but the stats do not, is dropped.
func TestContainerSampleDropsVanished(t *testing.T) {
	n := newNode(t)
	n.rs.ctrStats = func(r *runtimeapi.ListContainerStatsResponse, _ int) {
		gone := &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: crifake.MakeID("gone")}}
		r.Stats = append(slices.DeleteFunc(r.Stats, func(s *runtimeapi.ContainerStats) bool {
			return s.GetAttributes().GetId() == n.proxyC.Id
		}), gone)
	}
	s := &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{}}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowNames(res.Rows); len(got) != 2 || slices.Contains(got, "kube-proxy-y/kube-proxy") {
		t.Errorf("rows %v", got)
	}
}

// Without rates (containerd 1.6), one-shot CPU comes from a second sample
// SampleInterval later; in a watch, from the previous frame.
func TestContainerSampleTwice(t *testing.T) {
	n := newNode(t)
	rate := map[string]uint64{}
	n.rs.ctrStats = func(r *runtimeapi.ListContainerStatsResponse, _ int) {
		for _, s := range r.Stats {
			rate[s.GetAttributes().GetId()] = s.GetCpu().GetUsageNanoCores().GetValue()
			s.Cpu.UsageNanoCores = &runtimeapi.UInt64Value{}
		}
	}
	var slept []time.Duration
	s := &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{},
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	res, err := s.Sample(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(slept, []time.Duration{SampleInterval}) || n.rs.calls != 2 {
		t.Fatalf("slept %v, %d stats calls", slept, n.rs.calls)
	}
	for _, r := range res.Rows {
		// the fake advances one second, and its rate of usage, per sample
		if want := float64(rate[r.ID]) / 1e7; !r.HasCPU || math.Abs(r.CPU-want) > 1e-9 {
			t.Errorf("%s: CPU %v (%v), want %v", r.Name, r.CPU, r.HasCPU, want)
		}
	}
	// the next sample (a watch frame) compares with this one: no wait
	if _, err := s.Sample(context.Background(), true); err != nil || len(slept) != 1 || n.rs.calls != 3 {
		t.Errorf("second frame: %v, slept %v, %d calls", err, slept, n.rs.calls)
	}
	// a single sample without rates gives no CPU figure
	s = &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{}}
	if res, err = s.Sample(context.Background(), false); err != nil || res.Rows[0].HasCPU {
		t.Errorf("one sample: %v %+v", err, res.Rows)
	}
	// the wait ends with the context
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{}, Interval: time.Hour}
	if _, err := s.Sample(ctx, true); err == nil {
		t.Error("no error after the context ended")
	}
}

// Measure: CPU over the caller's interval, even where the runtime gives a
// rate (containerd's covers the time since anyone's previous call).
func TestContainerSampleMeasure(t *testing.T) {
	n := newNode(t)
	rate := rateRecorder(n)
	var slept []time.Duration
	s := &ContainerSampler{RS: n.rs, Images: noImages, Filter: &kube.ContainerFilter{}, Interval: time.Second, Measure: true,
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }}
	res, err := s.Sample(context.Background(), true)
	if err != nil || len(slept) != 1 || n.rs.calls != 2 {
		t.Fatalf("err %v, slept %v, %d calls", err, slept, n.rs.calls)
	}
	for _, r := range res.Rows {
		// the fake: one second and its rate of usage per sample, so the
		// measured figure equals the rate here
		if want := rate[r.ID]; !r.HasCPU || math.Abs(r.CPU-want) > 1e-9 {
			t.Errorf("%s: %v, want %v", r.Name, r.CPU, want)
		}
	}
}

// rateRecorder records the fake's rate (percent) of every container in
// each stats reply.
func rateRecorder(n *node) map[string]float64 {
	rate := map[string]float64{}
	n.rs.ctrStats = func(r *runtimeapi.ListContainerStatsResponse, _ int) {
		for _, s := range r.Stats {
			rate[s.GetAttributes().GetId()], _ = RatePercent(s.GetCpu())
		}
	}
	return rate
}
