package crifake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

type clients struct {
	rt  runtimeapi.RuntimeServiceClient
	img runtimeapi.ImageServiceClient
}

func dial(t *testing.T, endpoint string, opts ...grpc.DialOption) clients {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	conn, err := grpc.NewClient(endpoint, opts...)
	if err != nil {
		t.Fatalf("NewClient(%q): %v", endpoint, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return clients{rt: runtimeapi.NewRuntimeServiceClient(conn), img: runtimeapi.NewImageServiceClient(conn)}
}

// start starts a server and dials it.
func start(t *testing.T) (*crifake.Server, clients) {
	t.Helper()
	s, endpoint := crifake.Start(t)
	return s, dial(t, endpoint)
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantCode(t *testing.T, err error, code codes.Code, msgPart string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code || !strings.Contains(st.Message(), msgPart) {
		t.Fatalf("error = %v, want code %s with message containing %q", err, code, msgPart)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

var created = crifake.FixedTime.Add(-2 * time.Hour)

// seedPods adds three pods: web (ready), db (ready), old (not ready).
func seedPods(s *crifake.Server) (web, db, old *runtimeapi.PodSandbox) {
	web = crifake.KubeletPod("web", "default", 0, created, true)
	db = crifake.KubeletPod("db", "prod", 1, created.Add(time.Minute), true)
	old = crifake.KubeletPod("old", "default", 0, created.Add(-time.Hour), false)
	s.AddPod(web, crifake.WithPodIP("10.88.0.5"))
	s.AddPod(db)
	s.AddPod(old)
	return web, db, old
}
