package commands

import (
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

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
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No ready pods to stop\n" {
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
