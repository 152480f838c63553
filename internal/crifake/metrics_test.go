package crifake_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, db, _ := seedPods(s)
	s.AddContainer(crifake.KubeletContainer(web, "nginx", 0, "nginx:1.27", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	s.AddContainer(crifake.KubeletContainer(db, "pg", 0, "postgres:16", runtimeapi.ContainerState_CONTAINER_RUNNING, created))

	descs := must[*runtimeapi.ListMetricDescriptorsResponse](t)(c.rt.ListMetricDescriptors(ctx, &runtimeapi.ListMetricDescriptorsRequest{})).GetDescriptors()
	names := map[string]bool{}
	for _, d := range descs {
		names[d.GetName()] = true
		if d.GetHelp() == "" || len(d.GetLabelKeys()) == 0 {
			t.Errorf("descriptor %v", d)
		}
	}
	pms := must[*runtimeapi.ListPodSandboxMetricsResponse](t)(c.rt.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})).GetPodMetrics()
	if len(pms) != 2 {
		t.Fatalf("metrics of %d pods, want the 2 ready ones", len(pms))
	}
	for _, pm := range pms {
		if len(pm.GetContainerMetrics()) != 1 || len(pm.GetMetrics()) != 1 {
			t.Errorf("pod metrics %v", pm)
		}
		// every metric is described, with as many labels as label keys
		for _, m := range append(pm.GetMetrics(), pm.GetContainerMetrics()[0].GetMetrics()...) {
			if !names[m.GetName()] || len(m.GetLabelValues()) != 3 || m.GetTimestamp() == 0 {
				t.Errorf("metric %v", m)
			}
		}
	}
}

func TestCheckpointContainer(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	run := s.AddContainer(crifake.KubeletContainer(web, "nginx", 0, "nginx:1.27", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	done := s.AddContainer(crifake.KubeletContainer(web, "init", 0, "busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, created.Add(-time.Minute)))
	dir := t.TempDir()
	loc := filepath.Join(dir, "cp.tar")
	must[*runtimeapi.CheckpointContainerResponse](t)(c.rt.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{ContainerId: run[:12], Location: loc}))
	if b, err := os.ReadFile(loc); err != nil || !strings.Contains(string(b), run) {
		t.Errorf("archive: %q %v", b, err)
	}
	_, err := c.rt.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{ContainerId: done, Location: loc})
	wantCode(t, err, codes.FailedPrecondition, "is not running")
	_, err = c.rt.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{ContainerId: run, Location: "cp.tar"})
	wantCode(t, err, codes.InvalidArgument, "absolute path")
	_, err = c.rt.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{ContainerId: "nope", Location: loc})
	wantCode(t, err, codes.NotFound, "")
	_, err = c.rt.CheckpointContainer(ctx, &runtimeapi.CheckpointContainerRequest{ContainerId: run, Location: filepath.Join(dir, "no", "cp.tar")})
	wantCode(t, err, codes.Unknown, "failed to write")
}

// A pod whose stats fail (no cgroup parent) fails ListPodSandboxStats as a
// whole, as containerd does, unless the filter leaves it out.
func TestPodStatsError(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, db, _ := seedPods(s)
	s.AddPod(web, crifake.WithPodStatsError("cgroupPath is empty"))
	_, err := c.rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{})
	wantCode(t, err, codes.Unknown, `sandbox "`+web.Id+`": cgroupPath is empty`)
	_, err = c.rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: web.Id})
	wantCode(t, err, codes.Unknown, "cgroupPath is empty")
	must[*runtimeapi.PodSandboxStatsResponse](t)(c.rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: db.Id}))
	must[*runtimeapi.ListPodSandboxStatsResponse](t)(c.rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: &runtimeapi.PodSandboxStatsFilter{Id: db.Id}}))
}
