package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func podStateOf(s *crifake.Server, id string) (runtimeapi.PodSandboxState, bool) {
	for _, p := range s.Pods() {
		if p.Id == id {
			return p.State, true
		}
	}
	return 0, false
}

func TestStopp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	out := e.ok("stopp web-5wpwzq2zt6-rg7jx " + n.coredns.Id[:12])
	want := lines("Stopped sandbox " + n.web.Id + "\nStopped sandbox " + n.coredns.Id + "\n")
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("stdout %q", out)
	}
	for _, id := range []string{n.web.Id, n.coredns.Id} {
		if st, _ := podStateOf(e.srv, id); st != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
			t.Errorf("pod %s is %v after stopp", id, st)
		}
	}
	// a name narrowed by --namespace
	e.srv.AddPod(crifake.KubeletPod("metrics-agent", "other", 0, ago(0), true))
	oneError(t, e.run("stopp metrics-agent"), `pod name "metrics-agent" is ambiguous`)
	if out := e.ok("stopp --namespace kube-system-extra metrics-agent"); out != "Stopped sandbox "+n.extra.Id+"\n" {
		t.Errorf("stopp --namespace printed %q", out)
	}
}

func TestStoppAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.ResetCalls()
	out := e.ok("stopp -a --namespace kube-system")
	want := lines("Stopped sandbox " + n.coredns.Id + "\nStopped sandbox " + n.proxy.Id + "\n")
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("stopp -a --namespace printed %q", got)
	}
	if reqs := e.srv.Requests("ListPodSandbox"); len(reqs) != 1 || reqs[0].(*runtimeapi.ListPodSandboxRequest).GetFilter().GetState().GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Errorf("ListPodSandbox requests %v, want one for ready pods", reqs)
	}
	// The not-ready pod is not stopped again.
	out = e.ok("stopp -a")
	want = lines("Stopped sandbox " + n.web.Id + "\nStopped sandbox " + n.extra.Id + "\n")
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("stopp -a printed %q", got)
	}
	r := e.run("stopp --all")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: no ready pods to stop\n" {
		t.Errorf("stopp -a with nothing ready: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestStoppPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(10)
	e.srv.Inject("StopPodSandbox", crifake.Fault{Code: codes.Unknown, Message: "failed to destroy network", Times: 1})
	r := e.run("stopp -a")
	if r.code != 1 || len(lines(r.stdout)) != 9 || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasPrefix(r.stderr, "crictl: stopping pod ") || !strings.Contains(r.stderr, "StopPodSandbox: failed to destroy network") {
		t.Errorf("exit %d, stdout %q, stderr %q: want 9 stopped and one error line", r.code, r.stdout, r.stderr)
	}
}

func TestRmp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	// a not-ready pod by name: removed with its containers
	if out := e.ok("rmp debug-sandbox"); out != "Removed sandbox "+n.bare.Id+"\n" {
		t.Errorf("stdout %q", out)
	}
	if _, ok := podStateOf(e.srv, n.bare.Id); ok {
		t.Error("the pod is still there")
	}
	if _, ok := ctrStateOf(t, e.srv, n.bareC.Id); ok {
		t.Error("its container is still there")
	}
	// a ready pod is refused without --force
	oneError(t, e.run("rmp coredns-5d78c9869d-x2kqv"), "removing pod "+n.coredns.Id+": it is ready (running); stop it first (stopp) or use --force")
	// --force stops it first; the result is one line
	e.srv.ResetCalls()
	if out := e.ok("rmp -f " + n.coredns.Id); out != "Removed sandbox "+n.coredns.Id+"\n" {
		t.Errorf("rmp -f printed %q", out)
	}
	if got, want := e.srv.Calls(), []string{"PodSandboxStatus", "StopPodSandbox", "RemovePodSandbox"}; !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v (a full ID needs no list)", got, want)
	}
	missing := strings.Repeat("d", 64)
	oneError(t, e.run("rmp "+missing), `pod "`+missing+`" not found`)
}

func TestRmpAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	r := e.run("rmp -a")
	if r.code != 1 || r.stdout != "Removed sandbox "+n.bare.Id+"\n" || strings.Count(r.stderr, "it is ready") != 4 {
		t.Errorf("rmp -a: exit %d, stdout %q, stderr %q: want the not-ready pod removed and 4 refusals", r.code, r.stdout, r.stderr)
	}
	e.srv.ResetCalls()
	out := e.ok("rmp -a -f --namespace kube-system")
	if got, want := lines(out), lines("Removed sandbox "+n.coredns.Id+"\nRemoved sandbox "+n.proxy.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("rmp -a -f --namespace printed %q", got)
	}
	// States come from the list: no PodSandboxStatus.
	calls := e.srv.Calls()
	if countCalls(calls, "PodSandboxStatus") != 0 || countCalls(calls, "ListPodSandbox") != 1 || countCalls(calls, "StopPodSandbox") != 2 {
		t.Errorf("calls %v", calls)
	}
	out = e.ok("rmp -af")
	if len(lines(out)) != 2 || len(e.srv.Pods()) != 0 {
		t.Errorf("rmp -af printed %q, pods left %d", out, len(e.srv.Pods()))
	}
	r = e.run("rmp -a")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: no pods to remove\n" {
		t.Errorf("rmp -a on an empty node: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRmpPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(20)
	e.srv.Inject("RemovePodSandbox", crifake.Fault{Code: codes.Unknown, Message: "sandbox container is not fully stopped", Times: 2})
	r := e.run("rmp -a -f")
	if r.code != 1 || len(lines(r.stdout)) != 18 || strings.Count(r.stderr, "RemovePodSandbox: sandbox container is not fully stopped") != 2 || strings.Count(r.stderr, "\n") != 2 {
		t.Errorf("exit %d, %d lines on stdout, stderr %q: want 18 removed, 2 errors", r.code, len(lines(r.stdout)), r.stderr)
	}
	if len(e.srv.Pods()) != 2 {
		t.Errorf("%d pods left, want 2", len(e.srv.Pods()))
	}
}

// TestRmpManyPods removes 500 pods with the default 2 s timeout; the
// reference fails at 200 (cri-tools#1749).
func TestRmpManyPods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(500)
	out := e.ok("rmp -a -f")
	if len(lines(out)) != 500 || len(e.srv.Pods()) != 0 {
		t.Errorf("%d removed, %d left", len(lines(out)), len(e.srv.Pods()))
	}
}
