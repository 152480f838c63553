package crifake_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type eventSeen struct {
	id  string
	typ runtimeapi.ContainerEventType
}

// waitSubscribers waits until n event streams are open on the server.
func waitSubscribers(t *testing.T, s *crifake.Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.Subscribers() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers, want %d", s.Subscribers(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// The lifecycle RPCs send containerd's events: sandboxes under their own
// ID, each with the pod's status and its containers'; a removed container
// is not among the statuses.
func TestContainerEvents(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	s.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1))
	stream := must[runtimeapi.RuntimeService_GetContainerEventsClient](t)(c.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{}))
	waitSubscribers(t, s, 1)

	pod := must[*runtimeapi.RunPodSandboxResponse](t)(c.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default", Uid: "u1"},
	}})).PodSandboxId
	ctr := must[*runtimeapi.CreateContainerResponse](t)(c.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app"}, Image: &runtimeapi.ImageSpec{Image: "busybox:1.36"},
	}})).ContainerId
	must[*runtimeapi.StartContainerResponse](t)(c.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: ctr}))
	if !s.ExitContainer(ctr, 3) || s.ExitContainer(ctr, 3) {
		t.Error("ExitContainer: a running container exits once")
	}
	must[*runtimeapi.RemoveContainerResponse](t)(c.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: ctr}))
	must[*runtimeapi.StopPodSandboxResponse](t)(c.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod}))
	must[*runtimeapi.RemovePodSandboxResponse](t)(c.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod}))

	want := []eventSeen{
		{pod, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT},
		{pod, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT},
		{ctr, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT},
		{ctr, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT},
		{ctr, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT},
		{ctr, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT},
		{pod, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT},
		{pod, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT},
	}
	for i, w := range want {
		ev := must[*runtimeapi.ContainerEventResponse](t)(stream.Recv())
		if ev.ContainerId != w.id || ev.ContainerEventType != w.typ {
			t.Fatalf("event %d: %s %s, want %s %s", i, ev.ContainerId, ev.ContainerEventType, w.id, w.typ)
		}
		switch i {
		case 3:
			if ev.GetPodSandboxStatus().GetMetadata().GetName() != "web" || len(ev.ContainersStatuses) != 1 ||
				ev.ContainersStatuses[0].GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING || ev.CreatedAt == 0 {
				t.Errorf("started event: %v", ev)
			}
		case 4:
			if ev.ContainersStatuses[0].GetExitCode() != 3 {
				t.Errorf("exit code in %v", ev)
			}
		case 5:
			if len(ev.ContainersStatuses) != 0 || ev.GetPodSandboxStatus() == nil {
				t.Errorf("deleted container: %v", ev)
			}
		case 7:
			if ev.GetPodSandboxStatus().GetState() != runtimeapi.PodSandboxState_SANDBOX_NOTREADY || len(ev.ContainersStatuses) != 0 {
				t.Errorf("deleted sandbox: %v", ev)
			}
		}
	}

	// Emit sends what it is given; EndEvents ends the stream cleanly.
	s.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "x", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT})
	if ev := must[*runtimeapi.ContainerEventResponse](t)(stream.Recv()); ev.ContainerId != "x" {
		t.Errorf("emitted %v", ev)
	}
	s.EndEvents()
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("after EndEvents: %v, want EOF", err)
	}
	waitSubscribers(t, s, 0)
	if s.DroppedEvents() != 0 {
		t.Errorf("%d events dropped", s.DroppedEvents())
	}
}

// A reader that does not read never holds the server up.
func TestContainerEventsSlowReader(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	stream := must[runtimeapi.RuntimeService_GetContainerEventsClient](t)(c.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{}))
	waitSubscribers(t, s, 1)
	for range 2000 {
		s.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "x"})
	}
	if s.DroppedEvents() == 0 {
		t.Error("nothing dropped for a reader 2000 events behind")
	}
	if _, err := stream.Recv(); err != nil {
		t.Error(err)
	}
}

// Closing the server ends a stream with Unavailable, as a runtime that
// goes away.
func TestContainerEventsServerCloses(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	stream := must[runtimeapi.RuntimeService_GetContainerEventsClient](t)(c.rt.GetContainerEvents(testCtx(t), &runtimeapi.GetEventsRequest{}))
	waitSubscribers(t, s, 1)
	s.Close()
	_, err := stream.Recv()
	wantCode(t, err, codes.Unavailable, "")
}
