package commands

import (
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestUpdateRuntimeConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, cidr := range []string{"10.244.0.0/24", "10.244.0.0/16,fd00:10:244::/64", ""} {
		r := e.runArgs("update-runtime-config", "--pod-cidr", cidr)
		if r.code != 0 || r.stdout != "" || r.stderr != "crictl: Runtime config successfully updated\n" {
			t.Errorf("%q: exit %d stdout %q stderr %q", cidr, r.code, r.stdout, r.stderr)
		}
	}
	reqs := e.srv.Requests("UpdateRuntimeConfig")
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, want := range []string{"10.244.0.0/24", "10.244.0.0/16,fd00:10:244::/64", ""} {
		if got := reqs[i].(*runtimeapi.UpdateRuntimeConfigRequest).GetRuntimeConfig().GetNetworkConfig(); got == nil || got.PodCidr != want {
			t.Errorf("request %d: %v", i, got)
		}
	}
	// -p is --pod-cidr
	if r := e.run("update-runtime-config -p 192.168.0.0/16"); r.code != 0 {
		t.Errorf("-p: %+v", r)
	}
}

func TestUpdateRuntimeConfigRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oneError(t, e.run("update-runtime-config"), "nothing to update: give --pod-cidr")
	oneError(t, e.run("update-runtime-config --pod-cidr 10.244.0.0"), `"10.244.0.0" is not a CIDR`)
	oneError(t, e.run("update-runtime-config --pod-cidr 10.0.0.0/8,fd00::/64,10.1.0.0/16"), "at most two CIDRs")
	oneError(t, e.run("update-runtime-config x"), `unexpected argument "x"`)
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("refused input made RPCs: %v", calls)
	}
	e.srv.Inject("UpdateRuntimeConfig", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("update-runtime-config -p 10.0.0.0/8"), "fakeruntime 0.1.0 does not implement UpdateRuntimeConfig")
	e.srv.ClearFaults()
	e.srv.Inject("UpdateRuntimeConfig", crifake.Fault{Code: codes.Unknown, Message: "failed to update cni config"})
	oneError(t, e.run("update-runtime-config -p 10.0.0.0/8"), "UpdateRuntimeConfig: failed to update cni config")
	// read-only mode refuses it
	e.vars["CRICTL_READ_ONLY"] = "1"
	oneError(t, e.run("update-runtime-config -p 10.0.0.0/8"), "read-only mode is on")
}
