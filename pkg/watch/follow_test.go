package watch

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type fnode struct {
	srv  *crifake.Server
	rs   runtimeapi.RuntimeServiceClient
	pod  *runtimeapi.PodSandbox
	run  *runtimeapi.Container
	ctx  context.Context
	stop context.CancelFunc
}

func newFNode(t *testing.T) *fnode {
	t.Helper()
	srv, ep := crifake.Start(t)
	n := &fnode{srv: srv}
	n.pod = crifake.KubeletPod("web", "default", 0, crifake.FixedTime.Add(-time.Hour), true)
	srv.AddPod(n.pod)
	n.run = crifake.KubeletContainer(n.pod, "nginx", 0, "nginx:1.27", runtimeapi.ContainerState_CONTAINER_RUNNING, crifake.FixedTime.Add(-time.Hour))
	srv.AddContainer(n.run)
	srv.AddContainer(crifake.PauseContainer(n.pod))
	srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1))
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	n.rs = conn.Runtime()
	n.ctx, n.stop = context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(n.stop)
	return n
}

// follow runs f in the background; act runs once f is ready, and the
// changes are collected until want of them came (then f is stopped).
func (n *fnode) follow(t *testing.T, f *Follower, want int, act func()) ([]Change, error) {
	t.Helper()
	var (
		mu      sync.Mutex
		changes []Change
	)
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	err := f.Follow(ctx, func() error {
		go func() {
			// the server subscribes the stream on its own time
			for n.srv.Subscribers() == 0 && ctx.Err() == nil {
				time.Sleep(time.Millisecond)
			}
			act()
		}()
		return nil
	}, func(c Change) error {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c)
		if len(changes) == want {
			cancel()
		}
		return nil
	})
	if n.ctx.Err() != nil {
		t.Fatalf("gave up waiting: %d changes %v", len(changes), kinds(changes))
	}
	return changes, err
}

func (n *fnode) lifecycle(t *testing.T) {
	ctx := n.ctx
	id, err := n.rs.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: n.pod.Id, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "job"}, Image: &runtimeapi.ImageSpec{Image: "busybox:1.36"},
	}})
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := n.rs.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id.ContainerId}); err != nil {
		t.Error(err)
	}
	n.srv.ExitContainer(id.ContainerId, 0)
	if _, err := n.rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id.ContainerId}); err != nil {
		t.Error(err)
	}
}

func TestFollowEvents(t *testing.T) {
	n := newFNode(t)
	f := &Follower{RS: n.rs, Containers: true, Polling: func(error) { t.Error("polling with an event stream") }}
	changes, err := n.follow(t, f, 4, func() { n.lifecycle(t) })
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(changes); got[0].kind != Created || got[1].kind != Started || got[2].kind != Exited || got[3].kind != Removed {
		t.Errorf("changes %v", got)
	}
	for _, c := range changes {
		if c.Event == nil || c.Container.GetMetadata().GetName() != "job" || c.Pod.GetMetadata().GetName() != "web" || c.Time.IsZero() {
			t.Errorf("change %+v", c)
		}
	}
	// one baseline list, no polling
	if c := countCalls(n.srv.Calls(), "ListContainers"); c != 1 {
		t.Errorf("%d ListContainers calls", c)
	}
}

func countCalls(calls []string, m string) int {
	n := 0
	for _, c := range calls {
		if c == m {
			n++
		}
	}
	return n
}

// Events that say what the lists already hold (they came while the lists
// were made) are left out; events of unknown objects being removed too.
func TestFollowEventsDeduplicated(t *testing.T) {
	n := newFNode(t)
	f := &Follower{RS: n.rs, Containers: true}
	emit := func(id string, typ runtimeapi.ContainerEventType, ps *runtimeapi.PodSandboxStatus) {
		n.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: id, ContainerEventType: typ, CreatedAt: 1, PodSandboxStatus: ps})
	}
	ps := &runtimeapi.PodSandboxStatus{Id: n.pod.Id, Metadata: n.pod.Metadata, State: runtimeapi.PodSandboxState_SANDBOX_READY}
	changes, err := n.follow(t, f, 2, func() {
		emit(n.run.Id, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, ps)
		emit(n.run.Id, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, ps)
		emit("unknown", runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT, ps)
		emit(n.pod.Id, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, ps)
		// news: the container exits, the pod stops
		emit(n.run.Id, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, ps)
		emit(n.pod.Id, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, &runtimeapi.PodSandboxStatus{Id: n.pod.Id, State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []seen{{n.run.Id, Exited}, {n.pod.Id, Stopped}}
	if got := kinds(changes); !equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	if changes[0].Container.GetMetadata().GetName() != "nginx" {
		t.Errorf("an event without the container's status keeps what the list said: %v", changes[0].Container)
	}
}

// containerd 1.6 has no event stream: the follower lists every interval.
func TestFollowPolls(t *testing.T) {
	n := newFNode(t)
	n.srv.Inject("GetContainerEvents", crifake.Fault{Code: codes.Unimplemented, Message: "method GetContainerEvents not implemented"})
	var polling []error
	got := make(chan Change, 10)
	f := &Follower{RS: n.rs, Containers: true, Interval: 5 * time.Millisecond, Polling: func(err error) { polling = append(polling, err) },
		Now: func() time.Time { return time.Unix(42, 0) }}
	// each step waits for what the previous one changed, so no two fall
	// into one round of listing
	steps := []func(){
		func() { n.srv.ExitContainer(n.run.Id, 1) },
		func() { _, _ = n.rs.StopPodSandbox(n.ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: n.pod.Id}) },
		func() {
			_, _ = n.rs.RemovePodSandbox(n.ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: n.pod.Id})
		},
	}
	wantAfter := []int{1, 1, 2}
	var changes []Change
	ctx, cancel := context.WithCancel(n.ctx)
	defer cancel()
	errc := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		errc <- f.Follow(ctx, func() error { close(ready); return nil }, func(c Change) error { got <- c; return nil })
	}()
	<-ready
	for i, step := range steps {
		step()
		for range wantAfter[i] {
			select {
			case c := <-got:
				changes = append(changes, c)
			case <-n.ctx.Done():
				t.Fatalf("step %d: gave up waiting; changes %v", i, kinds(changes))
			}
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(polling) != 1 || !cri.IsUnimplemented(polling[0]) {
		t.Errorf("Polling called with %v", polling)
	}
	// per round: pods created, containers, pods stopped or removed
	want := []seen{{n.run.Id, Exited}, {n.pod.Id, Stopped}, {n.run.Id, Removed}, {n.pod.Id, Removed}}
	if got := kinds(changes); !equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	for _, c := range changes {
		if c.Event != nil || !c.Time.Equal(time.Unix(42, 0)) || c.Pod.GetMetadata().GetName() != "web" {
			t.Errorf("change %+v", c)
		}
	}
	if cs := f.PodContainers(n.pod.Id); len(cs) != 0 {
		t.Errorf("containers of a removed pod: %v", cs)
	}
}

func TestFollowPodContainers(t *testing.T) {
	n := newFNode(t)
	f := &Follower{RS: n.rs, Containers: true}
	err := f.Follow(n.ctx, func() error {
		if cs := f.PodContainers(n.pod.Id); len(cs) != 1 || cs[0].GetId() != n.run.Id {
			t.Errorf("containers %v", cs)
		}
		return context.Canceled
	}, func(Change) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ready's error: %v", err)
	}
}

// Pods only: no container list, only the pods' changes.
func TestFollowPodsOnly(t *testing.T) {
	n := newFNode(t)
	f := &Follower{RS: n.rs}
	changes, err := n.follow(t, f, 2, func() {
		n.lifecycle(t)
		if _, err := n.rs.StopPodSandbox(n.ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: n.pod.Id}); err != nil {
			t.Error(err)
		}
		if _, err := n.rs.RemovePodSandbox(n.ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: n.pod.Id}); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(changes), []seen{{n.pod.Id, Stopped}, {n.pod.Id, Removed}}; !equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	if c := countCalls(n.srv.Calls(), "ListContainers"); c != 0 {
		t.Errorf("%d ListContainers calls for pods only", c)
	}
}

func TestFollowStreamEnds(t *testing.T) {
	n := newFNode(t)
	_, err := n.follow(t, &Follower{RS: n.rs, Containers: true}, -1, n.srv.EndEvents)
	if !errors.Is(err, ErrStreamEnded) {
		t.Errorf("err %v", err)
	}
	n = newFNode(t)
	_, err = n.follow(t, &Follower{RS: n.rs, Containers: true}, -1, n.srv.Close)
	if err == nil || !strings.Contains(err.Error(), "lost the runtime: its event stream broke off") {
		t.Errorf("err %v", err)
	}
	// the runtime gone before the first list
	n = newFNode(t)
	n.srv.Close()
	if err := (&Follower{RS: n.rs, Containers: true}).Follow(n.ctx, func() error { return nil }, func(Change) error { return nil }); err == nil {
		t.Error("no error without a runtime")
	}
}
