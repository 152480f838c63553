package kube

import (
	"slices"
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestStateNames(t *testing.T) {
	if got := PodState(runtimeapi.PodSandboxState_SANDBOX_NOTREADY); got != "NotReady" {
		t.Errorf("PodState = %q", got)
	}
	if got := PodState(7); got != "UNKNOWN(7)" {
		t.Errorf("PodState(7) = %q", got)
	}
	if got := ContainerState(runtimeapi.ContainerState_CONTAINER_EXITED); got != "Exited" {
		t.Errorf("ContainerState = %q", got)
	}
	if got := ContainerState(9); got != "UNKNOWN(9)" {
		t.Errorf("ContainerState(9) = %q", got)
	}
	if got := EnumName(runtimeapi.ContainerState(9).String(), 9); got != "UNKNOWN(9)" {
		t.Errorf("EnumName = %q", got)
	}
	if got := EnumName("CONTAINER_RUNNING", 1); got != "CONTAINER_RUNNING" {
		t.Errorf("EnumName = %q", got)
	}
	if RuntimeHandler("") != "(default)" || RuntimeHandler("kata") != "kata" {
		t.Error("RuntimeHandler")
	}
}

func TestParseStates(t *testing.T) {
	for in, want := range map[string]runtimeapi.PodSandboxState{"Ready": 0, "sandbox_notready": 1} {
		v, err := ParsePodState(in)
		if err != nil || v.GetState() != want {
			t.Errorf("ParsePodState(%q) = %v, %v", in, v, err)
		}
	}
	if v, err := ParsePodState(""); v != nil || err != nil {
		t.Errorf("empty pod state: %v %v", v, err)
	}
	if _, err := ParsePodState("up"); err == nil || !strings.Contains(err.Error(), "ready or notready") {
		t.Errorf("bad pod state: %v", err)
	}
	for in, want := range map[string]runtimeapi.ContainerState{"created": 0, "RUNNING": 1, "container_exited": 2, "Unknown": 3} {
		v, err := ParseContainerState(in)
		if err != nil || v.GetState() != want {
			t.Errorf("ParseContainerState(%q) = %v, %v", in, v, err)
		}
	}
	if _, err := ParseContainerState("paused"); err == nil {
		t.Error("paused accepted")
	}
}

func TestIDs(t *testing.T) {
	full := strings.Repeat("ab", 32)
	if !IsFullID(full) || IsFullID(full[:63]) || IsFullID(strings.ToUpper(full)) {
		t.Error("IsFullID")
	}
	if IsHex("") || !IsHex("0af") || IsHex("0ag") {
		t.Error("IsHex")
	}
	for _, bad := range []string{"", "  ", "a/b", "a b", "x\x00", strings.Repeat("a", MaxNameLen+1)} {
		if CheckArg("pod", bad) == nil {
			t.Errorf("CheckArg(%q) accepted", bad)
		}
	}
	if err := CheckArg("pod", "coredns-5d78c9869d-x2kqv"); err != nil {
		t.Error(err)
	}
}

func pod(id, name, ns string, created int64, labels map[string]string) *runtimeapi.PodSandbox {
	return &runtimeapi.PodSandbox{Id: id, Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: ns}, CreatedAt: created, Labels: labels}
}

func TestSortAndLimit(t *testing.T) {
	pods := []*runtimeapi.PodSandbox{pod("b", "", "", 1, nil), pod("c", "", "", 3, nil), pod("a", "", "", 1, nil)}
	SortNewestFirst(pods)
	var ids []string
	for _, p := range pods {
		ids = append(ids, p.Id)
	}
	if !slices.Equal(ids, []string{"c", "a", "b"}) {
		t.Errorf("order %v", ids)
	}
	if n := len(Limit(pods, true, 0)); n != 1 {
		t.Errorf("latest: %d", n)
	}
	if n := len(Limit(pods, true, 2)); n != 2 {
		t.Errorf("last wins over latest: %d", n)
	}
	if n := len(Limit(pods, false, 10)); n != 3 {
		t.Errorf("last past the end: %d", n)
	}
}

func TestPodOfJoinsAndFallsBack(t *testing.T) {
	idx := IndexPods([]*runtimeapi.PodSandbox{pod("p1", "web", "default", 0, nil)})
	c := &runtimeapi.Container{PodSandboxId: "p1", Labels: map[string]string{LabelPodName: "stale", LabelPodNamespace: "old"}}
	if n, ns := idx.PodOf(c); n != "web" || ns != "default" {
		t.Errorf("sandbox join: %s/%s", ns, n)
	}
	c.PodSandboxId = "gone"
	if n, ns := idx.PodOf(c); n != "stale" || ns != "old" {
		t.Errorf("label fallback: %s/%s", ns, n)
	}
	c.Labels = nil
	if n, ns := idx.PodOf(c); n != Unknown || ns != Unknown {
		t.Errorf("unknown: %s/%s", ns, n)
	}
}

func TestIsSandboxContainer(t *testing.T) {
	for _, c := range []*runtimeapi.Container{
		{Labels: map[string]string{"io.cri-containerd.kind": "sandbox"}},
		{Labels: map[string]string{"io.kubernetes.docker.type": "podsandbox"}},
		{Metadata: &runtimeapi.ContainerMetadata{Name: "POD"}},
	} {
		if !IsSandboxContainer(c) {
			t.Errorf("%v is a pause container", c)
		}
	}
	if IsSandboxContainer(&runtimeapi.Container{Metadata: &runtimeapi.ContainerMetadata{Name: "app"}}) {
		t.Error("app is not a pause container")
	}
}

func TestMatcher(t *testing.T) {
	var none *Matcher
	if !none.Match("anything") || none.String() != "" {
		t.Error("nil matcher")
	}
	exact, _ := NewMatcher("namespace", "kube-system", false)
	if !exact.Match("kube-system") || exact.Match("kube-system-extra") {
		t.Error("exact")
	}
	re, err := NewMatcher("namespace", "kube-.*", true)
	if err != nil || !re.Match("kube-system") || re.Match("default") || re.String() != "kube-.*" {
		t.Errorf("regex: %v", err)
	}
	if _, err := NewMatcher("name", "(", true); err == nil || !strings.Contains(err.Error(), `--name: invalid regular expression "("`) {
		t.Errorf("bad regex: %v", err)
	}
	if m, err := NewMatcher("name", "", true); m != nil || err != nil {
		t.Error("empty value must match everything")
	}
}

func TestLabels(t *testing.T) {
	l, err := ParseLabels([]string{"app=web", "tier=x=y"}, "env in (prod,stage),!canary")
	if err != nil {
		t.Fatal(err)
	}
	if l.Exact["app"] != "web" || l.Exact["tier"] != "x=y" {
		t.Errorf("exact %v", l.Exact)
	}
	if !l.Match(map[string]string{"app": "web", "tier": "x=y", "env": "prod"}) {
		t.Error("should match")
	}
	if l.Match(map[string]string{"app": "web", "tier": "x=y", "env": "prod", "canary": "1"}) {
		t.Error("!canary")
	}
	eq, err := ParseLabels(nil, "app=api")
	if err != nil || eq.Exact["app"] != "api" {
		t.Errorf("selector equalities go to the runtime: %v %v", eq.Exact, err)
	}
	if _, err := ParseLabels([]string{"novalue"}, ""); err == nil || !strings.Contains(err.Error(), `--label "novalue": want key=value`) {
		t.Errorf("bad label: %v", err)
	}
	if _, err := ParseLabels(nil, "a in ("); err == nil || !strings.HasPrefix(err.Error(), "--selector: ") {
		t.Errorf("bad selector: %v", err)
	}
	var empty Labels
	if !empty.Empty() || !empty.Match(nil) {
		t.Error("empty labels")
	}
}

func TestParseKeyValues(t *testing.T) {
	m, err := ParseKeyValues("--annotation", []string{"a=1", "b=", "a=2"})
	if err != nil || m["a"] != "2" || m["b"] != "" || len(m) != 2 {
		t.Errorf("%v %v", m, err)
	}
	if m, err := ParseKeyValues("--annotation", nil); m != nil || err != nil {
		t.Error("none")
	}
	if _, err := ParseKeyValues("--annotation", []string{"=v"}); err == nil {
		t.Error("empty key accepted")
	}
}

func TestContainerFilterRuntimeFilter(t *testing.T) {
	full := strings.Repeat("0", 64)
	f := &ContainerFilter{Pod: full}
	if rf := f.runtimeFilter(); rf.GetState().GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING || rf.PodSandboxId != full {
		t.Errorf("default: running, and a full pod ID goes to the runtime: %v", rf)
	}
	for _, f := range []*ContainerFilter{{All: true}, {Selector: Selector{Latest: true}}, {Selector: Selector{Last: 2}}} {
		if f.runtimeFilter().State != nil {
			t.Errorf("%+v: every state", f)
		}
	}
	if (&ContainerFilter{Pod: "web"}).runtimeFilter().PodSandboxId != "" || !(&ContainerFilter{Pod: "web"}).needsPods() {
		t.Error("a pod name is resolved on the client")
	}
}

func TestNameAndNamespaceMatchers(t *testing.T) {
	name, _ := NameMatcher("kube-apiserver*", false)
	if !name.Match("kube-apiserver-node1") || !name.Match("kube-apiserve") || name.Match("etcd-node1") {
		t.Error("--name is an unanchored regular expression")
	}
	alt, _ := NameMatcher("kube-scheduler-*|etcd-*", false)
	if !alt.Match("etcd-node1") || !alt.Match("kube-scheduler-node1") || alt.Match("coredns") {
		t.Error("--name alternatives")
	}
	exact, _ := NameMatcher("coredns", true)
	if exact.Match("coredns-5d78") || !exact.Match("coredns") {
		t.Error("--exact")
	}
	ns, _ := NamespaceMatcher("kube-system", false)
	if ns.Match("kube-system-extra") || !ns.Match("kube-system") {
		t.Error("a namespace name is exact (cri-tools#1810)")
	}
	ns, _ = NamespaceMatcher("test", false)
	if ns.Match("test3") {
		t.Error("--namespace test matched test3")
	}
	re, _ := NamespaceMatcher("kube-.*", false)
	if !re.Match("kube-system") || !re.Match("kube-system-extra") || re.Match("default") {
		t.Error("anything else is a regular expression")
	}
	forced, _ := NamespaceMatcher("kube", true)
	if !forced.Match("kube-system") {
		t.Error("--regex")
	}
	if _, err := NamespaceMatcher("kube-(", false); err == nil {
		t.Error("invalid regular expression accepted")
	}
	for s, want := range map[string]bool{"default": true, "a": true, "kube-system": true, "-a": false, "a-": false, "A": false,
		"a.b": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false, "": false} {
		if IsDNSLabel(s) != want {
			t.Errorf("IsDNSLabel(%q) = %v", s, !want)
		}
	}
}

func TestPodLogDirectory(t *testing.T) {
	for info, want := range map[string]string{
		`{"pid":1,"config":{"metadata":{"name":"web"},"log_directory":"/var/log/pods/ns_web_uid"}}`: "/var/log/pods/ns_web_uid",
		`{"config":{"logDirectory":"/tmp/logs"}}`:                                                   "/tmp/logs",
		`{"config":{}}`: "",
		`not json`:      "",
	} {
		if got := PodLogDirectory(map[string]string{"info": info}); got != want {
			t.Errorf("%s: %q, want %q", info, got, want)
		}
	}
	if PodLogDirectory(nil) != "" {
		t.Error("nil info")
	}
}
