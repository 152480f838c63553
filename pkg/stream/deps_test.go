package stream_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBinaryStaysLean guards the reason this package exists: the crictl
// binary must not link client-go or the packages it drags in (their
// package initialisation would cost every command at start-up), nor any
// test-only streaming server.
func TestBinaryStaysLean(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/crictl/crictl/cmd/crictl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"k8s.io/client-go", "k8s.io/apimachinery", "k8s.io/api/", "k8s.io/klog", "k8s.io/kubectl",
		"k8s.io/cri-streaming", "k8s.io/streaming", "k8s.io/utils", "github.com/json-iterator",
		"github.com/emicklei/go-restful", "github.com/creack/pty", "github.com/moby/term",
		"github.com/crictl/crictl/internal/streamfake", "github.com/crictl/crictl/internal/crifake",
		// pkg/tracing speaks OTLP itself: the OpenTelemetry SDK and the
		// generated OTLP protos would initialise packages in every run.
		"go.opentelemetry.io/", "github.com/grpc-ecosystem/", "github.com/crictl/crictl/internal/otlpfake",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("the crictl binary links %s", pkg)
			}
		}
	}
}
