package commands

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
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
