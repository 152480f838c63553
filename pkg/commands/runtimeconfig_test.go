package commands

import (
	"slices"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestRuntimeConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The reference's line: the key padded by its tabwriter, the enum name.
	if out := e.ok("runtime-config"); out != "cgroup driver:   SYSTEMD\n" {
		t.Errorf("stdout %q", out)
	}
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"RuntimeConfig"}) {
		t.Errorf("calls %v, want RuntimeConfig only", calls)
	}
	e.srv.CgroupDriver = runtimeapi.CgroupDriver_CGROUPFS
	if out := e.ok("runtime-config"); out != "cgroup driver:   CGROUPFS\n" {
		t.Errorf("stdout %q", out)
	}
	golden(t, "runtime-config/json", e.ok("runtime-config -o json"))
	if out := e.ok("runtime-config -o go-template --template {{.linux.cgroupDriver}}"); out != "CGROUPFS\n" {
		t.Errorf("go-template: %q", out)
	}
	// A driver this build does not know is shown by number.
	e.srv.CgroupDriver = 7
	if out := e.ok("runtime-config"); out != "cgroup driver:   UNKNOWN(7)\n" {
		t.Errorf("unknown driver: %q", out)
	}
}

func TestRuntimeConfigUnsupported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.VersionInfo = &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "1.6.20~ds1", RuntimeApiVersion: "v1"}
	e.srv.Inject("RuntimeConfig", crifake.Fault{Code: codes.Unimplemented, Message: "unknown method RuntimeConfig"})
	oneError(t, e.run("runtime-config"), "crictl: containerd 1.6.20~ds1 does not implement RuntimeConfig\n")
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"RuntimeConfig", "Version"}) {
		t.Errorf("calls %v", calls)
	}
	// Without a name and version to give, the endpoint is named instead.
	e.srv.Inject("Version", crifake.Fault{Code: codes.Unavailable})
	oneError(t, e.run("runtime-config"), "does not implement RuntimeConfig", e.endpoint)
	// Any other failure is the runtime's own message.
	e.srv.ClearFaults()
	e.srv.Inject("RuntimeConfig", crifake.Fault{Code: codes.Internal, Message: "boom", Times: 1})
	oneError(t, e.run("runtime-config"), "RuntimeConfig: boom")
}

func TestRuntimeConfigUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oneError(t, e.run("runtime-config extra"), `unexpected argument "extra"`)
	oneError(t, e.run("runtime-config -o wide"), `unsupported output format "wide"`)
	oneError(t, e.run("runtime-config --template {{.}}"), "--template needs -o go-template")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
}
