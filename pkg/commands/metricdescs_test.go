package commands

import (
	"slices"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestMetricDescs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	golden(t, "metricdescs/json", e.ok("metricdescs"))
	golden(t, "metricdescs/table", e.ok("metricdescs -o table"))
	if out := e.ok("metricdescs -o go-template --template {{range.descriptors}}{{.name}}{{\"\\n\"}}{{end}}"); out !=
		"container_cpu_usage_seconds_total\ncontainer_memory_working_set_bytes\ncontainer_network_receive_bytes_total\n\n" {
		t.Errorf("go-template: %q", out)
	}
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"ListMetricDescriptors", "ListMetricDescriptors", "ListMetricDescriptors"}) {
		t.Errorf("calls %v", calls)
	}
	// unknown -o is an error (the reference prints its help and exits 0)
	oneError(t, e.run("metricdescs -o wide"), `unsupported output format "wide"`)
	oneError(t, e.run("metricdescs x"), `unexpected argument "x"`)

	e.srv.VersionInfo = &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "1.6.20~ds1"}
	e.srv.Inject("ListMetricDescriptors", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("metricdescs"), "crictl: containerd 1.6.20~ds1 does not implement ListMetricDescriptors\n")
}
