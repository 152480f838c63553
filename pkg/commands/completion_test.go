package commands

import (
	"slices"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		if out := e.ok("completion " + sh); !strings.Contains(out, "crictl __complete") {
			t.Errorf("completion %s does not call __complete", sh)
		}
	}
	oneError(t, e.run("completion tcsh"), "tcsh")
	check := func(words []string, want ...string) {
		t.Helper()
		r := e.runArgs(append([]string{"__complete"}, words...)...)
		out := r.stdout
		for _, w := range want {
			if !strings.Contains("\n"+out, "\n"+w+"\n") {
				t.Errorf("__complete %v: %q missing from\n%s", words, w, out)
			}
		}
	}
	check([]string{"insp"}, "inspect", "inspectp", "inspecti")
	check([]string{"ps", "--na"}, "--name", "--namespace")
	check([]string{"pods", "-o", ""}, "json", "yaml", "wide", "table", "go-template")
	check([]string{"inspect", ""}, "coredns", n.corednsC.Id)
	check([]string{"inspectp", "kube"}, "kube-proxy-xk2p9")
	check([]string{"inspecti", ""}, "docker.io/library/nginx:1.27")
	check([]string{"-D", "config", ""}, "timeout", "runtime-endpoint")
	check([]string{"help", "insp"}, "inspect", "inspectp")
}

// Names are completed in the --namespace (and --pod) already typed, by the
// same rule as the filters.
func TestCompletionScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	complete := func(words ...string) []string {
		return strings.Fields(e.runArgs(append([]string{"__complete"}, words...)...).stdout)
	}
	got := complete("logs", "--namespace", "kube-system-extra", "")
	if !slices.Contains(got, "agent") || slices.Contains(got, "coredns") {
		t.Errorf("logs --namespace kube-system-extra: %v", got)
	}
	got = complete("inspectp", "--namespace=^kube", "")
	if !slices.Contains(got, "metrics-agent") || !slices.Contains(got, "kube-proxy-xk2p9") || slices.Contains(got, n.web.Metadata.Name) {
		t.Errorf("inspectp --namespace=^kube: %v", got)
	}
	got = complete("exec", "--pod", n.web.Metadata.Name, "")
	if !slices.Contains(got, "nginx") || slices.Contains(got, "coredns") {
		t.Errorf("exec --pod web: %v", got)
	}
}

func TestCompletionCreateStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	complete := func(words ...string) string {
		return e.runArgs(append([]string{"__complete"}, words...)...).stdout
	}
	if out := complete("start", ""); !strings.Contains(out, "\nnginx\n") && !strings.HasPrefix(out, "nginx\n") {
		t.Errorf("start does not complete containers: %q", out)
	}
	if out := complete("create", ""); !strings.Contains(out, n.web.Id) {
		t.Errorf("create does not complete pods: %q", out)
	}
	if out := complete("create", "web", ""); out != "" {
		t.Errorf("create's config file arguments completed as pods: %q", out)
	}
	if out := complete("pull", ""); !strings.Contains(out, "docker.io/library/nginx:1.27") {
		t.Errorf("pull does not complete images: %q", out)
	}
}

func TestStreamCommandCompletion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	complete := func(words ...string) string {
		return e.runArgs(append([]string{"__complete"}, words...)...).stdout
	}
	if out := complete("exec", "-it", ""); !strings.Contains(out, "nginx\n") || !strings.Contains(out, n.webC.Id+"\n") {
		t.Errorf("exec: %q", out)
	}
	if out := complete("exec", "-i", "nginx", ""); out != "" {
		t.Errorf("exec after the container offered %q", out)
	}
	if out := complete("attach", "ngi"); out != "nginx\n" {
		t.Errorf("attach: %q", out)
	}
	if out := complete("port-forward", "--address", "127.0.0.1", "web"); !strings.Contains(out, "web-5wpwzq2zt6-rg7jx\n") {
		t.Errorf("port-forward: %q", out)
	}
	if out := complete("port-forward", n.web.Id, ""); out != "" {
		t.Errorf("port-forward after the pod offered %q", out)
	}
}
