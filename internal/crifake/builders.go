package crifake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Label and annotation keys kubelet and the runtimes put on CRI objects.
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// MakeID returns 64 lowercase hex characters derived from parts, in the
// shape of containerd's IDs.
func MakeID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// ImageID returns the "sha256:<64 hex>" image ID that the builders and
// PullImage give the image ref. Spellings of one ref share an ID:
// "busybox" and "docker.io/library/busybox:latest" give the same.
func ImageID(ref string) string {
	if n, ok := normalizeRef(ref); ok {
		ref = n
	}
	return "sha256:" + MakeID("image", ref)
}

// PodUID returns a deterministic UUID-shaped pod UID.
func PodUID(namespace, name string) string {
	h := MakeID("uid", namespace, name)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// KubeletPod returns a sandbox shaped like one kubelet creates through
// containerd: metadata, the io.kubernetes.pod.* labels, kubelet's config
// annotations and an ID derived from the inputs.
func KubeletPod(name, namespace string, attempt uint32, created time.Time, ready bool) *runtimeapi.PodSandbox {
	uid := PodUID(namespace, name)
	state := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	if ready {
		state = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return &runtimeapi.PodSandbox{
		Id: MakeID("sandbox", name, namespace, uid, strconv.FormatUint(uint64(attempt), 10)),
		Metadata: &runtimeapi.PodSandboxMetadata{
			Name: name, Uid: uid, Namespace: namespace, Attempt: attempt,
		},
		State:     state,
		CreatedAt: created.UnixNano(),
		Labels: map[string]string{
			LabelPodName:      name,
			LabelPodNamespace: namespace,
			LabelPodUID:       uid,
		},
		Annotations: map[string]string{
			"kubernetes.io/config.seen":   created.UTC().Format(time.RFC3339Nano),
			"kubernetes.io/config.source": "api",
		},
	}
}

// KubeletContainer returns a container of pod shaped like one kubelet
// creates: kubelet's labels and annotations, Image as given, ImageRef the
// image's ID (ImageID(image) unless image is already an ID) and an ID
// derived from the pod, name and attempt.
func KubeletContainer(pod *runtimeapi.PodSandbox, name string, attempt uint32, image string, state runtimeapi.ContainerState, created time.Time) *runtimeapi.Container {
	md := pod.GetMetadata()
	ref := image
	if !strings.HasPrefix(image, "sha256:") {
		ref = ImageID(image)
	}
	return &runtimeapi.Container{
		Id:           MakeID("container", pod.GetId(), name, strconv.FormatUint(uint64(attempt), 10)),
		PodSandboxId: pod.GetId(),
		Metadata:     &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt},
		Image:        &runtimeapi.ImageSpec{Image: image},
		ImageRef:     ref,
		ImageId:      ref,
		State:        state,
		CreatedAt:    created.UnixNano(),
		Labels: map[string]string{
			LabelContainerName: name,
			LabelPodName:       md.GetName(),
			LabelPodNamespace:  md.GetNamespace(),
			LabelPodUID:        md.GetUid(),
		},
		Annotations: map[string]string{
			"io.kubernetes.container.hash":                     MakeID("hash", name, image)[:8],
			"io.kubernetes.container.restartCount":             strconv.FormatUint(uint64(attempt), 10),
			"io.kubernetes.container.terminationMessagePath":   "/dev/termination-log",
			"io.kubernetes.container.terminationMessagePolicy": "File",
			"io.kubernetes.pod.terminationGracePeriod":         "30",
		},
	}
}

// PauseContainer returns the sandbox ("pause") container of pod as runtimes
// that list sandbox containers show it: name POD, the pod's ID, the
// sandbox image, and the io.cri-containerd.kind=sandbox and
// io.kubernetes.docker.type=podsandbox labels. It runs while the pod is ready.
func PauseContainer(pod *runtimeapi.PodSandbox) *runtimeapi.Container {
	labels := map[string]string{}
	for k, v := range pod.GetLabels() {
		labels[k] = v
	}
	labels["io.cri-containerd.kind"] = "sandbox"
	labels["io.kubernetes.docker.type"] = "podsandbox"
	labels[LabelContainerName] = "POD"
	state := runtimeapi.ContainerState_CONTAINER_EXITED
	if pod.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY {
		state = runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return &runtimeapi.Container{
		Id:           pod.GetId(),
		PodSandboxId: pod.GetId(),
		Metadata:     &runtimeapi.ContainerMetadata{Name: "POD", Attempt: pod.GetMetadata().GetAttempt()},
		Image:        &runtimeapi.ImageSpec{Image: DefaultSandboxImage},
		ImageRef:     ImageID(DefaultSandboxImage),
		ImageId:      ImageID(DefaultSandboxImage),
		State:        state,
		CreatedAt:    pod.GetCreatedAt(),
		Labels:       labels,
	}
}

// KubeletImage returns an image as containerd lists a pulled one: ID
// ImageID(ref), the normalized ref as its tag (unless ref is by digest) and
// one repo digest. A ref that does not parse is used as it is.
func KubeletImage(ref string, size uint64) *runtimeapi.Image {
	norm, ok := normalizeRef(ref)
	if !ok {
		norm = ref
	}
	repo, tag, dgst := splitRef(norm)
	img := &runtimeapi.Image{Id: ImageID(ref), Size: size}
	if dgst == "" {
		dgst = "sha256:" + MakeID("digest", norm)
	}
	if tag != "" {
		img.RepoTags = []string{repo + ":" + tag}
	}
	img.RepoDigests = []string{repo + "@" + dgst}
	return img
}

// AddManyPods adds n ready kubelet-shaped pods named pod-000000… in
// namespace "default", quickly enough to build replies past the 16 MiB
// message limit (about 50 000 pods).
func (s *Server) AddManyPods(n int) {
	entries := make([]*podEntry, 0, n)
	for i := 0; i < n; i++ {
		p := KubeletPod(fmt.Sprintf("pod-%06d", i), "default", 0, FixedTime.Add(time.Duration(i-n)*time.Millisecond), true)
		entries = append(entries, &podEntry{pod: p})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range entries {
		s.putPod(e)
	}
}
