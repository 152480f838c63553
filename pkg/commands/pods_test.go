package commands

import (
	"context"
	"slices"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestPodsGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct{ name, cmd string }{
		{"pods/table", "pods"},
		{"pods/namespace-exact", "pods --namespace kube-system"},
		{"pods/namespace-regex", "pods --namespace kube --regex"},
		{"pods/quiet", "pods -q"},
		{"pods/no-trunc", "pods --no-trunc --no-headers"},
		{"pods/wide", "pods -o wide"},
		{"pods/json", "pods --namespace default -o json"},
		{"pods/yaml", "pods --namespace default -o yaml"},
		{"pods/template", "pods -o go-template --template {{range.items}}{{.metadata.name}}{{\"\\n\"}}{{end}}"},
		{"pods/state-notready", "pods --state NotReady"},
		{"pods/verbose", "pods --name kube-proxy-xk2p9 -v"},
		{"pods/latest", "pods -l"},
		{"pods/last", "pods -n 2"},
		{"pods/selector", "pods --selector io.kubernetes.pod.namespace!=default,io.kubernetes.pod.namespace"},
		{"pods/label", "pods --label io.kubernetes.pod.namespace=default"},
	} {
		// Twice: output must not depend on map or list order.
		for range 2 {
			golden(t, tc.name, e.ok(tc.cmd))
		}
	}
}

// The filter rule of decisions.md: --name is the reference's unanchored
// regular expression (kubespray restarts the control plane with
// `pods --name 'kube-apiserver*' -q`), --exact makes it exact; --namespace
// is exact for a namespace name and a regular expression otherwise.
func TestPodsNameAndNamespaceRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	ids := func(cmdline string) []string { return strings.Fields(e.ok(cmdline)) }
	if got := ids("pods -q --name coredns"); !slices.Equal(got, []string{n.coredns.Id}) {
		t.Errorf("--name prefix: %v", got)
	}
	if got := ids("pods -q --name coredns --exact"); len(got) != 0 {
		t.Errorf("--exact coredns: %v", got)
	}
	if got := ids("pods -q --name coredns-5d78c9869d-x2kqv --exact"); !slices.Equal(got, []string{n.coredns.Id}) {
		t.Errorf("--exact full name: %v", got)
	}
	if got := e.ok("pods -q --name kube-proxy*|coredns-*|etcd-*"); strings.Count(got, "\n") != 2 {
		t.Errorf("kubespray's alternatives: %q", got)
	}
	if got := ids("pods -q --namespace kube-system"); len(got) != 2 {
		t.Errorf("exact namespace (not kube-system-extra): %v", got)
	}
	if got := ids("pods -q --namespace kube-.*"); len(got) != 3 {
		t.Errorf("namespace regex: %v", got)
	}
	if got := ids("pods -q --namespace kube --regex"); len(got) != 3 {
		t.Errorf("--regex: %v", got)
	}
	r := e.run("pods --name x --exact --regex")
	if r.code != 1 || !strings.Contains(r.stderr, "--regex and --exact cannot be used together") {
		t.Errorf("--regex --exact: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestPodsWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	act := once(func(out string) bool { return strings.Contains(out, "TIME") && e.srv.Subscribers() > 0 }, func() {
		ctx := context.Background()
		for _, id := range []string{n.web.Id, n.proxy.Id} {
			if _, err := e.srv.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
				t.Error(err)
			}
		}
		if _, err := e.srv.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: n.web.Id}); err != nil {
			t.Error(err)
		}
	})
	r := e.watch(false, func(out string) bool { act(out); return strings.Count(out, "\n") >= 6 }, "pods", "-w", "--namespace", "default")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	golden(t, "pods/watch", r.stdout)
}

// YAML: the list, then each change as a document of its own.
func TestPodsWatchYAML(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	act := once(func(out string) bool { return strings.Contains(out, "items:") && e.srv.Subscribers() > 0 }, func() {
		if _, err := e.srv.StopPodSandbox(context.Background(), &runtimeapi.StopPodSandboxRequest{PodSandboxId: n.extra.Id}); err != nil {
			t.Error(err)
		}
	})
	r := e.watch(false, func(out string) bool { act(out); return strings.Contains(out, "type: stopped") }, "pods", "-w", "-o", "yaml", "--name", "metrics-agent")
	docs := strings.Split(r.stdout, "---\n")
	if r.code != 0 || len(docs) != 2 || !strings.HasPrefix(docs[0], "items:\n") || !strings.Contains(docs[1], "pod:\n  annotations:") ||
		!strings.Contains(docs[1], "time: \"2026-01-02T04:14:05Z\"\n") {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
}
