package commands

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.ResetCalls()
	// by name, by ID prefix, and the same container twice
	out := e.ok("stop nginx " + n.corednsC.Id[:10] + " " + n.webC.Id)
	if got, want := lines(out), lines(n.webC.Id+"\n"+n.corednsC.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("stdout %q, want the two IDs", out)
	}
	for _, id := range []string{n.webC.Id, n.corednsC.Id} {
		if st, _ := ctrStateOf(t, e.srv, id); st != runtimeapi.ContainerState_CONTAINER_EXITED {
			t.Errorf("%s is %v after stop", id, st)
		}
	}
	if c := countCalls(e.srv.Calls(), "StopContainer"); c != 2 {
		t.Errorf("%d StopContainer calls, want 2", c)
	}
	for _, r := range e.srv.Requests("StopContainer") {
		if r.(*runtimeapi.StopContainerRequest).Timeout != 0 {
			t.Errorf("default grace period %d, want 0", r.(*runtimeapi.StopContainerRequest).Timeout)
		}
	}
}

func TestStopAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.ResetCalls()
	out := e.ok("stop -a -t 7")
	want := []string{n.corednsC.Id, n.proxyC.Id, n.webC.Id, n.sidecar.Id, n.extraC.Id}
	slices.Sort(want)
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("stop -a printed %q, want the 5 running containers (no pause containers)", got)
	}
	for _, r := range e.srv.Requests("StopContainer") {
		if r := r.(*runtimeapi.StopContainerRequest); r.Timeout != 7 {
			t.Errorf("grace period %d, want 7", r.Timeout)
		}
	}
	// The list asks the runtime for running containers only.
	if reqs := e.srv.Requests("ListContainers"); len(reqs) != 1 || reqs[0].(*runtimeapi.ListContainersRequest).GetFilter().GetState().GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("ListContainers requests %v, want one with state RUNNING", reqs)
	}
	// Nothing left to stop: a note, success.
	r := e.run("stop -a")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No running containers found\n" {
		t.Errorf("stop -a with nothing running: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestStopAllNarrowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	out := e.ok("stop -a --namespace kube-system")
	if got, want := lines(out), lines(n.corednsC.Id+"\n"+n.proxyC.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("stop -a --namespace kube-system printed %q", got)
	}
	out = e.ok("stop -a -p web-5wpwzq2zt6-rg7jx")
	if got, want := lines(out), lines(n.webC.Id+"\n"+n.sidecar.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("stop -a --pod printed %q", got)
	}
	if st, _ := ctrStateOf(t, e.srv, n.extraC.Id); st != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("a container outside the scope was stopped")
	}
	oneError(t, e.run("stop -a --pod nosuchpod"), `pod sandbox "nosuchpod" not found`)
}

// TestStopDeadline checks that StopContainer may take --timeout plus the
// grace period: the runtime answers only when the container is gone.
func TestStopDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("StopContainer", crifake.Fault{Delay: 600 * time.Millisecond})
	if out := e.ok("--timeout 300ms stop -t 2 " + n.webC.Id); out != n.webC.Id+"\n" {
		t.Errorf("stdout %q", out)
	}
	oneError(t, e.run("--timeout 300ms stop "+n.corednsC.Id), "stopping container "+n.corednsC.Id, "did not answer within 300ms")
}

func TestStopPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("StopContainer", crifake.Fault{Code: codes.Internal, Message: "shim died", Times: 1})
	r := e.run("stop nginx nosuch coredns")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	errs := lines(r.stderr)
	if len(errs) != 2 || !strings.Contains(r.stderr, `crictl: container "nosuch" not found`) || !strings.Contains(r.stderr, "StopContainer: shim died") {
		t.Errorf("stderr %q, want one line for nosuch and one for the injected fault", r.stderr)
	}
	if got := lines(r.stdout); len(got) != 1 || (got[0] != n.webC.Id && got[0] != n.corednsC.Id) {
		t.Errorf("stdout %q, want the one container that stopped", r.stdout)
	}
}
