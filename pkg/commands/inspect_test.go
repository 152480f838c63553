package commands

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/kube"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

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

// inspect --regex --namespace narrows a name with the regular expression,
// as it filters lists: it once handed the expression to the resolver as an
// exact namespace and found nothing.
func TestInspectRegexNamespaceNarrowsNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	if got := e.ok("inspect -q -o go-template --template {{.status.id}} --regex --namespace kube.* coredns"); strings.TrimSpace(got) != n.corednsC.Id {
		t.Errorf("inspect --regex --namespace 'kube.*' coredns: %q", got)
	}
	// kube.* also matches kube-system-extra: agent lives only there.
	if got := e.ok("inspect -q -o go-template --template {{.status.id}} --regex --namespace ^kube agent"); strings.TrimSpace(got) != n.extraC.Id {
		t.Errorf("inspect --regex --namespace ^kube agent: %q", got)
	}
	// Without --regex the namespace is exact.
	r := e.run("inspect -q --namespace kube coredns")
	if r.code != 1 || !strings.Contains(r.stderr, `container "coredns" not found in namespace kube`) {
		t.Errorf("exact namespace: exit %d stderr %q", r.code, r.stderr)
	}
}

// Filters that match nothing: the reference's words, exit 0.
func TestInspectNothingFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, cmdline := range []string{"inspect --name nope", "inspectp --namespace nope", "inspecti --name nope:1"} {
		r := e.run(cmdline)
		if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No IDs provided or nothing found per filter\n" {
			t.Errorf("%s: exit %d stdout %q stderr %q", cmdline, r.code, r.stdout, r.stderr)
		}
	}
}

// An ID prefix that two containers (or pods) share is refused, listing
// them, never resolved to one of them (reliability matrix #36).
func TestAmbiguousIDPrefix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	sharedPrefix := func(ids []string) string {
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id[:1]] {
				return id[:1]
			}
			seen[id[:1]] = true
		}
		return ""
	}
	var ctrIDs, podIDs []string
	for _, c := range e.srv.Containers() {
		if !kube.IsSandboxContainer(c) {
			ctrIDs = append(ctrIDs, c.Id)
		}
	}
	for _, p := range e.srv.Pods() {
		podIDs = append(podIDs, p.Id)
	}
	// Add pods until two share a first hex digit.
	for i := 0; sharedPrefix(podIDs) == ""; i++ {
		p := crifake.KubeletPod(fmt.Sprintf("extra-%d", i), "ops", 0, ago(time.Hour), true)
		e.srv.AddPod(p)
		podIDs = append(podIDs, p.Id)
	}
	if pre := sharedPrefix(ctrIDs); pre != "" {
		oneError(t, e.run("inspect "+pre), `ID prefix "`+pre+`" is ambiguous`)
	}
	pre := sharedPrefix(podIDs)
	r := e.run("inspectp " + pre)
	if r.code != 1 || !strings.Contains(r.stderr, `ID prefix "`+pre+`" is ambiguous`) || r.stdout != "" {
		t.Errorf("inspectp %s: exit %d stdout %q stderr %q", pre, r.code, r.stdout, r.stderr)
	}
	oneError(t, e.run("stopp "+pre), `ID prefix "`+pre+`" is ambiguous`)
}
