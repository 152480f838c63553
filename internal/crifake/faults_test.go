package crifake_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

func TestInjectCodeAndTimes(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	s.Inject("ListPodSandbox", crifake.Fault{Code: codes.Unavailable, Message: "runtime restarting", Times: 2})
	s.Inject("ListPodSandbox", crifake.Fault{Code: codes.Internal, Times: 1})
	list := func() error {
		_, err := c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		return err
	}
	wantCode(t, list(), codes.Unavailable, "runtime restarting")
	wantCode(t, list(), codes.Unavailable, "runtime restarting")
	wantCode(t, list(), codes.Internal, "injected")
	if err := list(); err != nil {
		t.Errorf("after queued faults: %v", err)
	}

	// Other methods are not affected; Times 0 applies for good.
	s.Inject("ImageFsInfo", crifake.Fault{Code: codes.Unimplemented})
	for range 3 {
		_, err := c.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
		wantCode(t, err, codes.Unimplemented, "")
	}
	must[*runtimeapi.ListImagesResponse](t)(c.img.ListImages(ctx, &runtimeapi.ListImagesRequest{}))
	s.ClearFaults()
	must[*runtimeapi.ImageFsInfoResponse](t)(c.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}))

	s.Inject("GetContainerEvents", crifake.Fault{Code: codes.PermissionDenied})
	stream, err := c.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	wantCode(t, err, codes.PermissionDenied, "")
}

func TestInjectDelay(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	seedPods(s)
	s.Inject("ListPodSandbox", crifake.Fault{Delay: 100 * time.Millisecond, Times: 1})
	begin := time.Now()
	r := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(testCtx(t), &runtimeapi.ListPodSandboxRequest{}))
	if d := time.Since(begin); d < 100*time.Millisecond || len(r.Items) != 3 {
		t.Errorf("slow call took %v and returned %d pods", d, len(r.Items))
	}

	s.Inject("ListPodSandbox", crifake.Fault{Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	begin = time.Now()
	_, err := c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	wantCode(t, err, codes.DeadlineExceeded, "")
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("deadline honoured after %v", d)
	}
}

func TestInjectBlockEndsWithClose(t *testing.T) {
	t.Parallel()
	s, endpoint := crifake.Start(t)
	c := dial(t, endpoint)
	s.Inject("Version", crifake.Fault{Block: true})
	errc := make(chan error, 1)
	go func() {
		_, err := c.rt.Version(context.Background(), &runtimeapi.VersionRequest{})
		errc <- err
	}()
	deadline := time.Now().Add(2 * time.Second)
	for !slices.Equal(s.Calls(), []string{"Version"}) {
		if time.Now().After(deadline) {
			t.Fatal("call never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	begin := time.Now()
	s.Close()
	s.Close()
	wantCode(t, <-errc, codes.Unavailable, "")
	if d := time.Since(begin); d > time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestInjectUnknownMethodFailsLoudly(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	s.Inject("ListPods", crifake.Fault{Code: codes.Internal})
	_, err := c.rt.Version(testCtx(t), &runtimeapi.VersionRequest{})
	wantCode(t, err, codes.Internal, `unknown method "ListPods"`)
}

func TestCallsAndRequests(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	seedPods(s)
	must[*runtimeapi.ListContainersResponse](t)(c.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{}))
	req := &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"a": "b"}}}
	must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(ctx, req))
	_, _ = c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "nope"})

	if got := s.Calls(); !slices.Equal(got, []string{"ListContainers", "ListPodSandbox", "ContainerStatus"}) {
		t.Errorf("Calls = %v", got)
	}
	reqs := s.Requests("ListPodSandbox")
	if len(reqs) != 1 || !proto.Equal(reqs[0], req) {
		t.Fatalf("Requests = %v", reqs)
	}
	reqs[0].(*runtimeapi.ListPodSandboxRequest).Filter.LabelSelector["a"] = "changed"
	if again := s.Requests("ListPodSandbox"); !proto.Equal(again[0], req) {
		t.Errorf("Requests returned shared messages")
	}
	if got := s.Requests("Version"); len(got) != 0 {
		t.Errorf("Requests(Version) = %v", got)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 || len(s.Requests("ListPodSandbox")) != 0 {
		t.Error("ResetCalls kept records")
	}
}

func TestHugeReplyExceedsClientLimit(t *testing.T) {
	t.Parallel()
	s, endpoint := crifake.Start(t)
	const limit = 16 << 20
	c := dial(t, endpoint, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(limit)))
	seedPods(s)
	s.Inject("ListPodSandbox", crifake.Fault{PadBytes: limit, Times: 1})
	_, err := c.rt.ListPodSandbox(testCtx(t), &runtimeapi.ListPodSandboxRequest{})
	wantCode(t, err, codes.ResourceExhausted, "vs. 16777216")

	s.Inject("ListPodSandbox", crifake.Fault{PadBytes: 1 << 20, Times: 1})
	r := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(testCtx(t), &runtimeapi.ListPodSandboxRequest{}))
	if len(r.Items) != 3 {
		t.Errorf("padded reply under the limit has %d pods", len(r.Items))
	}
}

func TestAddManyPods(t *testing.T) {
	t.Parallel()
	s, endpoint := crifake.Start(t)
	c := dial(t, endpoint, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	n := 2000
	if !raceEnabled {
		// Past 16 MiB of real pods; too slow under the race detector.
		n = 50000
	}
	s.AddManyPods(n)
	r := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(testCtx(t), &runtimeapi.ListPodSandboxRequest{
		Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{crifake.LabelPodName: "pod-000042"}},
	}))
	if len(r.Items) != 1 || r.Items[0].GetMetadata().GetNamespace() != "default" {
		t.Errorf("filtered list = %v", r.Items)
	}
	all, err := c.rt.ListPodSandbox(testCtx(t), &runtimeapi.ListPodSandboxRequest{})
	if n > 2000 {
		wantCode(t, err, codes.ResourceExhausted, "vs. 16777216")
	} else if err != nil || len(all.Items) != n {
		t.Errorf("list of %d pods: %d, %v", n, len(all.GetItems()), err)
	}
}

func TestBadUTF8OnTheWire(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	pod := crifake.KubeletPod("bad"+crifake.BadUTF8, "default", 0, created, true)
	s.AddPod(pod)
	_, err := c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	wantCode(t, err, codes.Internal, "invalid UTF-8")
	// Replies without the marker are unaffected.
	must[*runtimeapi.ListContainersResponse](t)(c.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{}))
	if !strings.Contains(s.Pods()[0].Metadata.Name, crifake.BadUTF8) {
		t.Error("stored pod lost the marker")
	}
}
