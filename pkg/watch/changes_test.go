package watch

import (
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func ctrs(cs ...*runtimeapi.Container) map[string]*runtimeapi.Container {
	m := map[string]*runtimeapi.Container{}
	for _, c := range cs {
		m[c.Id] = c
	}
	return m
}

func ctr(id string, st runtimeapi.ContainerState, created int64) *runtimeapi.Container {
	return &runtimeapi.Container{Id: id, PodSandboxId: "p", State: st, CreatedAt: created}
}

type seen struct {
	id   string
	kind Kind
}

func kinds(cs []Change) []seen {
	var out []seen
	for _, c := range cs {
		out = append(out, seen{c.ID(), c.Kind})
	}
	return out
}

func equal(a, b []seen) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDiffContainers(t *testing.T) {
	const (
		created = runtimeapi.ContainerState_CONTAINER_CREATED
		running = runtimeapi.ContainerState_CONTAINER_RUNNING
		exited  = runtimeapi.ContainerState_CONTAINER_EXITED
	)
	prev := ctrs(ctr("a", running, 1), ctr("b", created, 2), ctr("c", running, 3), ctr("gone", exited, 0), ctr("d", created, 4))
	cur := ctrs(ctr("a", running, 1), ctr("b", running, 2), ctr("c", exited, 3), ctr("d", exited, 4),
		ctr("new", created, 5), ctr("quick", exited, 6), ctr("up", running, 7))
	pod := &runtimeapi.PodSandbox{Id: "p"}
	now := time.Unix(100, 0)
	got := DiffContainers(prev, cur, map[string]*runtimeapi.PodSandbox{"p": pod}, now)
	want := []seen{
		{"b", Started}, {"c", Exited}, {"d", Started}, {"d", Exited},
		{"new", Created},
		{"quick", Created}, {"quick", Started}, {"quick", Exited},
		{"up", Created}, {"up", Started},
		{"gone", Removed},
	}
	if !equal(kinds(got), want) {
		t.Errorf("changes\n got %v\nwant %v", kinds(got), want)
	}
	for _, c := range got {
		if c.Pod != pod || !c.Time.Equal(now) || c.Event != nil || c.IsPod() {
			t.Errorf("change %+v", c)
		}
	}
	if len(DiffContainers(cur, cur, nil, now)) != 0 {
		t.Error("changes between equal lists")
	}
}

func TestDiffPods(t *testing.T) {
	pod := func(id string, ready bool, created int64) *runtimeapi.PodSandbox {
		st := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
		if ready {
			st = runtimeapi.PodSandboxState_SANDBOX_READY
		}
		return &runtimeapi.PodSandbox{Id: id, State: st, CreatedAt: created}
	}
	pods := func(ps ...*runtimeapi.PodSandbox) map[string]*runtimeapi.PodSandbox {
		m := map[string]*runtimeapi.PodSandbox{}
		for _, p := range ps {
			m[p.Id] = p
		}
		return m
	}
	got := DiffPods(pods(pod("a", true, 1), pod("b", false, 2), pod("gone", true, 0)),
		pods(pod("a", false, 1), pod("b", true, 2), pod("new", true, 3), pod("made", false, 4)), time.Unix(1, 0))
	want := []seen{{"a", Stopped}, {"b", Started}, {"new", Created}, {"new", Started}, {"made", Created}, {"gone", Removed}}
	if !equal(kinds(got), want) {
		t.Errorf("changes\n got %v\nwant %v", kinds(got), want)
	}
	for _, c := range got {
		if !c.IsPod() {
			t.Errorf("%v is not a pod change", c)
		}
	}
}

// A change found by listing is shown as the event containerd would have
// sent; a change from an event keeps the runtime's own.
func TestAsEvent(t *testing.T) {
	p := &runtimeapi.PodSandbox{Id: "p", Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default"},
		State: runtimeapi.PodSandboxState_SANDBOX_READY, Labels: map[string]string{"app": "web"}}
	c := &runtimeapi.Container{Id: "c", PodSandboxId: "p", Metadata: &runtimeapi.ContainerMetadata{Name: "nginx"},
		State: runtimeapi.ContainerState_CONTAINER_EXITED, Image: &runtimeapi.ImageSpec{Image: "nginx"}}
	ch := Change{Time: time.Unix(5, 6), Kind: Exited, Container: c, Pod: p}
	ev := ch.AsEvent([]*runtimeapi.Container{c})
	if ev.ContainerId != "c" || ev.ContainerEventType != runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT || ev.CreatedAt != 5_000_000_006 ||
		ev.GetPodSandboxStatus().GetMetadata().GetName() != "web" || ev.GetPodSandboxStatus().GetLabels()["app"] != "web" ||
		len(ev.ContainersStatuses) != 1 || ev.ContainersStatuses[0].GetImage().GetImage() != "nginx" {
		t.Errorf("made-up event %v", ev)
	}
	pc := Change{Time: time.Unix(1, 0), Kind: Removed, Pod: p}
	if ev := pc.AsEvent(nil); ev.ContainerId != "p" || ev.ContainerEventType != runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT {
		t.Errorf("pod event %v", ev)
	}
	for k, want := range map[Kind]runtimeapi.ContainerEventType{
		Created: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, Started: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT,
		Stopped: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, Removed: runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT,
	} {
		if got := (Change{Kind: k}).EventType(); got != want {
			t.Errorf("%s: %v", k, got)
		}
	}
	orig := &runtimeapi.ContainerEventResponse{ContainerId: "x"}
	if (Change{Event: orig}).AsEvent(nil) != orig {
		t.Error("the runtime's event was not kept")
	}
}
