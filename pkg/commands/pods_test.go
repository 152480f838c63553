package commands

import (
	"testing"
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
