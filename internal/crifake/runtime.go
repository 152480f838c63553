package crifake

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Version answers VersionInfo, or fakeruntime 0.1.0 speaking v1.
func (s *Server) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.VersionInfo != nil {
		return proto.Clone(s.VersionInfo).(*runtimeapi.VersionResponse), nil
	}
	return &runtimeapi.VersionResponse{
		Version:           "0.1.0",
		RuntimeName:       "fakeruntime",
		RuntimeVersion:    "0.1.0",
		RuntimeApiVersion: "v1",
	}, nil
}

// Status answers the conditions and, when verbose, containerd-1.6-shaped
// info.
func (s *Server) Status(_ context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conds := s.Conditions
	if conds == nil {
		conds = []*runtimeapi.RuntimeCondition{
			{Type: runtimeapi.RuntimeReady, Status: true},
			{Type: runtimeapi.NetworkReady, Status: true},
		}
	}
	resp := &runtimeapi.StatusResponse{
		Status: &runtimeapi.RuntimeStatus{},
	}
	for _, c := range conds {
		resp.Status.Conditions = append(resp.Status.Conditions, proto.Clone(c).(*runtimeapi.RuntimeCondition))
	}
	for _, h := range s.RuntimeHandlers {
		resp.RuntimeHandlers = append(resp.RuntimeHandlers, proto.Clone(h).(*runtimeapi.RuntimeHandler))
	}
	if s.Features != nil {
		resp.Features = proto.Clone(s.Features).(*runtimeapi.RuntimeFeatures)
	}
	if req.GetVerbose() {
		resp.Info = s.statusInfo()
	}
	return resp, nil
}

// RuntimeConfig answers CgroupDriver.
func (s *Server) RuntimeConfig(context.Context, *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &runtimeapi.RuntimeConfigResponse{
		Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: s.CgroupDriver},
	}, nil
}

// UpdateRuntimeConfig accepts anything; see Requests for what was sent.
func (s *Server) UpdateRuntimeConfig(context.Context, *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

// RunPodSandbox creates a ready sandbox from the config.
func (s *Server) RunPodSandbox(_ context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md == nil {
		return nil, status.Error(codes.Unknown, "sandbox config must include metadata")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name := joinName(md.GetName(), md.GetNamespace(), md.GetUid(), strconv.FormatUint(uint64(md.GetAttempt()), 10))
	for _, e := range s.pods {
		if m := e.pod.GetMetadata(); m != nil && joinName(m.GetName(), m.GetNamespace(), m.GetUid(), strconv.FormatUint(uint64(m.GetAttempt()), 10)) == name {
			return nil, status.Errorf(codes.Unknown, "failed to reserve sandbox name %q: name %q is reserved for %q", name, name, e.pod.Id)
		}
	}
	s.created++
	id := MakeID("sandbox", md.GetName(), md.GetNamespace(), md.GetUid(), strconv.FormatUint(uint64(md.GetAttempt()), 10), strconv.FormatUint(s.created, 10))
	e := &podEntry{
		pod: &runtimeapi.PodSandbox{
			Id:             id,
			Metadata:       proto.Clone(md).(*runtimeapi.PodSandboxMetadata),
			State:          runtimeapi.PodSandboxState_SANDBOX_READY,
			CreatedAt:      s.now().UnixNano(),
			Labels:         cfg.GetLabels(),
			Annotations:    cfg.GetAnnotations(),
			RuntimeHandler: req.GetRuntimeHandler(),
		},
		config: cfg,
		nsOpts: cfg.GetLinux().GetSecurityContext().GetNamespaceOptions(),
	}
	if e.nsOpts.GetNetwork() != runtimeapi.NamespaceMode_NODE {
		n := s.created + 1
		e.ip = fmt.Sprintf("10.88.%d.%d", (n>>8)&0xff, n&0xff)
	}
	s.putPod(e)
	s.podEvent(e.pod, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	s.podEvent(e.pod, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: id}, nil
}

// StopPodSandbox stops the sandbox's containers, then the sandbox.
func (s *Server) StopPodSandbox(_ context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findPod(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	for _, c := range s.ctrs {
		if c.ctr.PodSandboxId == e.pod.Id {
			s.stopCtr(c)
		}
	}
	if e.pod.State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		e.setPodState(runtimeapi.PodSandboxState_SANDBOX_NOTREADY)
		s.podEvent(e.pod, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

// RemovePodSandbox removes the sandbox and its containers, stopping them
// first. Like containerd it succeeds when the sandbox does not exist.
func (s *Server) RemovePodSandbox(_ context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findPod(req.GetPodSandboxId())
	if status.Code(err) == codes.NotFound {
		return &runtimeapi.RemovePodSandboxResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	var doomed []*ctrEntry
	for _, c := range s.ctrs {
		if c.ctr.PodSandboxId == e.pod.Id {
			doomed = append(doomed, c)
		}
	}
	for _, c := range doomed {
		s.dropCtr(c.ctr.Id)
		s.ctrEvent(c, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	}
	s.podEvent(e.pod, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	s.dropPod(e.pod.Id)
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

// PodSandboxStatus answers the given or derived status, and info when
// verbose.
func (s *Server) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findPod(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.PodSandboxStatusResponse{Status: s.podStatus(e)}
	if req.GetVerbose() {
		resp.Info = s.podInfo(e)
	}
	return resp, nil
}

// ListPodSandbox applies the filter as containerd does: Id exact or a
// unique prefix, State, and every LabelSelector pair.
func (s *Server) ListPodSandbox(_ context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := req.GetFilter()
	id := s.normalizePodID(f.GetId())
	resp := &runtimeapi.ListPodSandboxResponse{Items: make([]*runtimeapi.PodSandbox, 0, len(s.pods))}
	for _, e := range s.pods {
		p := e.pod
		if id != "" && p.Id != id {
			continue
		}
		if f.GetState() != nil && p.State != f.GetState().GetState() {
			continue
		}
		if !matchLabels(p.Labels, f.GetLabelSelector()) {
			continue
		}
		resp.Items = append(resp.Items, p)
	}
	return resp, nil
}

// CreateContainer creates a container in an existing sandbox from an image
// that is present, as containerd requires.
func (s *Server) CreateContainer(_ context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pod, err := s.findPod(req.GetPodSandboxId())
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, status.Errorf(codes.NotFound, "failed to find sandbox id %q: not found", req.GetPodSandboxId())
		}
		return nil, err
	}
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md == nil {
		return nil, status.Error(codes.Unknown, "container config must include metadata")
	}
	pmd := pod.pod.GetMetadata()
	name := joinName(md.GetName(), pmd.GetName(), pmd.GetNamespace(), pmd.GetUid(), strconv.FormatUint(uint64(md.GetAttempt()), 10))
	for _, c := range s.ctrs {
		if c.ctr.PodSandboxId == pod.pod.Id && c.ctr.GetMetadata().GetName() == md.GetName() && c.ctr.GetMetadata().GetAttempt() == md.GetAttempt() {
			return nil, status.Errorf(codes.Unknown, "failed to reserve container name %q: name %q is reserved for %q", name, name, c.ctr.Id)
		}
	}
	img, err := s.resolveImage(cfg.GetImage().GetImage())
	if err != nil {
		return nil, status.Errorf(status.Code(err), "failed to resolve image %q: %s", cfg.GetImage().GetImage(), status.Convert(err).Message())
	}
	if img == nil {
		return nil, status.Errorf(codes.NotFound, "failed to resolve image %q: not found", cfg.GetImage().GetImage())
	}
	s.created++
	id := MakeID("container", pod.pod.Id, md.GetName(), strconv.FormatUint(uint64(md.GetAttempt()), 10), strconv.FormatUint(s.created, 10))
	logPath := ""
	podCfg := pod.config
	if podCfg == nil {
		podCfg = req.GetSandboxConfig()
	}
	if podCfg.GetLogDirectory() != "" && cfg.GetLogPath() != "" {
		logPath = filepath.Join(podCfg.GetLogDirectory(), cfg.GetLogPath())
	}
	e := &ctrEntry{
		ctr: &runtimeapi.Container{
			Id:           id,
			PodSandboxId: pod.pod.Id,
			Metadata:     proto.Clone(md).(*runtimeapi.ContainerMetadata),
			Image:        cfg.GetImage(),
			ImageRef:     img.img.Id,
			ImageId:      img.img.Id,
			State:        runtimeapi.ContainerState_CONTAINER_CREATED,
			CreatedAt:    s.now().UnixNano(),
			Labels:       cfg.GetLabels(),
			Annotations:  cfg.GetAnnotations(),
		},
		config:  cfg,
		logPath: &logPath,
		mounts:  cfg.GetMounts(),
	}
	for _, kv := range cfg.GetEnvs() {
		e.env = append(e.env, kv.GetKey()+"="+string(kv.GetValue()))
	}
	if r := cfg.GetLinux().GetResources(); r != nil {
		e.resources = &runtimeapi.ContainerResources{Linux: r}
	}
	s.putCtr(e)
	s.ctrEvent(e, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

// StartContainer runs a created container.
func (s *Server) StartContainer(_ context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if e.ctr.State != runtimeapi.ContainerState_CONTAINER_CREATED {
		return nil, status.Errorf(codes.Unknown, "failed to set starting state for container %q: container is in %s state", e.ctr.Id, stateName(e.ctr.State))
	}
	if pod, ok := s.podByID[e.ctr.PodSandboxId]; ok && pod.pod.State != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, status.Errorf(codes.Unknown, "sandbox container %q is not running", pod.pod.Id)
	}
	e.setCtrState(runtimeapi.ContainerState_CONTAINER_RUNNING, s.now())
	s.ctrEvent(e, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	return &runtimeapi.StartContainerResponse{}, nil
}

// StopContainer stops a running container; stopping one that is not
// running succeeds and changes nothing.
func (s *Server) StopContainer(_ context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	s.stopCtr(e)
	return &runtimeapi.StopContainerResponse{}, nil
}

// stopCtr must be called with s.mu held.
func (s *Server) stopCtr(e *ctrEntry) {
	switch e.ctr.State {
	case runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_UNKNOWN:
		e.setCtrState(runtimeapi.ContainerState_CONTAINER_EXITED, s.now())
		s.ctrEvent(e, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	}
}

// RemoveContainer removes a container, stopping it first. Like containerd
// it succeeds when the container does not exist.
func (s *Server) RemoveContainer(_ context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if status.Code(err) == codes.NotFound {
		return &runtimeapi.RemoveContainerResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	s.dropCtr(e.ctr.Id)
	s.ctrEvent(e, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	return &runtimeapi.RemoveContainerResponse{}, nil
}

// ListContainers applies the filter as containerd does: Id and
// PodSandboxId exact or a unique prefix, State, and every LabelSelector
// pair.
func (s *Server) ListContainers(_ context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := req.GetFilter()
	id := s.normalizeCtrID(f.GetId())
	podID := s.normalizePodID(f.GetPodSandboxId())
	resp := &runtimeapi.ListContainersResponse{Containers: make([]*runtimeapi.Container, 0, len(s.ctrs))}
	for _, e := range s.ctrs {
		c := e.ctr
		if id != "" && c.Id != id {
			continue
		}
		if podID != "" && c.PodSandboxId != podID {
			continue
		}
		if f.GetState() != nil && c.State != f.GetState().GetState() {
			continue
		}
		if !matchLabels(c.Labels, f.GetLabelSelector()) {
			continue
		}
		resp.Containers = append(resp.Containers, c)
	}
	return resp, nil
}

// ContainerStatus answers the given or derived status, and info when
// verbose.
func (s *Server) ContainerStatus(_ context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ContainerStatusResponse{Status: s.ctrStatus(e)}
	if req.GetVerbose() {
		resp.Info = s.ctrInfo(e)
	}
	return resp, nil
}

// UpdateContainerResources merges the request into the container's
// resources the way containerd does: set (non-zero) fields replace, others
// stay.
func (s *Server) UpdateContainerResources(_ context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if st := e.ctr.State; st != runtimeapi.ContainerState_CONTAINER_RUNNING && st != runtimeapi.ContainerState_CONTAINER_CREATED {
		return nil, status.Errorf(codes.Unknown, "container %q is in %s state", e.ctr.Id, stateName(st))
	}
	cur := &runtimeapi.ContainerResources{}
	if e.resources != nil {
		cur = proto.Clone(e.resources).(*runtimeapi.ContainerResources)
	}
	if l := req.GetLinux(); l != nil {
		if cur.Linux == nil {
			cur.Linux = &runtimeapi.LinuxContainerResources{}
		}
		if len(l.HugepageLimits) > 0 {
			cur.Linux.HugepageLimits = nil
		}
		proto.Merge(cur.Linux, l)
	}
	if w := req.GetWindows(); w != nil {
		if cur.Windows == nil {
			cur.Windows = &runtimeapi.WindowsContainerResources{}
		}
		proto.Merge(cur.Windows, w)
	}
	e.resources = cur
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

// ReopenContainerLog succeeds for a running container.
func (s *Server) ReopenContainerLog(_ context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if e.ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return nil, status.Error(codes.Unknown, "container is not running")
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// ExecSync runs the SetExecSync function on a running container; by
// default it answers exit code 0 and no output.
func (s *Server) ExecSync(_ context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	s.mu.Lock()
	e, err := s.findCtr(req.GetContainerId())
	if err == nil && e.ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		err = status.Errorf(codes.Unknown, "container is in %s state", stateName(e.ctr.State))
	}
	f := s.execSync
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if f == nil {
		return &runtimeapi.ExecSyncResponse{}, nil
	}
	resp, err := f(req)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		resp = &runtimeapi.ExecSyncResponse{}
	}
	return resp, nil
}

// Exec answers the SetStreamURL URL (or the SetStreamServer's) for a
// running container.
func (s *Server) Exec(_ context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	url, id, ss, err := s.streamURL("Exec", req.GetContainerId(), req.GetStdin(), req.GetStdout(), req.GetStderr(), req.GetTty())
	if err != nil {
		return nil, err
	}
	if ss != nil {
		r := proto.Clone(req).(*runtimeapi.ExecRequest)
		r.ContainerId = id
		return ss.GetExec(r)
	}
	return &runtimeapi.ExecResponse{Url: url}, nil
}

// Attach answers the SetStreamURL URL (or the SetStreamServer's) for a
// running container.
func (s *Server) Attach(_ context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	url, id, ss, err := s.streamURL("Attach", req.GetContainerId(), req.GetStdin(), req.GetStdout(), req.GetStderr(), req.GetTty())
	if err != nil {
		return nil, err
	}
	if ss != nil {
		r := proto.Clone(req).(*runtimeapi.AttachRequest)
		r.ContainerId = id
		return ss.GetAttach(r)
	}
	return &runtimeapi.AttachResponse{Url: url}, nil
}

func (s *Server) streamURL(method, id string, stdin, stdout, stderr, tty bool) (string, string, StreamServer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(id)
	if err != nil {
		return "", "", nil, err
	}
	if e.ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return "", "", nil, status.Errorf(codes.Unknown, "container is in %s state", stateName(e.ctr.State))
	}
	if !stdin && !stdout && !stderr {
		return "", "", nil, status.Error(codes.InvalidArgument, "one of stdin, stdout, or stderr must be set")
	}
	if tty && stderr {
		return "", "", nil, status.Error(codes.InvalidArgument, "tty and stderr cannot both be true")
	}
	return s.urlFor(method, e.ctr.Id), e.ctr.Id, s.streamer, nil
}

// urlFor must be called with s.mu held. The default URL points at port 0,
// which refuses connections at once.
func (s *Server) urlFor(method, id string) string {
	if u, ok := s.urls[method]; ok {
		return u
	}
	return fmt.Sprintf("http://127.0.0.1:0/%s/%s", method, MakeID(method, id)[:8])
}

// PortForward answers the SetStreamURL URL for a ready sandbox.
func (s *Server) PortForward(_ context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findPod(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if e.pod.State != runtimeapi.PodSandboxState_SANDBOX_READY {
		return nil, status.Error(codes.Unknown, "sandbox container is not running")
	}
	if s.streamer != nil {
		r := proto.Clone(req).(*runtimeapi.PortForwardRequest)
		r.PodSandboxId = e.pod.Id
		return s.streamer.GetPortForward(r)
	}
	return &runtimeapi.PortForwardResponse{Url: s.urlFor("PortForward", e.pod.Id)}, nil
}

// ContainerStats answers the given or derived stats.
func (s *Server) ContainerStats(_ context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findCtr(req.GetContainerId())
	if err != nil {
		return nil, err
	}
	s.samples++
	return &runtimeapi.ContainerStatsResponse{Stats: s.ctrStats(e)}, nil
}

// ListContainerStats filters like ListContainers (without State).
func (s *Server) ListContainerStats(_ context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := req.GetFilter()
	id := s.normalizeCtrID(f.GetId())
	podID := s.normalizePodID(f.GetPodSandboxId())
	s.samples++
	resp := &runtimeapi.ListContainerStatsResponse{Stats: []*runtimeapi.ContainerStats{}}
	for _, e := range s.ctrs {
		c := e.ctr
		if (id != "" && c.Id != id) || (podID != "" && c.PodSandboxId != podID) || !matchLabels(c.Labels, f.GetLabelSelector()) {
			continue
		}
		resp.Stats = append(resp.Stats, s.ctrStats(e))
	}
	return resp, nil
}

// PodSandboxStats answers the given or derived stats.
func (s *Server) PodSandboxStats(_ context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.findPod(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if e.statsErr != "" {
		return nil, status.Errorf(codes.Unknown, "failed getting metrics for sandbox %s: %s", e.pod.Id, e.statsErr)
	}
	s.samples++
	return &runtimeapi.PodSandboxStatsResponse{Stats: s.podStats(e)}, nil
}

// ListPodSandboxStats filters by Id (exact or unique prefix) and labels,
// and leaves out the sandboxes that are not ready, as containerd does.
func (s *Server) ListPodSandboxStats(_ context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := req.GetFilter()
	id := s.normalizePodID(f.GetId())
	s.samples++
	resp := &runtimeapi.ListPodSandboxStatsResponse{Stats: []*runtimeapi.PodSandboxStats{}}
	for _, e := range s.pods {
		if (id != "" && e.pod.Id != id) || !matchLabels(e.pod.Labels, f.GetLabelSelector()) {
			continue
		}
		if e.pod.State != runtimeapi.PodSandboxState_SANDBOX_READY {
			// containerd: no metrics for a sandbox that is not ready
			continue
		}
		if e.statsErr != "" {
			// containerd fails the whole list because of one sandbox
			return nil, status.Errorf(codes.Unknown, "failed to decode sandbox container metrics for sandbox %q: %s", e.pod.Id, e.statsErr)
		}
		resp.Stats = append(resp.Stats, s.podStats(e))
	}
	return resp, nil
}

func joinName(parts ...string) string {
	return strings.Join(parts, "_")
}

func stateName(st runtimeapi.ContainerState) string {
	if n, ok := runtimeapi.ContainerState_name[int32(st)]; ok {
		return n
	}
	return strconv.Itoa(int(st))
}
