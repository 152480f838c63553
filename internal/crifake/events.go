package crifake

import (
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The container events follow containerd 2.4: every lifecycle RPC sends an
// event to every open GetContainerEvents stream, a sandbox's with the
// sandbox's ID as the container ID. An event carries the pod's status
// (already ready in a sandbox's created event) and the statuses of the
// containers the pod still has: a removed container is not among them.
// containerd 1.6 has no event stream: Inject a fault with code
// Unimplemented into "GetContainerEvents".

// eventBuffer is how many events a stream holds for a slow reader; more
// are dropped (DroppedEvents counts them), so a test that does not read
// never blocks the server.
const eventBuffer = 256

type eventHub struct {
	mu      sync.Mutex
	subs    map[int]chan *runtimeapi.ContainerEventResponse
	next    int
	dropped int
	// ended is closed to end every open stream (EndEvents); ended streams
	// are replaced by a fresh channel for later subscribers.
	ended chan struct{}
}

func (h *eventHub) subscribe() (int, chan *runtimeapi.ContainerEventResponse, chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[int]chan *runtimeapi.ContainerEventResponse{}
	}
	if h.ended == nil {
		h.ended = make(chan struct{})
	}
	id := h.next
	h.next++
	ch := make(chan *runtimeapi.ContainerEventResponse, eventBuffer)
	h.subs[id] = ch
	return id, ch, h.ended
}

func (h *eventHub) unsubscribe(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, id)
}

func (h *eventHub) publish(ev *runtimeapi.ContainerEventResponse) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range h.subs {
		select {
		case ch <- proto.Clone(ev).(*runtimeapi.ContainerEventResponse):
		default:
			h.dropped++
		}
	}
}

// GetContainerEvents streams the events of the lifecycle RPCs (and Emit)
// until the caller goes away, EndEvents ends the stream cleanly, or the
// server closes (Unavailable).
func (s *Server) GetContainerEvents(_ *runtimeapi.GetEventsRequest, stream runtimeapi.RuntimeService_GetContainerEventsServer) error {
	id, ch, ended := s.events.subscribe()
	defer s.events.unsubscribe(id)
	for {
		select {
		case <-stream.Context().Done():
			return status.FromContextError(stream.Context().Err()).Err()
		case <-s.done:
			return status.Error(codes.Unavailable, "crifake: server closing")
		case <-ended:
			return nil
		case ev := <-ch:
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}

// Subscribers is the number of open event streams (a test waits for a
// command to subscribe before it changes something).
func (s *Server) Subscribers() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return len(s.events.subs)
}

// DroppedEvents is how many events were not sent to a stream whose reader
// fell eventBuffer behind.
func (s *Server) DroppedEvents() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return s.events.dropped
}

// Emit sends ev to every open event stream as it is.
func (s *Server) Emit(ev *runtimeapi.ContainerEventResponse) {
	s.events.publish(ev)
}

// EndEvents ends every open event stream as a runtime that closes it does
// (the client reads io.EOF); later streams stay open.
func (s *Server) EndEvents() {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	if s.events.ended != nil {
		close(s.events.ended)
	}
	s.events.ended = make(chan struct{})
}

// ExitContainer makes a running container exit on its own with code, as
// its process ending would: the state, exit code and finish time change
// and a CONTAINER_STOPPED event is sent. It reports whether the container
// was running.
func (s *Server) ExitContainer(id string, code int32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.ctrByID[id]
	if !ok || e.ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		return false
	}
	e.exitCode = code
	e.setCtrState(runtimeapi.ContainerState_CONTAINER_EXITED, s.now())
	s.ctrEvent(e, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	return true
}

// ctrEvent sends the event of a container; call it with s.mu held, after
// the change. Its time is the container's last: finished, started or
// created (the fake's clock is not advanced for events, so the times of
// everything else stay as they were).
func (s *Server) ctrEvent(e *ctrEntry, t runtimeapi.ContainerEventType) {
	if e.ctr.Labels["io.cri-containerd.kind"] == "sandbox" || e.ctr.Id == e.ctr.PodSandboxId {
		// A pause container (listed by some runtimes) has the sandbox's
		// events, not its own.
		return
	}
	at := e.ctr.CreatedAt
	for _, ts := range []*int64{e.startedAt, e.finishedAt} {
		if ts != nil && *ts > at {
			at = *ts
		}
	}
	s.sendEvent(e.ctr.Id, e.ctr.PodSandboxId, t, at)
}

// podEvent sends the event of a sandbox, at the pod's creation time.
func (s *Server) podEvent(p *runtimeapi.PodSandbox, t runtimeapi.ContainerEventType) {
	s.sendEvent(p.Id, p.Id, t, p.CreatedAt)
}

// sendEvent sends the event of a container, or with the sandbox's ID of a
// sandbox; call it with s.mu held.
func (s *Server) sendEvent(id, podID string, t runtimeapi.ContainerEventType, at int64) {
	ev := &runtimeapi.ContainerEventResponse{ContainerId: id, ContainerEventType: t, CreatedAt: at}
	if pe, ok := s.podByID[podID]; ok {
		ev.PodSandboxStatus = s.podStatus(pe)
	}
	for _, c := range s.ctrs {
		if c.ctr.PodSandboxId == podID {
			ev.ContainersStatuses = append(ev.ContainersStatuses, s.ctrStatus(c))
		}
	}
	s.events.publish(ev)
}
