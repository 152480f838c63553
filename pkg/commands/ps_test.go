package commands

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestPsGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct{ name, cmd string }{
		{"ps/running", "ps"},
		{"ps/all", "ps -a"},
		{"ps/namespace-exact", "ps -a --namespace kube-system"},
		{"ps/pod-name", "ps -a --pod web-5wpwzq2zt6-rg7jx"},
		{"ps/name", "ps --name nginx"},
		{"ps/state", "ps --state exited"},
		{"ps/quiet", "ps -aq"},
		{"ps/wide", "ps -a -o wide"},
		{"ps/json", "ps --name coredns -o json"},
		{"ps/resolve", "ps -r --namespace default"},
		{"ps/image", "ps -a --image busybox:1.36"},
		{"ps/verbose", "ps --name coredns -v"},
		{"ps/latest", "ps --latest"},
	} {
		for range 2 {
			golden(t, tc.name, e.ok(tc.cmd))
		}
	}
}

func TestPsJoinsPodsAndHidesSandboxes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	out := e.ok("ps -a --no-trunc")
	if strings.Contains(out, "unknown") {
		t.Errorf("a container shows pod 'unknown':\n%s", out)
	}
	if !regexp.MustCompile(`debug-sandbox +ops\n`).MatchString(out) {
		t.Errorf("the container of the pod made without kubelet labels lacks its pod's name and namespace:\n%s", out)
	}
	if strings.Contains(out, "pause") || strings.Contains(out, "\n"+n.coredns.Id) {
		t.Errorf("a pause container is listed:\n%s", out)
	}
	e.srv.ResetCalls()
	e.ok("ps")
	if got := strings.Join(sortedCalls(e.srv.Calls()), " "); got != "ListContainers ListPodSandbox" {
		t.Errorf("ps made RPCs %q, want ListContainers and ListPodSandbox only", got)
	}
	e.srv.ResetCalls()
	e.ok("ps -o json")
	if got := strings.Join(e.srv.Calls(), " "); got != "ListContainers" {
		t.Errorf("ps -o json made RPCs %q, want ListContainers only (the document has no pod names)", got)
	}
}

func TestTableIDsStayUnique(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, last := range []string{"1", "2"} {
		p := crifake.KubeletPod("p"+last, "default", 0, ago(time.Hour), true)
		p.Id = strings.Repeat("a", 20) + strings.Repeat("0", 43) + last
		e.srv.AddPod(p)
	}
	out := e.ok("pods -q")
	ids := strings.Fields(out)
	table := e.ok("pods --no-headers")
	for _, id := range ids {
		if !strings.Contains(table, id) {
			t.Errorf("pods shows colliding IDs shortened to one value:\n%s", table)
		}
	}
}

// ps -w: the list, then a line per change of the containers the filters
// select, from the runtime's events; nothing is listed again meanwhile.
func TestPsWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	act := once(func(out string) bool { return strings.Contains(out, "TIME") && e.srv.Subscribers() > 0 }, func() {
		e.srv.ExitContainer(n.proxyC.Id, 137)
		e.srv.ExitContainer(n.webC.Id, 0) // another namespace: not shown
		if _, err := e.srv.RemoveContainer(context.Background(), &runtimeapi.RemoveContainerRequest{ContainerId: n.proxyC.Id}); err != nil {
			t.Error(err)
		}
	})
	r := e.watch(false, func(out string) bool { act(out); return strings.Count(out, "\n") >= 7 }, "ps", "-w", "--namespace", "kube-system")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	golden(t, "ps/watch", r.stdout)
	if c := countCalls(e.srv.Calls(), "ListContainers"); c != 2 {
		t.Errorf("%d ListContainers calls: the list and the follower's, then events only", c)
	}
}

// Without an event stream (containerd 1.6) ps -w lists every --interval.
func TestPsWatchPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("GetContainerEvents", crifake.Fault{Code: codes.Unimplemented})
	act := once(func(string) bool { return countCalls(e.srv.Calls(), "ListContainers") >= 3 }, func() { e.srv.ExitContainer(n.corednsC.Id, 1) })
	r := e.watch(false, func(out string) bool { act(out); return strings.Contains(out, "exited") }, "ps", "-w", "--interval", "100ms", "-o", "json")
	if r.code != 0 || r.stderr != "crictl: fakeruntime 0.1.0 does not implement GetContainerEvents: listing every 100ms instead\n" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"containers":[{"id":`) ||
		!strings.HasPrefix(lines[1], `{"time":"2026-01-02T05:04:05Z","type":"exited","container":{"id":"`+n.corednsC.Id+`","podSandboxId":`) {
		t.Errorf("lines %q", lines)
	}
}

func TestPsWatchRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oneError(t, e.run("ps -w -q"), "leave out -q and -v")
	oneError(t, e.run("ps -w -l"), "leave out --latest and --last")
	oneError(t, e.runArgs("ps", "-w", "-o", "go-template", "--template", "{{.}}"), "use -o json or yaml")
	oneError(t, e.run("ps -w --interval 0"), "--interval")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("refused options made RPCs: %v", calls)
	}
}
