package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// info, inspect, inspectp and inspecti --redact on a real runtime: the
// canary pod's secret env and annotation are printed without --redact (the
// runtime's data, as the reference prints it) and replaced with it.
func TestRedactFlagReal(t *testing.T) {
	env := needCommand(t, "inspect")
	pod := canaryPod(t, env)
	ctr := strings.TrimSpace(mustCrictl(t, env, "ps", "-q", "--namespace", "e2e-bundle", "--pod", pod.ID, "--name", "^app$"))
	if ctr == "" || strings.Contains(ctr, "\n") {
		t.Fatalf("the canary container: %q", ctr)
	}
	for _, c := range []struct {
		args   []string
		canary string
	}{
		{[]string{"inspect", ctr}, canaryEnv},
		{[]string{"inspectp", pod.ID}, canaryAnnotation},
	} {
		if out := mustCrictl(t, env, c.args...); !strings.Contains(out, c.canary) {
			t.Errorf("%s without --redact: no canary (the runtime's data is printed as it is)", c.args[0])
		}
		out := mustCrictl(t, env, append(c.args, "--redact")...)
		if strings.Contains(out, c.canary) || !strings.Contains(out, "<redacted>") {
			t.Errorf("%s --redact: canary %v, <redacted> %v", c.args[0], strings.Contains(out, c.canary), strings.Contains(out, "<redacted>"))
		}
	}
	for _, args := range [][]string{{"info", "--redact"}, {"inspecti", "--redact", env.AppImage}} {
		if out := mustCrictl(t, env, args...); !strings.HasPrefix(strings.TrimSpace(out), "{") {
			t.Errorf("%s: %q", strings.Join(args, " "), out)
		}
	}
}

// bundle merge joins two bundles taken from the real runtime as two nodes:
// one cluster summary naming both, each node's bundle kept unchanged.
func TestBundleMergeReal(t *testing.T) {
	env := needCommand(t, "bundle")
	dir := t.TempDir()
	var inputs []string
	for _, node := range []string{"node-a", "node-b"} {
		p := filepath.Join(dir, node+".tar.gz")
		if _, errOut, code := crictl(t, env, "bundle", "-o", p, "--node", node, "--log-lines", "5"); code != 0 && code != 4 {
			t.Fatalf("bundle --node %s: exit %d, stderr %q", node, code, errOut)
		}
		inputs = append(inputs, p)
	}
	out := filepath.Join(dir, "cluster.tar.gz")
	_, errOut, code := crictl(t, env, append([]string{"bundle", "merge", "-o", out}, inputs...)...)
	if code != 0 && code != 4 {
		t.Fatalf("merge: exit %d, stderr %q", code, errOut)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	names, members := readBundle(t, raw)
	summary := string(members["cluster-summary.txt"].data)
	if !strings.Contains(summary, "node-a") || !strings.Contains(summary, "node-b") {
		t.Errorf("cluster-summary.txt:\n%s", summary)
	}
	for _, want := range []string{"nodes/node-a/manifest.json", "nodes/node-b/manifest.json", "manifest.json", "cluster-summary.json"} {
		if _, ok := members[want]; !ok {
			t.Errorf("no %s among %q", want, names)
		}
	}
}
