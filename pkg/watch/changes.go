package watch

import (
	"cmp"
	"slices"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Kind is what happened to a container or pod.
type Kind string

// The kinds of change. A container exits; a pod (its sandbox) stops.
const (
	Created Kind = "created"
	Started Kind = "started"
	Exited  Kind = "exited"
	Stopped Kind = "stopped"
	Removed Kind = "removed"
)

// Change is one change of a container or a pod.
type Change struct {
	Time time.Time
	Kind Kind
	// Container is the container that changed, as last known (for Removed,
	// as it was before it went); nil for a change of a pod.
	Container *runtimeapi.Container
	// Pod is the pod that changed, or the container's pod, as last known;
	// nil when not known.
	Pod *runtimeapi.PodSandbox
	// Event is the runtime's event the change came from; nil for a change
	// found by comparing lists.
	Event *runtimeapi.ContainerEventResponse
}

// IsPod reports whether the change is of a pod.
func (c Change) IsPod() bool { return c.Container == nil }

// ID is the ID of what changed.
func (c Change) ID() string {
	if c.Container != nil {
		return c.Container.GetId()
	}
	return c.Pod.GetId()
}

// EventType is the CRI event type of the change.
func (c Change) EventType() runtimeapi.ContainerEventType {
	switch c.Kind {
	case Created:
		return runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT
	case Started:
		return runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT
	case Exited, Stopped:
		return runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT
	}
	return runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT
}

// AsEvent is the runtime's event, or for a change found by comparing lists
// one made up the way containerd makes its own: the container's (or for a
// pod, the sandbox's) ID, the type, the time, and the pod's status with
// its containers' as far as the lists tell them.
func (c Change) AsEvent(podContainers []*runtimeapi.Container) *runtimeapi.ContainerEventResponse {
	if c.Event != nil {
		return c.Event
	}
	ev := &runtimeapi.ContainerEventResponse{ContainerId: c.ID(), ContainerEventType: c.EventType(), CreatedAt: c.Time.UnixNano()}
	if p := c.Pod; p != nil {
		ev.PodSandboxStatus = &runtimeapi.PodSandboxStatus{
			Id: p.GetId(), Metadata: p.GetMetadata(), State: p.GetState(), CreatedAt: p.GetCreatedAt(),
			Labels: p.GetLabels(), Annotations: p.GetAnnotations(), RuntimeHandler: p.GetRuntimeHandler(),
		}
	}
	for _, ctr := range podContainers {
		ev.ContainersStatuses = append(ev.ContainersStatuses, containerStatus(ctr))
	}
	return ev
}

func containerStatus(c *runtimeapi.Container) *runtimeapi.ContainerStatus {
	return &runtimeapi.ContainerStatus{
		Id: c.GetId(), Metadata: c.GetMetadata(), State: c.GetState(), CreatedAt: c.GetCreatedAt(),
		Image: c.GetImage(), ImageRef: c.GetImageRef(), Labels: c.GetLabels(), Annotations: c.GetAnnotations(),
	}
}

// containerOf is the container a status describes, for an event.
func containerOf(st *runtimeapi.ContainerStatus, podID string) *runtimeapi.Container {
	return &runtimeapi.Container{
		Id: st.GetId(), PodSandboxId: podID, Metadata: st.GetMetadata(), Image: st.GetImage(), ImageRef: st.GetImageRef(),
		State: st.GetState(), CreatedAt: st.GetCreatedAt(), Labels: st.GetLabels(), Annotations: st.GetAnnotations(),
	}
}

// podOf is the pod a sandbox status describes, for an event.
func podOf(st *runtimeapi.PodSandboxStatus) *runtimeapi.PodSandbox {
	return &runtimeapi.PodSandbox{
		Id: st.GetId(), Metadata: st.GetMetadata(), State: st.GetState(), CreatedAt: st.GetCreatedAt(),
		Labels: st.GetLabels(), Annotations: st.GetAnnotations(), RuntimeHandler: st.GetRuntimeHandler(),
	}
}

// DiffContainers lists what changed from one list of containers to the
// next (both by ID), oldest container first: new ones were created (and
// started, and exited, as far as their state has come), known ones started
// or exited, missing ones were removed. pods gives each its pod.
func DiffContainers(prev, cur map[string]*runtimeapi.Container, pods map[string]*runtimeapi.PodSandbox, now time.Time) []Change {
	var out []Change
	add := func(k Kind, c *runtimeapi.Container) {
		out = append(out, Change{Time: now, Kind: k, Container: c, Pod: pods[c.GetPodSandboxId()]})
	}
	for _, c := range sortedByAge(cur) {
		old, known := prev[c.GetId()]
		switch {
		case !known:
			add(Created, c)
			switch c.GetState() {
			case runtimeapi.ContainerState_CONTAINER_RUNNING:
				add(Started, c)
			case runtimeapi.ContainerState_CONTAINER_EXITED:
				add(Started, c)
				add(Exited, c)
			}
		case old.GetState() == c.GetState():
		case c.GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING:
			add(Started, c)
		case c.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED:
			if old.GetState() == runtimeapi.ContainerState_CONTAINER_CREATED {
				add(Started, c)
			}
			add(Exited, c)
		}
	}
	for _, c := range sortedByAge(prev) {
		if _, ok := cur[c.GetId()]; !ok {
			add(Removed, c)
		}
	}
	return out
}

// DiffPods is DiffContainers for pods: created (and started when ready),
// started (ready again), stopped (not ready), removed.
func DiffPods(prev, cur map[string]*runtimeapi.PodSandbox, now time.Time) []Change {
	var out []Change
	add := func(k Kind, p *runtimeapi.PodSandbox) { out = append(out, Change{Time: now, Kind: k, Pod: p}) }
	for _, p := range sortedByAge(cur) {
		old, known := prev[p.GetId()]
		ready := p.GetState() == runtimeapi.PodSandboxState_SANDBOX_READY
		switch {
		case !known:
			add(Created, p)
			if ready {
				add(Started, p)
			}
		case old.GetState() == p.GetState():
		case ready:
			add(Started, p)
		default:
			add(Stopped, p)
		}
	}
	for _, p := range sortedByAge(prev) {
		if _, ok := cur[p.GetId()]; !ok {
			add(Removed, p)
		}
	}
	return out
}

type aged interface {
	GetId() string
	GetCreatedAt() int64
}

func sortedByAge[T aged](m map[string]T) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b T) int {
		if c := cmp.Compare(a.GetCreatedAt(), b.GetCreatedAt()); c != 0 {
			return c
		}
		return cmp.Compare(a.GetId(), b.GetId())
	})
	return out
}
