package crifake

import (
	"fmt"
	"maps"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Stored messages are never modified after they are stored: a change
// replaces the pointer with a modified clone. Replies can therefore hand
// stored messages to gRPC without copying (which keeps lists of many
// thousand pods fast) while later RPCs change the state.

type podEntry struct {
	pod      *runtimeapi.PodSandbox
	status   *runtimeapi.PodSandboxStatus // given by WithPodStatus; nil: derived
	info     map[string]string
	stats    *runtimeapi.PodSandboxStats
	ip       string
	extraIPs []string
	nsOpts   *runtimeapi.NamespaceOption
	config   *runtimeapi.PodSandboxConfig // from RunPodSandbox or WithPodConfig
	logDir   string                       // WithPodLogDirectory
	pid      uint32
	statsErr string
}

type ctrEntry struct {
	ctr        *runtimeapi.Container
	status     *runtimeapi.ContainerStatus // given by WithContainerStatus; nil: derived
	info       map[string]string
	stats      *runtimeapi.ContainerStats
	config     *runtimeapi.ContainerConfig
	logPath    *string
	startedAt  *int64
	finishedAt *int64
	exitCode   int32
	reason     *string
	message    string
	mounts     []*runtimeapi.Mount
	resources  *runtimeapi.ContainerResources
	env        []string
	pid        uint32
}

type imgEntry struct {
	img  *runtimeapi.Image
	info map[string]string
	env  []string
}

// PodOption adjusts a pod added with AddPod.
type PodOption func(*podEntry)

// WithPodIP sets the pod IP, and any additional IPs, reported by
// PodSandboxStatus.
func WithPodIP(ip string, additional ...string) PodOption {
	return func(e *podEntry) { e.ip, e.extraIPs = ip, additional }
}

// WithNamespaceOptions sets the Linux namespace options reported by
// PodSandboxStatus (default: network POD, pid CONTAINER, ipc POD).
func WithNamespaceOptions(o *runtimeapi.NamespaceOption) PodOption {
	return func(e *podEntry) { e.nsOpts = proto.Clone(o).(*runtimeapi.NamespaceOption) }
}

// WithPodStatus makes PodSandboxStatus return st as it is instead of a
// status derived from the pod. Lifecycle RPCs still update its state.
func WithPodStatus(st *runtimeapi.PodSandboxStatus) PodOption {
	return func(e *podEntry) { e.status = proto.Clone(st).(*runtimeapi.PodSandboxStatus) }
}

// WithPodInfo makes verbose PodSandboxStatus return info as it is.
func WithPodInfo(info map[string]string) PodOption {
	return func(e *podEntry) { e.info = maps.Clone(info) }
}

// WithPodConfig sets the sandbox config shown in the verbose info.
func WithPodConfig(c *runtimeapi.PodSandboxConfig) PodOption {
	return func(e *podEntry) { e.config = proto.Clone(c).(*runtimeapi.PodSandboxConfig) }
}

// WithPodLogDirectory sets the log directory of the derived sandbox config
// shown in the verbose info (by default kubelet's
// /var/log/pods/<namespace>_<name>_<uid>).
func WithPodLogDirectory(dir string) PodOption {
	return func(e *podEntry) { e.logDir = dir }
}

// WithPodStats makes PodSandboxStats return st as it is.
func WithPodStats(st *runtimeapi.PodSandboxStats) PodOption {
	return func(e *podEntry) { e.stats = proto.Clone(st).(*runtimeapi.PodSandboxStats) }
}

// WithPodPID sets the sandbox pid shown in the verbose info.
func WithPodPID(pid uint32) PodOption {
	return func(e *podEntry) { e.pid = pid }
}

// WithPodStatsError makes the pod's stats fail with msg, as containerd's
// do for a sandbox without a cgroup parent: PodSandboxStats of the pod,
// and ListPodSandboxStats as a whole whenever it would list the pod.
func WithPodStatsError(msg string) PodOption {
	return func(e *podEntry) { e.statsErr = msg }
}

// ContainerOption adjusts a container added with AddContainer.
type ContainerOption func(*ctrEntry)

// WithLogPath sets the log path reported by ContainerStatus. The default is
// kubelet's /var/log/pods/<ns>_<pod>_<uid>/<name>/<attempt>.log when the
// container has the kubelet labels, else empty.
func WithLogPath(p string) ContainerOption {
	return func(e *ctrEntry) { e.logPath = &p }
}

// WithExitCode sets the exit code reported by ContainerStatus.
func WithExitCode(code int32) ContainerOption {
	return func(e *ctrEntry) { e.exitCode = code }
}

// WithStartedAt sets StartedAt (default: CreatedAt+1s once started).
func WithStartedAt(t time.Time) ContainerOption {
	return func(e *ctrEntry) { v := t.UnixNano(); e.startedAt = &v }
}

// WithFinishedAt sets FinishedAt (default: StartedAt+1s once exited).
func WithFinishedAt(t time.Time) ContainerOption {
	return func(e *ctrEntry) { v := t.UnixNano(); e.finishedAt = &v }
}

// WithReason sets the status reason and message (default reason for an
// exited container: "Completed" for exit code 0, else "Error").
func WithReason(reason, message string) ContainerOption {
	return func(e *ctrEntry) { e.reason, e.message = &reason, message }
}

// WithMounts sets the mounts reported by ContainerStatus.
func WithMounts(m ...*runtimeapi.Mount) ContainerOption {
	return func(e *ctrEntry) {
		e.mounts = nil
		for _, x := range m {
			e.mounts = append(e.mounts, proto.Clone(x).(*runtimeapi.Mount))
		}
	}
}

// WithResources sets the resources reported by ContainerStatus, which
// UpdateContainerResources then changes.
func WithResources(r *runtimeapi.ContainerResources) ContainerOption {
	return func(e *ctrEntry) { e.resources = proto.Clone(r).(*runtimeapi.ContainerResources) }
}

// WithEnv sets "KEY=value" entries for the verbose info's config.envs and
// runtimeSpec.process.env.
func WithEnv(env ...string) ContainerOption {
	return func(e *ctrEntry) { e.env = append([]string(nil), env...) }
}

// WithContainerConfig sets the container config shown in the verbose info.
func WithContainerConfig(c *runtimeapi.ContainerConfig) ContainerOption {
	return func(e *ctrEntry) { e.config = proto.Clone(c).(*runtimeapi.ContainerConfig) }
}

// WithContainerStatus makes ContainerStatus return st as it is instead of a
// status derived from the container. Lifecycle RPCs still update its state.
func WithContainerStatus(st *runtimeapi.ContainerStatus) ContainerOption {
	return func(e *ctrEntry) { e.status = proto.Clone(st).(*runtimeapi.ContainerStatus) }
}

// WithContainerInfo makes verbose ContainerStatus return info as it is.
func WithContainerInfo(info map[string]string) ContainerOption {
	return func(e *ctrEntry) { e.info = maps.Clone(info) }
}

// WithContainerStats makes ContainerStats return st as it is.
func WithContainerStats(st *runtimeapi.ContainerStats) ContainerOption {
	return func(e *ctrEntry) { e.stats = proto.Clone(st).(*runtimeapi.ContainerStats) }
}

// WithPID sets the pid shown in the verbose info (default: derived from
// the ID while running, 0 otherwise).
func WithPID(pid uint32) ContainerOption {
	return func(e *ctrEntry) { e.pid = pid }
}

// ImageOption adjusts an image added with AddImage.
type ImageOption func(*imgEntry)

// WithImageEnv sets the Env of the image config in the verbose info.
func WithImageEnv(env ...string) ImageOption {
	return func(e *imgEntry) { e.env = append([]string(nil), env...) }
}

// WithImageInfo makes verbose ImageStatus return info as it is.
func WithImageInfo(info map[string]string) ImageOption {
	return func(e *imgEntry) { e.info = maps.Clone(info) }
}

// AddPod stores a copy of p as it is (any strings, any state value) and
// returns its ID. An empty ID gets a deterministic one; an existing ID is
// replaced in place.
func (s *Server) AddPod(p *runtimeapi.PodSandbox, opts ...PodOption) string {
	e := &podEntry{pod: &runtimeapi.PodSandbox{}}
	if p != nil {
		e.pod = proto.Clone(p).(*runtimeapi.PodSandbox)
	}
	if e.pod.Id == "" {
		md := e.pod.GetMetadata()
		e.pod.Id = MakeID("sandbox", md.GetName(), md.GetNamespace(), md.GetUid(), fmt.Sprint(md.GetAttempt()))
	}
	for _, o := range opts {
		o(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putPod(e)
	return e.pod.Id
}

func (s *Server) putPod(e *podEntry) {
	if _, ok := s.podByID[e.pod.Id]; ok {
		for i, old := range s.pods {
			if old.pod.Id == e.pod.Id {
				s.pods[i] = e
			}
		}
	} else {
		s.pods = append(s.pods, e)
	}
	s.podByID[e.pod.Id] = e
}

func (s *Server) dropPod(id string) {
	delete(s.podByID, id)
	for i, e := range s.pods {
		if e.pod.Id == id {
			s.pods = append(s.pods[:i], s.pods[i+1:]...)
			return
		}
	}
}

// AddContainer stores a copy of c as it is and returns its ID. The pod it
// names need not exist. An empty ID gets a deterministic one; an existing
// ID is replaced in place.
func (s *Server) AddContainer(c *runtimeapi.Container, opts ...ContainerOption) string {
	e := &ctrEntry{ctr: &runtimeapi.Container{}}
	if c != nil {
		e.ctr = proto.Clone(c).(*runtimeapi.Container)
	}
	if e.ctr.Id == "" {
		md := e.ctr.GetMetadata()
		e.ctr.Id = MakeID("container", e.ctr.PodSandboxId, md.GetName(), fmt.Sprint(md.GetAttempt()))
	}
	for _, o := range opts {
		o(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putCtr(e)
	return e.ctr.Id
}

func (s *Server) putCtr(e *ctrEntry) {
	if _, ok := s.ctrByID[e.ctr.Id]; ok {
		for i, old := range s.ctrs {
			if old.ctr.Id == e.ctr.Id {
				s.ctrs[i] = e
			}
		}
	} else {
		s.ctrs = append(s.ctrs, e)
	}
	s.ctrByID[e.ctr.Id] = e
}

func (s *Server) dropCtr(id string) {
	delete(s.ctrByID, id)
	for i, e := range s.ctrs {
		if e.ctr.Id == id {
			s.ctrs = append(s.ctrs[:i], s.ctrs[i+1:]...)
			return
		}
	}
}

// AddImage stores a copy of img and returns its ID. An empty ID gets one
// derived from the first tag or digest; an existing ID is replaced in place.
func (s *Server) AddImage(img *runtimeapi.Image, opts ...ImageOption) string {
	e := &imgEntry{img: &runtimeapi.Image{}}
	if img != nil {
		e.img = proto.Clone(img).(*runtimeapi.Image)
	}
	if e.img.Id == "" {
		e.img.Id = ImageID(strings.Join(append(append([]string(nil), e.img.RepoTags...), e.img.RepoDigests...), ","))
	}
	for _, o := range opts {
		o(e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putImg(e)
	return e.img.Id
}

func (s *Server) putImg(e *imgEntry) {
	for i, old := range s.imgs {
		if old.img.Id == e.img.Id {
			s.imgs[i] = e
			return
		}
	}
	s.imgs = append(s.imgs, e)
}

func (s *Server) dropImg(id string) {
	for i, e := range s.imgs {
		if e.img.Id == id {
			s.imgs = append(s.imgs[:i], s.imgs[i+1:]...)
			return
		}
	}
}

// SetPinned marks the image that ref resolves to (as ImageStatus resolves
// it) as pinned or not. It reports whether ref resolved.
func (s *Server) SetPinned(ref string, pinned bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.resolveImage(ref)
	if err != nil || e == nil {
		return false
	}
	img := proto.Clone(e.img).(*runtimeapi.Image)
	img.Pinned = pinned
	e.img = img
	return true
}

// Pods returns copies of the stored pods in insertion order.
func (s *Server) Pods() []*runtimeapi.PodSandbox {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*runtimeapi.PodSandbox, 0, len(s.pods))
	for _, e := range s.pods {
		out = append(out, proto.Clone(e.pod).(*runtimeapi.PodSandbox))
	}
	return out
}

// Containers returns copies of the stored containers in insertion order.
func (s *Server) Containers() []*runtimeapi.Container {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*runtimeapi.Container, 0, len(s.ctrs))
	for _, e := range s.ctrs {
		out = append(out, proto.Clone(e.ctr).(*runtimeapi.Container))
	}
	return out
}

// Images returns copies of the stored images in insertion order.
func (s *Server) Images() []*runtimeapi.Image {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*runtimeapi.Image, 0, len(s.imgs))
	for _, e := range s.imgs {
		out = append(out, proto.Clone(e.img).(*runtimeapi.Image))
	}
	return out
}

// now must be called with s.mu held.
func (s *Server) now() time.Time {
	if s.Now == nil {
		return FixedTime
	}
	return s.Now()
}

// resolveID finds id the way containerd's truncindex does: an exact match,
// else the only ID it is a prefix of.
func resolveID(kind, id string, n int, idAt func(int) string) (int, error) {
	if id == "" {
		return -1, status.Errorf(codes.Unknown, "an error occurred when try to find %s %q: Prefix can't be empty", kind, id)
	}
	found := -1
	for i := 0; i < n; i++ {
		cand := idAt(i)
		if cand == id {
			return i, nil
		}
		if strings.HasPrefix(cand, id) {
			if found >= 0 {
				return -1, status.Errorf(codes.Unknown, "an error occurred when try to find %s %q: Multiple IDs found with provided prefix: %s", kind, id, id)
			}
			found = i
		}
	}
	if found < 0 {
		return -1, status.Errorf(codes.NotFound, "an error occurred when try to find %s %q: not found", kind, id)
	}
	return found, nil
}

func (s *Server) findPod(id string) (*podEntry, error) {
	if e, ok := s.podByID[id]; ok {
		return e, nil
	}
	i, err := resolveID("sandbox", id, len(s.pods), func(i int) string { return s.pods[i].pod.Id })
	if err != nil {
		return nil, err
	}
	return s.pods[i], nil
}

func (s *Server) findCtr(id string) (*ctrEntry, error) {
	if e, ok := s.ctrByID[id]; ok {
		return e, nil
	}
	i, err := resolveID("container", id, len(s.ctrs), func(i int) string { return s.ctrs[i].ctr.Id })
	if err != nil {
		return nil, err
	}
	return s.ctrs[i], nil
}

// normalizePodID turns a unique prefix into the full pod ID, as containerd
// does for list filters; anything else is left as it is.
func (s *Server) normalizePodID(id string) string {
	if id == "" {
		return ""
	}
	if e, err := s.findPod(id); err == nil {
		return e.pod.Id
	}
	return id
}

func (s *Server) normalizeCtrID(id string) string {
	if id == "" {
		return ""
	}
	if e, err := s.findCtr(id); err == nil {
		return e.ctr.Id
	}
	return id
}

func matchLabels(labels, selector map[string]string) bool {
	for k, v := range selector {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// setPodState replaces the stored pod (and a given status) with copies in
// the new state.
func (e *podEntry) setPodState(st runtimeapi.PodSandboxState) {
	p := proto.Clone(e.pod).(*runtimeapi.PodSandbox)
	p.State = st
	e.pod = p
	if e.status != nil {
		ps := proto.Clone(e.status).(*runtimeapi.PodSandboxStatus)
		ps.State = st
		e.status = ps
	}
}

func (e *ctrEntry) setCtrState(st runtimeapi.ContainerState, at time.Time) {
	c := proto.Clone(e.ctr).(*runtimeapi.Container)
	c.State = st
	e.ctr = c
	ns := at.UnixNano()
	switch st {
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		e.startedAt = &ns
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		e.finishedAt = &ns
	}
	if e.status != nil {
		cs := proto.Clone(e.status).(*runtimeapi.ContainerStatus)
		cs.State = st
		switch st {
		case runtimeapi.ContainerState_CONTAINER_RUNNING:
			cs.StartedAt = ns
		case runtimeapi.ContainerState_CONTAINER_EXITED:
			cs.FinishedAt = ns
		}
		e.status = cs
	}
}
