package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

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
	oneError(t, e.run("rmp coredns-5d78c9869d-x2kqv"), `pod sandbox "`+n.coredns.Id+`" is running, please stop it first (stopp, or use --force)`)
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
	if r.code != 1 || r.stdout != "Removed sandbox "+n.bare.Id+"\n" || strings.Count(r.stderr, "is running, please stop it first") != 4 {
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
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No pods to remove\n" {
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
