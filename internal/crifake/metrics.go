package crifake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// metricDescriptors are a few of the cAdvisor-named metrics containerd 2
// describes, with their label keys.
var metricDescriptors = []*runtimeapi.MetricDescriptor{
	{Name: "container_cpu_usage_seconds_total", Help: "Cumulative cpu time consumed in seconds.", LabelKeys: []string{"container", "pod", "namespace"}},
	{Name: "container_memory_working_set_bytes", Help: "Current working set in bytes.", LabelKeys: []string{"container", "pod", "namespace"}},
	{Name: "container_network_receive_bytes_total", Help: "Cumulative count of bytes received.", LabelKeys: []string{"interface", "pod", "namespace"}},
}

// ListMetricDescriptors answers the descriptors of the metrics
// ListPodSandboxMetrics gives.
func (s *Server) ListMetricDescriptors(context.Context, *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	out := make([]*runtimeapi.MetricDescriptor, len(metricDescriptors))
	for i, d := range metricDescriptors {
		out[i] = &runtimeapi.MetricDescriptor{Name: d.Name, Help: d.Help, LabelKeys: append([]string(nil), d.LabelKeys...)}
	}
	return &runtimeapi.ListMetricDescriptorsResponse{Descriptors: out}, nil
}

// ListPodSandboxMetrics answers the metrics of every ready pod: its
// network, and per running container its CPU and memory, derived from the
// same figures as the stats.
func (s *Server) ListPodSandboxMetrics(context.Context, *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples++
	resp := &runtimeapi.ListPodSandboxMetricsResponse{PodMetrics: []*runtimeapi.PodSandboxMetrics{}}
	for _, e := range s.pods {
		if e.pod.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			continue
		}
		ps := s.podStats(e)
		md := e.pod.GetMetadata()
		net := ps.GetLinux().GetNetwork()
		pm := &runtimeapi.PodSandboxMetrics{
			PodSandboxId: e.pod.Id,
			Metrics: []*runtimeapi.Metric{{
				Name: "container_network_receive_bytes_total", Timestamp: net.GetTimestamp(), MetricType: runtimeapi.MetricType_COUNTER,
				LabelValues: []string{net.GetDefaultInterface().GetName(), md.GetName(), md.GetNamespace()},
				Value:       u64(net.GetDefaultInterface().GetRxBytes().GetValue()),
			}},
		}
		for _, cs := range ps.GetLinux().GetContainers() {
			labels := []string{cs.GetAttributes().GetMetadata().GetName(), md.GetName(), md.GetNamespace()}
			pm.ContainerMetrics = append(pm.ContainerMetrics, &runtimeapi.ContainerMetrics{
				ContainerId: cs.GetAttributes().GetId(),
				Metrics: []*runtimeapi.Metric{
					{Name: "container_cpu_usage_seconds_total", Timestamp: cs.GetCpu().GetTimestamp(), MetricType: runtimeapi.MetricType_COUNTER,
						LabelValues: labels, Value: u64(cs.GetCpu().GetUsageCoreNanoSeconds().GetValue() / 1e9)},
					{Name: "container_memory_working_set_bytes", Timestamp: cs.GetMemory().GetTimestamp(), MetricType: runtimeapi.MetricType_GAUGE,
						LabelValues: labels, Value: u64(cs.GetMemory().GetWorkingSetBytes().GetValue())},
				},
			})
		}
		resp.PodMetrics = append(resp.PodMetrics, pm)
	}
	return resp, nil
}

// CheckpointContainer checkpoints a running container into the archive at
// Location, which must be an absolute path in an existing directory: the
// fake writes a small placeholder file there (a runtime writes a tar of
// the process image, which needs criu). Requests lists what was asked.
func (s *Server) CheckpointContainer(_ context.Context, req *runtimeapi.CheckpointContainerRequest) (*runtimeapi.CheckpointContainerResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if e.ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return nil, status.Errorf(codes.FailedPrecondition, "container %s is not running", e.ctr.Id)
	}
	loc := req.GetLocation()
	if loc == "" || !filepath.IsAbs(loc) {
		return nil, status.Errorf(codes.InvalidArgument, "checkpoint location %q must be an absolute path", loc)
	}
	if err := os.WriteFile(loc, []byte(fmt.Sprintf("crifake checkpoint of %s\n", e.ctr.Id)), 0o600); err != nil {
		return nil, status.Errorf(codes.Unknown, "failed to write checkpoint archive: %v", err)
	}
	return &runtimeapi.CheckpointContainerResponse{}, nil
}
