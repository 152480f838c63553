package crifake

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The verbose info maps follow containerd 1.6: one "info" key holding a
// JSON document whose config field is the CRI config marshalled with
// encoding/json (snake_case names, enums as numbers), as containerd does.

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

type runcOptions struct {
	SystemdCgroup bool `json:"systemd_cgroup,omitempty"`
}

type sandboxInfo struct {
	Pid            uint32                       `json:"pid"`
	ProcessStatus  string                       `json:"processStatus"`
	NetNSClosed    bool                         `json:"netNamespaceClosed"`
	Image          string                       `json:"image"`
	SnapshotKey    string                       `json:"snapshotKey"`
	Snapshotter    string                       `json:"snapshotter"`
	RuntimeHandler string                       `json:"runtimeHandler"`
	RuntimeType    string                       `json:"runtimeType"`
	RuntimeOptions runcOptions                  `json:"runtimeOptions"`
	Config         *runtimeapi.PodSandboxConfig `json:"config"`
	RuntimeSpec    *ociSpec                     `json:"runtimeSpec"`
}

type containerInfo struct {
	SandboxID      string                      `json:"sandboxID"`
	Pid            uint32                      `json:"pid"`
	Removing       bool                        `json:"removing"`
	SnapshotKey    string                      `json:"snapshotKey"`
	Snapshotter    string                      `json:"snapshotter"`
	RuntimeType    string                      `json:"runtimeType"`
	RuntimeOptions runcOptions                 `json:"runtimeOptions"`
	Config         *runtimeapi.ContainerConfig `json:"config"`
	RuntimeSpec    *ociSpec                    `json:"runtimeSpec"`
}

type ociSpec struct {
	OCIVersion  string            `json:"ociVersion"`
	Process     ociProcess        `json:"process"`
	Root        ociRoot           `json:"root"`
	Hostname    string            `json:"hostname,omitempty"`
	Mounts      []ociMount        `json:"mounts,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       ociLinux          `json:"linux"`
}

type ociProcess struct {
	User ociUser  `json:"user"`
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd"`
}

type ociUser struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

type ociRoot struct {
	Path     string `json:"path"`
	Readonly bool   `json:"readonly,omitempty"`
}

type ociMount struct {
	Destination string   `json:"destination"`
	Type        string   `json:"type,omitempty"`
	Source      string   `json:"source,omitempty"`
	Options     []string `json:"options,omitempty"`
}

type ociLinux struct {
	CgroupsPath string         `json:"cgroupsPath,omitempty"`
	Namespaces  []ociNamespace `json:"namespaces"`
}

type ociNamespace struct {
	Type string `json:"type"`
	Path string `json:"path,omitempty"`
}

type imageInfo struct {
	ChainID   string   `json:"chainID"`
	ImageSpec ociImage `json:"imageSpec"`
}

type ociImage struct {
	Created      string         `json:"created"`
	Architecture string         `json:"architecture"`
	OS           string         `json:"os"`
	Config       ociImageConfig `json:"config"`
	RootFS       ociRootFS      `json:"rootfs"`
}

type ociImageConfig struct {
	Env        []string `json:"Env,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
	WorkingDir string   `json:"WorkingDir,omitempty"`
}

type ociRootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

func marshalInfo(v any) map[string]string {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]string{"info": fmt.Sprintf("crifake: %v", err)}
	}
	return map[string]string{"info": string(b)}
}

// podInfo must be called with s.mu held.
func (s *Server) podInfo(e *podEntry) map[string]string {
	if e.info != nil {
		return e.info
	}
	p := e.pod
	md := p.GetMetadata()
	ready := p.State == runtimeapi.PodSandboxState_SANDBOX_READY
	cfg := e.config
	if cfg == nil {
		cfg = &runtimeapi.PodSandboxConfig{
			Metadata:    md,
			Hostname:    md.GetName(),
			Labels:      p.Labels,
			Annotations: p.Annotations,
			Linux: &runtimeapi.LinuxPodSandboxConfig{
				SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: e.nsOpts},
			},
		}
		switch {
		case e.logDir != "":
			cfg.LogDirectory = e.logDir
		case md.GetNamespace() != "" && md.GetName() != "" && md.GetUid() != "":
			cfg.LogDirectory = fmt.Sprintf("/var/log/pods/%s_%s_%s", md.GetNamespace(), md.GetName(), md.GetUid())
		}
	}
	pid := pidFor(e.pid, p.Id, ready)
	procStatus := "deleted"
	if ready {
		procStatus = "running"
	}
	annotations := map[string]string{
		"io.kubernetes.cri.container-type":    "sandbox",
		"io.kubernetes.cri.sandbox-id":        p.Id,
		"io.kubernetes.cri.sandbox-name":      md.GetName(),
		"io.kubernetes.cri.sandbox-namespace": md.GetNamespace(),
		"io.kubernetes.cri.sandbox-uid":       md.GetUid(),
	}
	return marshalInfo(sandboxInfo{
		Pid:            pid,
		ProcessStatus:  procStatus,
		NetNSClosed:    !ready,
		Image:          s.sandboxImage(),
		SnapshotKey:    p.Id,
		Snapshotter:    "overlayfs",
		RuntimeHandler: p.RuntimeHandler,
		RuntimeType:    "io.containerd.runc.v2",
		RuntimeOptions: runcOptions{SystemdCgroup: true},
		Config:         cfg,
		RuntimeSpec: &ociSpec{
			OCIVersion:  "1.0.2-dev",
			Process:     ociProcess{Args: []string{"/pause"}, Env: []string{defaultPath}, Cwd: "/"},
			Root:        ociRoot{Path: "rootfs", Readonly: true},
			Hostname:    cfg.GetHostname(),
			Annotations: annotations,
			Linux: ociLinux{
				CgroupsPath: fmt.Sprintf("kubepods-besteffort-pod%s.slice:cri-containerd:%s", md.GetUid(), p.Id),
				Namespaces: []ociNamespace{
					{Type: "pid"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"},
					{Type: "network", Path: "/var/run/netns/cni-" + MakeID("netns", p.Id)[:12]},
				},
			},
		},
	})
}

// ctrInfo must be called with s.mu held.
func (s *Server) ctrInfo(e *ctrEntry) map[string]string {
	if e.info != nil {
		return e.info
	}
	c := e.ctr
	cfg := e.config
	if cfg == nil {
		cfg = &runtimeapi.ContainerConfig{
			Metadata:    c.Metadata,
			Image:       c.Image,
			Labels:      c.Labels,
			Annotations: c.Annotations,
			Mounts:      e.mounts,
		}
		for _, kv := range e.env {
			k, v, _ := strings.Cut(kv, "=")
			cfg.Envs = append(cfg.Envs, &runtimeapi.KeyValue{Key: k, Value: []byte(v)})
		}
		if lp := kubeletLogPath(c); lp != "" {
			cfg.LogPath = fmt.Sprintf("%s/%d.log", c.GetMetadata().GetName(), c.GetMetadata().GetAttempt())
		}
	}
	running := c.State == runtimeapi.ContainerState_CONTAINER_RUNNING
	pid := pidFor(e.pid, c.Id, running)
	args := append(append([]string{}, cfg.GetCommand()...), cfg.GetArgs()...)
	annotations := maps.Clone(c.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations["io.kubernetes.cri.container-type"] = "container"
	annotations["io.kubernetes.cri.container-name"] = c.GetMetadata().GetName()
	annotations["io.kubernetes.cri.image-name"] = c.GetImage().GetImage()
	annotations["io.kubernetes.cri.sandbox-id"] = c.PodSandboxId
	var mounts []ociMount
	for _, m := range e.mounts {
		opts := []string{"rbind", "rprivate", "rw"}
		if m.GetReadonly() {
			opts[2] = "ro"
		}
		mounts = append(mounts, ociMount{Destination: m.GetContainerPath(), Type: "bind", Source: m.GetHostPath(), Options: opts})
	}
	return marshalInfo(containerInfo{
		SandboxID:      c.PodSandboxId,
		Pid:            pid,
		SnapshotKey:    c.Id,
		Snapshotter:    "overlayfs",
		RuntimeType:    "io.containerd.runc.v2",
		RuntimeOptions: runcOptions{SystemdCgroup: true},
		Config:         cfg,
		RuntimeSpec: &ociSpec{
			OCIVersion:  "1.0.2-dev",
			Process:     ociProcess{Args: args, Env: append([]string{defaultPath}, e.env...), Cwd: "/"},
			Root:        ociRoot{Path: "rootfs"},
			Mounts:      mounts,
			Annotations: annotations,
			Linux: ociLinux{
				CgroupsPath: fmt.Sprintf("kubepods-besteffort-pod%s.slice:cri-containerd:%s", c.Labels[LabelPodUID], c.Id),
				Namespaces: []ociNamespace{
					{Type: "pid"},
					{Type: "ipc", Path: fmt.Sprintf("/proc/%d/ns/ipc", pidFor(0, c.PodSandboxId, true))},
					{Type: "uts", Path: fmt.Sprintf("/proc/%d/ns/uts", pidFor(0, c.PodSandboxId, true))},
					{Type: "mount"},
					{Type: "network", Path: fmt.Sprintf("/proc/%d/ns/net", pidFor(0, c.PodSandboxId, true))},
				},
			},
		},
	})
}

// imgInfo must be called with s.mu held.
func (s *Server) imgInfo(e *imgEntry) map[string]string {
	if e.info != nil {
		return e.info
	}
	return marshalInfo(imageInfo{
		ChainID: "sha256:" + MakeID("chain", e.img.Id),
		ImageSpec: ociImage{
			Created:      FixedTime.Add(-24 * time.Hour).Format(time.RFC3339Nano),
			Architecture: "amd64",
			OS:           "linux",
			Config:       ociImageConfig{Env: append([]string{defaultPath}, e.env...), Cmd: []string{"sh"}},
			RootFS:       ociRootFS{Type: "layers", DiffIDs: []string{"sha256:" + MakeID("layer", e.img.Id)}},
		},
	})
}

func (s *Server) sandboxImage() string {
	if s.SandboxImage != "" {
		return s.SandboxImage
	}
	return DefaultSandboxImage
}

// statusInfo must be called with s.mu held. Like containerd 1.6, "config"
// and "cniconfig" hold JSON objects, "golang" a JSON string and
// "lastCNILoadStatus" plain text.
func (s *Server) statusInfo() map[string]string {
	config := map[string]any{
		"containerd": map[string]any{
			"snapshotter":        "overlayfs",
			"defaultRuntimeName": "runc",
			"runtimes": map[string]any{
				"runc": map[string]any{
					"runtimeType": "io.containerd.runc.v2",
					"options":     map[string]any{"SystemdCgroup": s.CgroupDriver == runtimeapi.CgroupDriver_SYSTEMD},
				},
			},
		},
		"cni": map[string]any{
			"binDir":     "/opt/cni/bin",
			"confDir":    "/etc/cni/net.d",
			"maxConfNum": 1,
		},
		"registry": map[string]any{
			"configPath": "",
			"mirrors":    nil,
			"configs":    nil,
			"auths":      nil,
			"headers":    nil,
		},
		"enableSelinux":       false,
		"sandboxImage":        s.sandboxImage(),
		"statsCollectPeriod":  10,
		"maxContainerLogSize": 16384,
		"disableCgroup":       false,
		"containerdRootDir":   "/var/lib/containerd",
		"containerdEndpoint":  "/run/containerd/containerd.sock",
		"rootDir":             "/var/lib/containerd/io.containerd.grpc.v1.cri",
		"stateDir":            "/run/containerd/io.containerd.grpc.v1.cri",
	}
	cni := map[string]any{
		"PluginDirs":       []string{"/opt/cni/bin"},
		"PluginConfDir":    "/etc/cni/net.d",
		"PluginMaxConfNum": 1,
		"Prefix":           "eth",
		"Networks":         []any{},
	}
	cfgJSON, _ := json.Marshal(config)
	cniJSON, _ := json.Marshal(cni)
	info := map[string]string{
		"config":            string(cfgJSON),
		"cniconfig":         string(cniJSON),
		"golang":            `"go1.20.3"`,
		"lastCNILoadStatus": "OK",
	}
	maps.Copy(info, s.StatusInfo)
	return info
}
