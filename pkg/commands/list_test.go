package commands

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
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

func TestImages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct{ name, cmd string }{
		{"images/table", "images"},
		{"images/repo", "images busybox"},
		{"images/repo-tag", "images docker.io/library/nginx:1.27"},
		{"images/digests", "images --digests --pinned --no-trunc"},
		{"images/quiet", "images -q"},
		{"images/json", "images nginx -o json"},
		{"images/verbose", "images -v busybox"},
		{"images/dangling", "images -f dangling=false -f reference=coredns"},
	} {
		golden(t, tc.name, e.ok(tc.cmd))
	}
	if out := e.ok("images -q nonexistent/image"); out != "" {
		t.Errorf("images of a missing repository printed %q; the runtime ignores the filter, crictl must not", out)
	}
	e.srv.ResetCalls()
	e.ok("images")
	if got := strings.Join(e.srv.Calls(), " "); got != "ListImages" {
		t.Errorf("images made RPCs %q, want ListImages only", got)
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	byID := e.ok("inspect -q " + n.corednsC.Id)
	byName := e.ok("inspect -q coredns")
	byPrefix := e.ok("inspect -q " + n.corednsC.Id[:6])
	if byID != byName || byID != byPrefix {
		t.Errorf("inspect by ID, name and prefix differ:\n%s\n%s\n%s", byID, byName, byPrefix)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(byID), &doc); err != nil {
		t.Fatalf("inspect -o json is not one JSON object: %v\n%s", err, byID)
	}
	if doc["status"].(map[string]any)["id"] != n.corednsC.Id {
		t.Errorf("status.id = %v", doc["status"].(map[string]any)["id"])
	}
	golden(t, "inspect/json-quiet", byID)
	golden(t, "inspect/table", e.ok("inspect -o table "+n.webOld.Id[:8]))
	golden(t, "inspect/template", e.ok("inspect -o go-template --template {{.status.metadata.name}} nginx"))

	// Flags after the argument.
	if got := e.ok("inspect coredns -q -o yaml"); !strings.HasPrefix(got, "status:") {
		t.Errorf("flags after the argument were not parsed:\n%s", got)
	}

	// A good and a bad argument: the good one printed, the bad one reported.
	r := e.run("inspect -q coredns zzzz")
	if r.code != 1 || !strings.Contains(r.stdout, n.corednsC.Id) || !strings.Contains(r.stderr, `"zzzz"`) {
		t.Errorf("inspect good bad: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("want one error line, got %q", r.stderr)
	}
	// Two results are an array.
	var arr []any
	if err := json.Unmarshal([]byte(e.ok("inspect -q coredns nginx")), &arr); err != nil || len(arr) != 2 {
		t.Errorf("two results are not a JSON array of 2: %v", err)
	}
	// A full ID that does not exist.
	r = e.run("inspect " + strings.Repeat("a", 64))
	if r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("missing full ID: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestInspectAmbiguousName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	other := crifake.KubeletPod("web-2", "default", 0, ago(time.Hour), true)
	e.srv.AddPod(other)
	e.srv.AddContainer(crifake.KubeletContainer(other, "nginx", 0, "docker.io/library/nginx:1.27", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour)))
	r := e.run("inspect nginx")
	if r.code != 1 || !strings.Contains(r.stderr, "ambiguous") || !strings.Contains(r.stderr, "web-2") || !strings.Contains(r.stderr, "web-5wpwzq2zt6-rg7jx") {
		t.Errorf("ambiguous name: exit %d stderr %q", r.code, r.stderr)
	}
	if out := e.ok("inspect -q -o go-template --template {{.status.id}} --pod web-5wpwzq2zt6-rg7jx nginx"); strings.TrimSpace(out) != n.webC.Id {
		t.Errorf("--pod did not narrow the name: %q", out)
	}
	// Several attempts in one pod: the running one wins.
	e.srv.AddContainer(crifake.KubeletContainer(n.web, "migrate", 3, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Minute)))
	if out := e.ok("inspect -o go-template --template {{.status.metadata.attempt}} migrate"); strings.TrimSpace(out) != "3" {
		t.Errorf("name with several attempts picked attempt %q, want the running 3", out)
	}
}

func TestInspectpAndInspecti(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	golden(t, "inspectp/json", e.ok("inspectp -q kube-proxy-xk2p9"))
	golden(t, "inspectp/table", e.ok("inspectp -q -o table "+n.coredns.Id[:5]))
	if got := e.ok("inspectp -o go-template --template {{.status.metadata.namespace}} --namespace kube-system-extra metrics-agent"); got != "kube-system-extra\n" {
		t.Errorf("inspectp with --namespace: %q", got)
	}
	golden(t, "inspecti/json", e.ok("inspecti -q busybox:1.36"))
	golden(t, "inspecti/table", e.ok("inspecti -q -o table docker.io/library/nginx:1.27"))
	r := e.run("inspecti -q nosuch/image:1")
	if r.code != 1 || !strings.Contains(r.stderr, `image "nosuch/image:1" not found`) {
		t.Errorf("missing image: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestInfoVersionImageFsInfo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	golden(t, "version/table", e.ok("version"))
	golden(t, "version/json", e.ok("version -o json"))
	golden(t, "info/json", e.ok("info"))
	golden(t, "info/quiet-yaml", e.ok("info -q -o yaml"))
	golden(t, "imagefsinfo/json", e.ok("imagefsinfo"))
	golden(t, "imagefsinfo/table", e.ok("imagefsinfo -o table"))
	e.srv.ResetCalls()
	e.ok("version")
	if got := strings.Join(e.srv.Calls(), " "); got != "Version" {
		t.Errorf("version made RPCs %q, want one Version", got)
	}
}

func sortedCalls(calls []string) []string {
	out := append([]string(nil), calls...)
	sort.Strings(out)
	return out
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
