package commands

import (
	"strings"
	"testing"
)

func TestInspectp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	golden(t, "inspectp/json", e.ok("inspectp -q kube-proxy-xk2p9"))
	golden(t, "inspectp/table", e.ok("inspectp -q -o table "+n.coredns.Id[:5]))
	if got := e.ok("inspectp -o go-template --template {{.status.metadata.namespace}} --namespace kube-system-extra metrics-agent"); got != "kube-system-extra\n" {
		t.Errorf("inspectp with --namespace: %q", got)
	}
	// With --regex, --namespace narrows a pod name as a regular expression.
	if got := e.ok("inspectp -o go-template --template {{.status.metadata.namespace}} --regex --namespace extra$ metrics-agent"); got != "kube-system-extra\n" {
		t.Errorf("inspectp --regex --namespace: %q", got)
	}
	r := e.run("inspectp -q --namespace default kube-proxy-xk2p9")
	if r.code != 1 || !strings.Contains(r.stderr, `pod sandbox "kube-proxy-xk2p9" not found in namespace default`) {
		t.Errorf("pod outside --namespace: exit %d stderr %q", r.code, r.stderr)
	}
}
