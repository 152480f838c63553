package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestUnsupported(t *testing.T) {
	t.Parallel()
	srv, ep := crifake.Start(t)
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	rs, ctx := conn.Runtime(), context.Background()

	srv.Inject("ListPodSandboxMetrics", crifake.Fault{Code: codes.Unimplemented})
	_, rpcErr := rs.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
	if err := unsupported(ctx, rs, rpcErr); err == nil || err.Error() != "fakeruntime 0.1.0 does not implement ListPodSandboxMetrics" {
		t.Errorf("unsupported: %v", err)
	}
	// other errors, and errors that are not the runtime's, pass through
	other := errors.New("boom")
	if err := unsupported(ctx, rs, other); !errors.Is(err, other) {
		t.Errorf("passed %v", err)
	}
	srv.Inject("Status", crifake.Fault{Code: codes.Internal})
	_, rpcErr = rs.Status(ctx, &runtimeapi.StatusRequest{})
	if err := unsupported(ctx, rs, rpcErr); !errors.Is(err, rpcErr) {
		t.Errorf("passed %v", err)
	}
	// a runtime that gives no name leaves the runtime's own message
	srv.VersionInfo = &runtimeapi.VersionResponse{}
	_, rpcErr = rs.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
	if err := unsupported(ctx, rs, rpcErr); !errors.Is(err, rpcErr) {
		t.Errorf("no name: %v", err)
	}
}
