package harness

import (
	"context"
	"crypto/sha1"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Kubelet's label and annotation keys.
const (
	LabelPodName         = "io.kubernetes.pod.name"
	LabelPodNamespace    = "io.kubernetes.pod.namespace"
	LabelPodUID          = "io.kubernetes.pod.uid"
	LabelContainerName   = "io.kubernetes.container.name"
	AnnotationRestarts   = "io.kubernetes.container.restartCount"
	AnnotationHash       = "io.kubernetes.container.hash"
	AnnotationTermPath   = "io.kubernetes.container.terminationMessagePath"
	AnnotationTermPolicy = "io.kubernetes.container.terminationMessagePolicy"
	AnnotationGrace      = "io.kubernetes.pod.terminationGracePeriod"
)

// PodSpec describes a pod for RunPod.
type PodSpec struct {
	Name      string
	Namespace string // default "default"
	UID       string // default PodUID(Namespace, Name)
	Attempt   uint32
	// HostNetwork pods share the node's network namespace (no CNI).
	HostNetwork bool
	// NoKubeletLabels leaves out kubelet's io.kubernetes.* labels and
	// annotations, as a pod made by another CRI client would be: only the
	// sandbox metadata then carries its name and namespace.
	NoKubeletLabels bool
	Labels          map[string]string // added to the pod's labels
	Annotations     map[string]string // added to the pod's annotations
}

// ContainerSpec describes an app container for StartContainer.
type ContainerSpec struct {
	Name  string
	Image string // default Env.AppImage
	// Script runs as `/bin/sh -c SCRIPT` (busybox sh); default TickScript.
	Script  string
	Attempt uint32 // also the restartCount annotation, as kubelet keeps them
	// Labels and Annotations are added to kubelet's (or used alone with
	// NoKubeletLabels on the pod).
	Labels      map[string]string
	Annotations map[string]string
	// Resources are the container's cgroup limits (none when nil).
	Resources *runtimeapi.LinuxContainerResources
	// CreateOnly leaves the container in state CREATED.
	CreateOnly bool
	// Stdin keeps the container's stdin open (for attach); StdinOnce
	// closes it when the first attached client's stdin ends; TTY gives it
	// a terminal.
	Stdin, StdinOnce, TTY bool
}

// Pod is a pod sandbox made by RunPod.
type Pod struct {
	ID            string
	Name          string
	Namespace     string
	UID           string
	HostNetwork   bool
	KubeletLabels bool
	LogDir        string // LogRoot/pods/NS_NAME_UID
	Config        *runtimeapi.PodSandboxConfig
	Containers    []*Container
}

// Container is a container made by StartContainer.
type Container struct {
	ID      string
	Name    string
	Attempt uint32
	Image   string
	Pod     *Pod
	LogPath string // absolute: Pod.LogDir/NAME/ATTEMPT.log
	Config  *runtimeapi.ContainerConfig
}

// TickScript prints a numbered line (with prefix) every second until
// SIGTERM, which it honours (a plain sh as PID 1 would ignore it).
func TickScript(prefix string) string {
	return `trap 'echo "` + prefix + ` stopping"; exit 0' TERM; i=0; while :; do echo "` + prefix + ` tick $i"; i=$((i+1)); sleep 1; done`
}

// ExitScript writes a line to stdout and one to stderr, then exits with code.
func ExitScript(code int) string {
	return fmt.Sprintf(`echo "migrate: connecting to db"; echo "error: dial tcp 10.0.0.5:5432: connect: connection refused" >&2; exit %d`, code)
}

// PodUID derives a stable, UUID-shaped pod UID from namespace and name.
func PodUID(namespace, name string) string {
	h := sha1.Sum([]byte("crictl-e2e/" + namespace + "/" + name))
	h[6] = h[6]&0x0f | 0x50 // version 5
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// podConfig is the sandbox config kubelet would send for spec.
func (e *Env) podConfig(spec *PodSpec) *runtimeapi.PodSandboxConfig {
	if spec.Namespace == "" {
		spec.Namespace = "default"
	}
	if spec.UID == "" {
		spec.UID = PodUID(spec.Namespace, spec.Name)
	}
	netMode := runtimeapi.NamespaceMode_POD
	hostname := spec.Name
	if spec.HostNetwork {
		netMode, hostname = runtimeapi.NamespaceMode_NODE, ""
	}
	labels := map[string]string{}
	annotations := map[string]string{}
	if !spec.NoKubeletLabels {
		labels[LabelPodName] = spec.Name
		labels[LabelPodNamespace] = spec.Namespace
		labels[LabelPodUID] = spec.UID
		annotations["kubernetes.io/config.source"] = "api"
		annotations["kubernetes.io/config.seen"] = "2026-01-01T00:00:00.000000000Z"
	}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	for k, v := range spec.Annotations {
		annotations[k] = v
	}
	return &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: spec.Name, Namespace: spec.Namespace, Uid: spec.UID, Attempt: spec.Attempt,
		},
		Hostname:     hostname,
		LogDirectory: filepath.Join(e.LogRoot, "pods", spec.Namespace+"_"+spec.Name+"_"+spec.UID),
		Labels:       labels,
		Annotations:  annotations,
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtimeapi.NamespaceOption{
					Network: netMode,
					Pid:     runtimeapi.NamespaceMode_CONTAINER,
					Ipc:     runtimeapi.NamespaceMode_POD,
				},
			},
		},
	}
}

func newPod(spec PodSpec, cfg *runtimeapi.PodSandboxConfig, id string) *Pod {
	return &Pod{
		ID: id, Name: spec.Name, Namespace: spec.Namespace, UID: spec.UID,
		HostNetwork: spec.HostNetwork, KubeletLabels: !spec.NoKubeletLabels,
		LogDir: cfg.GetLogDirectory(), Config: cfg,
	}
}

// RunPod creates and starts a pod sandbox over the CRI, with kubelet's
// labels and log directory layout unless spec says otherwise.
func (e *Env) RunPod(ctx context.Context, spec PodSpec) (*Pod, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("RunPod: no name")
	}
	cfg := e.podConfig(&spec)
	if err := os.MkdirAll(cfg.GetLogDirectory(), 0o755); err != nil {
		return nil, err
	}
	resp, err := e.Runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		return nil, fmt.Errorf("run pod %s/%s: %w", spec.Namespace, spec.Name, err)
	}
	return newPod(spec, cfg, resp.GetPodSandboxId()), nil
}

// containerConfig is the container config kubelet would send for spec.
func (e *Env) containerConfig(pod *Pod, spec *ContainerSpec) *runtimeapi.ContainerConfig {
	if spec.Image == "" {
		spec.Image = e.AppImage
	}
	if spec.Script == "" {
		spec.Script = TickScript(spec.Name)
	}
	labels := map[string]string{}
	annotations := map[string]string{}
	if pod.KubeletLabels {
		labels[LabelContainerName] = spec.Name
		labels[LabelPodName] = pod.Name
		labels[LabelPodNamespace] = pod.Namespace
		labels[LabelPodUID] = pod.UID
		annotations[AnnotationHash] = fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(pod.Namespace+"/"+pod.Name+"/"+spec.Name)))
		annotations[AnnotationRestarts] = fmt.Sprint(spec.Attempt)
		annotations[AnnotationTermPath] = "/dev/termination-log"
		annotations[AnnotationTermPolicy] = "File"
		annotations[AnnotationGrace] = "30"
	}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	for k, v := range spec.Annotations {
		annotations[k] = v
	}
	return &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: spec.Name, Attempt: spec.Attempt},
		Image:    &runtimeapi.ImageSpec{Image: spec.Image},
		Command:  []string{"/bin/sh", "-c", spec.Script},
		Envs: []*runtimeapi.KeyValue{
			{Key: "POD_NAME", Value: []byte(pod.Name)},
			{Key: "POD_NAMESPACE", Value: []byte(pod.Namespace)},
		},
		LogPath:     fmt.Sprintf("%s/%d.log", spec.Name, spec.Attempt),
		Stdin:       spec.Stdin,
		StdinOnce:   spec.StdinOnce,
		Tty:         spec.TTY,
		Labels:      labels,
		Annotations: annotations,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources: spec.Resources,
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
				NamespaceOptions: pod.Config.GetLinux().GetSecurityContext().GetNamespaceOptions(),
			},
		},
	}
}

func newContainer(pod *Pod, spec ContainerSpec, cfg *runtimeapi.ContainerConfig, id string) *Container {
	c := &Container{
		ID: id, Name: spec.Name, Attempt: spec.Attempt, Image: spec.Image, Pod: pod,
		LogPath: filepath.Join(pod.LogDir, cfg.GetLogPath()), Config: cfg,
	}
	pod.Containers = append(pod.Containers, c)
	return c
}

// StartContainer creates a container in pod and starts it (unless
// spec.CreateOnly). Its output goes to the kubelet-layout log file.
func (e *Env) StartContainer(ctx context.Context, pod *Pod, spec ContainerSpec) (*Container, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("StartContainer: no name")
	}
	cfg := e.containerConfig(pod, &spec)
	if err := os.MkdirAll(filepath.Join(pod.LogDir, spec.Name), 0o755); err != nil {
		return nil, err
	}
	resp, err := e.Runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId: pod.ID, Config: cfg, SandboxConfig: pod.Config,
	})
	if err != nil {
		return nil, fmt.Errorf("create container %s in %s/%s: %w", spec.Name, pod.Namespace, pod.Name, err)
	}
	c := newContainer(pod, spec, cfg, resp.GetContainerId())
	if spec.CreateOnly {
		return c, nil
	}
	if _, err := e.Runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ID}); err != nil {
		return c, fmt.Errorf("start container %s in %s/%s: %w", spec.Name, pod.Namespace, pod.Name, err)
	}
	return c, nil
}

// WaitContainer polls until the container is in state want (or ctx ends).
func (e *Env) WaitContainer(ctx context.Context, id string, want runtimeapi.ContainerState) (*runtimeapi.ContainerStatus, error) {
	for {
		resp, err := e.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			return nil, err
		}
		if resp.GetStatus().GetState() == want {
			return resp.GetStatus(), nil
		}
		select {
		case <-ctx.Done():
			return resp.GetStatus(), fmt.Errorf("container %.12s: still %s, want %s", id, resp.GetStatus().GetState(), want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RemovePod stops and removes a pod and its containers.
func (e *Env) RemovePod(ctx context.Context, id string) error {
	return stopRemovePod(ctx, e.Runtime, id)
}

// RemoveAllPods stops and removes every pod of the runtime.
func (e *Env) RemoveAllPods(ctx context.Context) error {
	return removeAllPods(ctx, e.Runtime, e.logf)
}

// Ctr runs `ctr -a SOCKET -n k8s.io ARGS...` and returns its combined output.
func (e *Env) Ctr(ctx context.Context, args ...string) ([]byte, error) {
	return ctr(ctx, e.Socket, args...)
}

// RemoveImageRef deletes one image name from containerd's store, leaving
// other names of the same image alone (CRI RemoveImage would delete every
// name of the image, including AppImage when they share an ID). Deleting a
// name that is not there is not an error.
func (e *Env) RemoveImageRef(ctx context.Context, ref string) error {
	out, err := ctr(ctx, e.Socket, "images", "rm", ref)
	if err != nil && !containsNotFound(string(out)) {
		return err
	}
	return nil
}

func containsNotFound(s string) bool {
	return strings.Contains(s, "not found") || strings.Contains(s, "does not exist")
}
