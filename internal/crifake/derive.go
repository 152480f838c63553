package crifake

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const snapshotterRoot = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"

var defaultNamespaceOptions = &runtimeapi.NamespaceOption{
	Network: runtimeapi.NamespaceMode_POD,
	Pid:     runtimeapi.NamespaceMode_CONTAINER,
	Ipc:     runtimeapi.NamespaceMode_POD,
}

// podStatus must be called with s.mu held.
func (s *Server) podStatus(e *podEntry) *runtimeapi.PodSandboxStatus {
	if e.status != nil {
		return e.status
	}
	p := e.pod
	ns := e.nsOpts
	if ns == nil {
		ns = defaultNamespaceOptions
	}
	net := &runtimeapi.PodSandboxNetworkStatus{Ip: e.ip}
	for _, ip := range e.extraIPs {
		net.AdditionalIps = append(net.AdditionalIps, &runtimeapi.PodIP{Ip: ip})
	}
	return &runtimeapi.PodSandboxStatus{
		Id:             p.Id,
		Metadata:       p.Metadata,
		State:          p.State,
		CreatedAt:      p.CreatedAt,
		Network:        net,
		Linux:          &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: ns}},
		Labels:         p.Labels,
		Annotations:    p.Annotations,
		RuntimeHandler: p.RuntimeHandler,
	}
}

// ctrStatus must be called with s.mu held. Like containerd, it reports the
// image's first tag as Image and its first repo digest as ImageRef when the
// image is present.
func (s *Server) ctrStatus(e *ctrEntry) *runtimeapi.ContainerStatus {
	if e.status != nil {
		return e.status
	}
	c := e.ctr
	st := &runtimeapi.ContainerStatus{
		Id:          c.Id,
		Metadata:    c.Metadata,
		State:       c.State,
		CreatedAt:   c.CreatedAt,
		ExitCode:    e.exitCode,
		Image:       c.Image,
		ImageRef:    c.ImageRef,
		Message:     e.message,
		Labels:      c.Labels,
		Annotations: c.Annotations,
		Mounts:      e.mounts,
		Resources:   e.resources,
		ImageId:     c.ImageId,
	}
	if img := s.imageByID(c.ImageRef); img != nil {
		if len(img.img.RepoTags) > 0 {
			st.Image = &runtimeapi.ImageSpec{Image: img.img.RepoTags[0]}
		}
		if len(img.img.RepoDigests) > 0 {
			st.ImageRef = img.img.RepoDigests[0]
		}
		if st.ImageId == "" {
			st.ImageId = img.img.Id
		}
	}
	exited := c.State == runtimeapi.ContainerState_CONTAINER_EXITED
	if exited || c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		st.StartedAt = c.CreatedAt + int64(time.Second)
	}
	if e.startedAt != nil {
		st.StartedAt = *e.startedAt
	}
	if exited {
		st.FinishedAt = st.StartedAt + int64(time.Second)
		st.Reason = "Completed"
		if e.exitCode != 0 {
			st.Reason = "Error"
		}
	}
	if e.finishedAt != nil {
		st.FinishedAt = *e.finishedAt
	}
	if e.reason != nil {
		st.Reason = *e.reason
	}
	if e.logPath != nil {
		st.LogPath = *e.logPath
	} else {
		st.LogPath = kubeletLogPath(c)
	}
	return st
}

// kubeletLogPath is where kubelet asks containerd to write the log of a
// container carrying kubelet's labels.
func kubeletLogPath(c *runtimeapi.Container) string {
	ns, name, uid := c.Labels[LabelPodNamespace], c.Labels[LabelPodName], c.Labels[LabelPodUID]
	if ns == "" || name == "" || uid == "" {
		return ""
	}
	return fmt.Sprintf("/var/log/pods/%s_%s_%s/%s/%d.log", ns, name, uid, c.GetMetadata().GetName(), c.GetMetadata().GetAttempt())
}

// idHash gives stable per-object numbers for derived stats and pids.
func idHash(id string) uint64 {
	b, err := hex.DecodeString(id[:min(len(id), 16)&^1])
	if err != nil || len(b) < 8 {
		var h uint64
		for _, r := range id {
			h = h*31 + uint64(r)
		}
		return h
	}
	return binary.BigEndian.Uint64(b)
}

func u64(v uint64) *runtimeapi.UInt64Value { return &runtimeapi.UInt64Value{Value: v} }

// ctrStats must be called with s.mu held. Derived stats advance one second
// of samples per stats RPC so that rates computed from two samples are
// stable: the CPU rate is always UsageNanoCores.
func (s *Server) ctrStats(e *ctrEntry) *runtimeapi.ContainerStats {
	if e.stats != nil {
		return e.stats
	}
	c := e.ctr
	h := idHash(c.Id)
	ts := FixedTime.Add(time.Duration(s.samples) * time.Second).UnixNano()
	var cores, cpuTotal, mem uint64
	if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		cores = (1 + h%50) * 1_000_000
		cpuTotal = (1+h%7)*1_000_000_000 + s.samples*cores
		mem = (1 + h%64) << 20
	}
	// as containerd: the limit less the working set, 0 without a limit
	var avail uint64
	if limit := e.resources.GetLinux().GetMemoryLimitInBytes(); limit > 0 && uint64(limit) > mem {
		avail = uint64(limit) - mem
	}
	rate := u64(cores)
	if s.NoCPURates {
		rate = &runtimeapi.UInt64Value{}
	}
	return &runtimeapi.ContainerStats{
		Attributes: &runtimeapi.ContainerAttributes{
			Id:          c.Id,
			Metadata:    c.Metadata,
			Labels:      c.Labels,
			Annotations: c.Annotations,
		},
		Cpu: &runtimeapi.CpuUsage{
			Timestamp:            ts,
			UsageCoreNanoSeconds: u64(cpuTotal),
			UsageNanoCores:       rate,
		},
		Memory: &runtimeapi.MemoryUsage{
			Timestamp:       ts,
			WorkingSetBytes: u64(mem),
			UsageBytes:      u64(mem),
			RssBytes:        u64(mem / 2),
			AvailableBytes:  u64(avail),
		},
		WritableLayer: &runtimeapi.FilesystemUsage{
			Timestamp:  ts,
			FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: snapshotterRoot},
			UsedBytes:  u64((1 + h%16) << 12),
			InodesUsed: u64(1 + h%32),
		},
	}
}

// podStats must be called with s.mu held.
func (s *Server) podStats(e *podEntry) *runtimeapi.PodSandboxStats {
	if e.stats != nil {
		return e.stats
	}
	p := e.pod
	ts := FixedTime.Add(time.Duration(s.samples) * time.Second).UnixNano()
	linux := &runtimeapi.LinuxPodSandboxStats{
		Cpu:    &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: u64(0), UsageNanoCores: u64(0)},
		Memory: &runtimeapi.MemoryUsage{Timestamp: ts, WorkingSetBytes: u64(0), UsageBytes: u64(0), RssBytes: u64(0)},
		Network: &runtimeapi.NetworkUsage{
			Timestamp: ts,
			DefaultInterface: &runtimeapi.NetworkInterfaceUsage{
				Name: "eth0", RxBytes: u64(0), RxErrors: u64(0), TxBytes: u64(0), TxErrors: u64(0),
			},
		},
		Process: &runtimeapi.ProcessUsage{Timestamp: ts, ProcessCount: u64(0)},
	}
	if p.State == runtimeapi.PodSandboxState_SANDBOX_READY {
		h := idHash(p.Id)
		linux.Network.DefaultInterface.RxBytes = u64((1 + h%100) << 10)
		linux.Network.DefaultInterface.TxBytes = u64((1 + h%50) << 10)
		linux.Process.ProcessCount = u64(1)
	}
	for _, c := range s.ctrs {
		if c.ctr.PodSandboxId != p.Id {
			continue
		}
		cs := s.ctrStats(c)
		linux.Containers = append(linux.Containers, cs)
		linux.Cpu.UsageCoreNanoSeconds.Value += cs.GetCpu().GetUsageCoreNanoSeconds().GetValue()
		if !s.NoCPURates {
			linux.Cpu.UsageNanoCores.Value += cs.GetCpu().GetUsageNanoCores().GetValue()
		}
		linux.Memory.WorkingSetBytes.Value += cs.GetMemory().GetWorkingSetBytes().GetValue()
		linux.Memory.UsageBytes.Value += cs.GetMemory().GetUsageBytes().GetValue()
		linux.Memory.RssBytes.Value += cs.GetMemory().GetRssBytes().GetValue()
		if c.ctr.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			linux.Process.ProcessCount.Value++
		}
	}
	return &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{
			Id:          p.Id,
			Metadata:    p.Metadata,
			Labels:      p.Labels,
			Annotations: p.Annotations,
		},
		Linux: linux,
	}
}

// pidFor returns the pid shown in verbose info: given, else derived while
// running, else 0.
func pidFor(given uint32, id string, running bool) uint32 {
	if given != 0 {
		return given
	}
	if !running {
		return 0
	}
	return 1000 + uint32(idHash(id)%30000)
}
