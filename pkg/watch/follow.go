package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DefaultInterval is how often a Follower lists when the runtime has no
// event stream.
const DefaultInterval = time.Second

// ErrStreamEnded is returned when the runtime ends its event stream.
var ErrStreamEnded = errors.New("the runtime ended its event stream (it may have restarted)")

// Follower reports the changes of a runtime's containers and pods.
type Follower struct {
	RS runtimeapi.RuntimeServiceClient
	// Interval is how often to list when the runtime has no event stream
	// (DefaultInterval if zero).
	Interval time.Duration
	// Containers follows containers as well as pods (ps -w, events); pods
	// -w needs the pods only.
	Containers bool
	// Now is the clock of changes found by listing (time.Now if nil).
	Now func() time.Time
	// Polling, if set, is called once with the runtime's answer when it
	// has no event stream and the follower lists instead.
	Polling func(err error)

	containers map[string]*runtimeapi.Container
	pods       map[string]*runtimeapi.PodSandbox
	// ctrStage and podStage are how far each one's life has come, as far
	// as the follower has said (see stageOf).
	ctrStage, podStage map[string]int
}

// Follow opens the runtime's event stream, lists the containers and pods
// there are, calls ready (where the caller prints its own list), and then
// calls fn with every change, until ctx ends (nil), fn fails, or the
// runtime fails or ends the stream (an error). Events that arrive while
// the lists are made and say nothing new are left out.
func (f *Follower) Follow(ctx context.Context, ready func() error, fn func(Change) error) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan *runtimeapi.ContainerEventResponse, 64)
	streamErr := make(chan error, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	stream, err := f.RS.GetContainerEvents(sctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		streamErr <- err
	} else {
		wg.Go(func() {
			for {
				ev, err := stream.Recv()
				if err != nil {
					streamErr <- err
					return
				}
				select {
				case events <- ev:
				case <-sctx.Done():
					return
				}
			}
		})
	}
	if err := f.list(ctx); err != nil {
		return quiet(ctx, err)
	}
	if err := ready(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-streamErr:
			switch {
			case ctx.Err() != nil:
				return nil
			case cri.IsUnimplemented(err):
				if f.Polling != nil {
					f.Polling(err)
				}
				return f.poll(ctx, fn)
			case errors.Is(err, io.EOF):
				return ErrStreamEnded
			case status.Code(err) == codes.Unavailable:
				return fmt.Errorf("lost the runtime: its event stream broke off (%s)", transportMessage(err))
			}
			return err
		case ev := <-events:
			for _, c := range f.apply(ev) {
				if err := fn(c); err != nil {
					return err
				}
			}
		}
	}
}

// transportMessage is gRPC's own words for a broken connection: the
// connection's error wording assumes a connection that never worked.
func transportMessage(err error) string {
	var ce *cri.Error
	if errors.As(err, &ce) && ce.Cause != nil {
		err = ce.Cause
	}
	return status.Convert(err).Message()
}

func quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// PodContainers are the containers of a pod as the follower last knew
// them (for the event of a change found by listing; see Change.AsEvent).
// Call it from Follow's callbacks only.
func (f *Follower) PodContainers(podID string) []*runtimeapi.Container {
	var out []*runtimeapi.Container
	for _, c := range sortedByAge(f.containers) {
		if c.GetPodSandboxId() == podID {
			out = append(out, c)
		}
	}
	return out
}

// list takes the containers and pods there are.
func (f *Follower) list(ctx context.Context) error {
	var (
		wg   sync.WaitGroup
		cr   *runtimeapi.ListContainersResponse
		cErr error
	)
	if f.Containers {
		wg.Go(func() { cr, cErr = f.RS.ListContainers(ctx, &runtimeapi.ListContainersRequest{}) })
	}
	pr, err := f.RS.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	wg.Wait()
	if err != nil {
		return err
	}
	if cErr != nil {
		return cErr
	}
	f.pods = make(map[string]*runtimeapi.PodSandbox, len(pr.GetItems()))
	f.podStage = make(map[string]int, len(pr.GetItems()))
	for _, p := range pr.GetItems() {
		f.pods[p.GetId()] = p
		f.podStage[p.GetId()] = podStage(p.GetState())
	}
	f.containers = make(map[string]*runtimeapi.Container, len(cr.GetContainers()))
	f.ctrStage = make(map[string]int, len(cr.GetContainers()))
	for _, c := range cr.GetContainers() {
		if !kube.IsSandboxContainer(c) {
			f.containers[c.GetId()] = c
			f.ctrStage[c.GetId()] = containerStage(c.GetState())
		}
	}
	return nil
}

// poll lists every Interval and reports the differences.
func (f *Follower) poll(ctx context.Context, fn func(Change) error) error {
	interval := f.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	now := f.Now
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		prevC, prevP := f.containers, f.pods
		if err := f.list(ctx); err != nil {
			return quiet(ctx, err)
		}
		at := now()
		podChanges := DiffPods(prevP, f.pods, at)
		var changes []Change
		for _, c := range podChanges {
			if c.Kind == Created || c.Kind == Started {
				changes = append(changes, c)
			}
		}
		if f.Containers {
			// a removed container's pod may be gone too: keep it known
			pods := f.pods
			if len(prevP) > 0 && len(podChanges) > 0 {
				pods = mergePods(f.pods, prevP)
			}
			changes = append(changes, DiffContainers(prevC, f.containers, pods, at)...)
		}
		for _, c := range podChanges {
			if c.Kind == Stopped || c.Kind == Removed {
				changes = append(changes, c)
			}
		}
		for _, c := range changes {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
}

// mergePods is cur with the pods only old still knows.
func mergePods(cur, old map[string]*runtimeapi.PodSandbox) map[string]*runtimeapi.PodSandbox {
	m := make(map[string]*runtimeapi.PodSandbox, len(cur)+len(old))
	for id, p := range old {
		m[id] = p
	}
	for id, p := range cur {
		m[id] = p
	}
	return m
}

// apply records an event and returns the change it makes, if any: none
// when it tells what the lists already hold (it came while they were
// made) or is of a container this follower does not follow.
func (f *Follower) apply(ev *runtimeapi.ContainerEventResponse) []Change {
	at := time.Unix(0, ev.GetCreatedAt())
	ps := ev.GetPodSandboxStatus()
	var pod *runtimeapi.PodSandbox
	if ps != nil {
		pod = podOf(ps)
	}
	id := ev.GetContainerId()
	isPod := (ps != nil && ps.GetId() == id) || (ps == nil && f.pods[id] != nil && f.containers[id] == nil)
	kind := kindOf(ev.GetContainerEventType(), isPod)
	if isPod {
		return f.applyPod(ev, at, id, kind, pod)
	}
	if pod != nil {
		f.pods[pod.GetId()] = pod
	}
	if !f.Containers {
		return nil
	}
	old, known := f.containers[id]
	var ctr *runtimeapi.Container
	for _, st := range ev.GetContainersStatuses() {
		if st.GetId() == id {
			ctr = containerOf(st, ps.GetId())
		}
	}
	switch {
	case ctr != nil:
	case known:
		ctr = old
	default:
		ctr = &runtimeapi.Container{Id: id, PodSandboxId: ps.GetId()}
	}
	if pod == nil {
		pod = f.pods[ctr.GetPodSandboxId()]
	}
	if kind == Removed {
		if !known {
			return nil
		}
		delete(f.containers, id)
		delete(f.ctrStage, id)
	} else {
		st := stageOf(kind)
		if st <= f.ctrStage[id] {
			// said already, by the lists or by an event
			return nil
		}
		f.ctrStage[id] = st
		f.containers[id] = withState(ctr, stateAfter(kind))
	}
	return []Change{{Time: at, Kind: kind, Container: ctr, Pod: pod, Event: ev}}
}

// applyPod is apply for an event of a pod's sandbox.
func (f *Follower) applyPod(ev *runtimeapi.ContainerEventResponse, at time.Time, id string, kind Kind, pod *runtimeapi.PodSandbox) []Change {
	old, known := f.pods[id]
	switch {
	case pod != nil:
	case known:
		pod = old
	default:
		pod = &runtimeapi.PodSandbox{Id: id}
	}
	if kind == Removed {
		if !known {
			return nil
		}
		delete(f.pods, id)
		delete(f.podStage, id)
		return []Change{{Time: at, Kind: kind, Pod: pod, Event: ev}}
	}
	f.pods[id] = pod
	st := stageOf(kind)
	if st <= f.podStage[id] {
		return nil
	}
	f.podStage[id] = st
	return []Change{{Time: at, Kind: kind, Pod: pod, Event: ev}}
}

// Stages of a container's or pod's life, which only goes forward: an event
// of a stage already reached (by the lists or an earlier event) tells
// nothing new.
const (
	stageCreated = iota + 1
	stageStarted
	stageEnded
)

func stageOf(k Kind) int {
	switch k {
	case Created:
		return stageCreated
	case Started:
		return stageStarted
	}
	return stageEnded
}

func containerStage(s runtimeapi.ContainerState) int {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return stageCreated
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return stageEnded
	}
	return stageStarted
}

func podStage(s runtimeapi.PodSandboxState) int {
	if s == runtimeapi.PodSandboxState_SANDBOX_READY {
		return stageStarted
	}
	return stageEnded
}

// withState is a container as c with another state.
func withState(c *runtimeapi.Container, st runtimeapi.ContainerState) *runtimeapi.Container {
	return &runtimeapi.Container{
		Id: c.GetId(), PodSandboxId: c.GetPodSandboxId(), Metadata: c.GetMetadata(), Image: c.GetImage(), ImageRef: c.GetImageRef(),
		State: st, CreatedAt: c.GetCreatedAt(), Labels: c.GetLabels(), Annotations: c.GetAnnotations(), ImageId: c.GetImageId(),
	}
}

func kindOf(t runtimeapi.ContainerEventType, pod bool) Kind {
	switch t {
	case runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT:
		return Created
	case runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT:
		return Started
	case runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT:
		if pod {
			return Stopped
		}
		return Exited
	}
	return Removed
}

func stateAfter(k Kind) runtimeapi.ContainerState {
	switch k {
	case Created:
		return runtimeapi.ContainerState_CONTAINER_CREATED
	case Started:
		return runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return runtimeapi.ContainerState_CONTAINER_EXITED
}
