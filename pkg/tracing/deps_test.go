package tracing

import (
	"os/exec"
	"strings"
	"testing"
)

// Tracing costs nothing in a run without --enable-tracing only while the
// binary links no OpenTelemetry library (their package initialisation and
// the generated OTLP descriptors run at every start) and no test receiver.
func TestBinaryLinksNoOpenTelemetry(t *testing.T) {
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/crictl/crictl/cmd/crictl").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "go.opentelemetry.io/") || strings.HasPrefix(pkg, "github.com/grpc-ecosystem/") ||
			pkg == "github.com/crictl/crictl/internal/otlpfake" {
			t.Errorf("the crictl binary links %s", pkg)
		}
	}
}
