package cri_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// recorder is an extra interceptor that records what it saw.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func TestExtraInterceptorsRunOncePerAttempt(t *testing.T) {
	t.Parallel()
	srv, ep := crifake.Start(t)
	// One Unavailable answer: the connection's interceptor retries the
	// read-only call after 500ms, inside the 5s timeout.
	srv.Inject("ListPodSandbox", crifake.Fault{Code: codes.Unavailable, Message: "busy", Times: 1})
	rec := &recorder{}
	var sawDeadline bool
	conn, err := cri.Dial(ep, cri.Options{
		Timeout:    5 * time.Second,
		MaxRetries: 3,
		UnaryInterceptors: []grpc.UnaryClientInterceptor{func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			_, sawDeadline = ctx.Deadline()
			err := invoker(ctx, method, req, reply, cc, opts...)
			rec.add(method + " " + status.Code(err).String())
			return err
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Runtime().ListPodSandbox(context.Background(), &runtimeapi.ListPodSandboxRequest{}); err != nil {
		t.Fatalf("ListPodSandbox: %v", err)
	}
	want := []string{
		"/runtime.v1.RuntimeService/ListPodSandbox Unavailable",
		"/runtime.v1.RuntimeService/ListPodSandbox OK",
	}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Errorf("the extra interceptor saw %q, want %q", got, want)
	}
	if !sawDeadline {
		t.Error("the extra interceptor ran outside the call's timeout")
	}
}

func TestExtraStreamInterceptor(t *testing.T) {
	t.Parallel()
	srv, ep := crifake.Start(t)
	srv.Inject("GetContainerEvents", crifake.Fault{Code: codes.Unimplemented}) // as containerd 1.6
	rec := &recorder{}
	conn, err := cri.Dial(ep, cri.Options{
		StreamInterceptors: []grpc.StreamClientInterceptor{func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			rec.add(method)
			return streamer(ctx, desc, cc, method, opts...)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := conn.Runtime().GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	// The connection's own wrapper still words the stream's error.
	var ce *cri.Error
	if !errors.As(err, &ce) || ce.Code != codes.Unimplemented || errors.Is(err, io.EOF) {
		t.Errorf("GetContainerEvents: %v, want the connection's Unimplemented error", err)
	}
	if got := rec.got(); !slices.Equal(got, []string{"/runtime.v1.RuntimeService/GetContainerEvents"}) {
		t.Errorf("the extra stream interceptor saw %q", got)
	}
}
