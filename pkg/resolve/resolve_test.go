package resolve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type node struct {
	srv                         *crifake.Server
	rs                          runtimeapi.RuntimeServiceClient
	dns, dnsOther, web          *runtimeapi.PodSandbox
	dnsC, dnsOtherC, webC, webX *runtimeapi.Container
}

// newNode: a coredns pod in kube-system and one of the same name in
// kube-system-extra, a web pod with an exited and a running attempt of
// "nginx".
func newNode(t *testing.T) *node {
	t.Helper()
	srv, ep := crifake.Start(t)
	at := func(d time.Duration) time.Time { return crifake.FixedTime.Add(-d) }
	n := &node{srv: srv}
	run, exited := runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_EXITED
	n.dns = crifake.KubeletPod("coredns", "kube-system", 0, at(3*time.Hour), true)
	n.dnsOther = crifake.KubeletPod("coredns", "kube-system-extra", 0, at(2*time.Hour), true)
	n.web = crifake.KubeletPod("web", "default", 0, at(time.Hour), true)
	for _, p := range []*runtimeapi.PodSandbox{n.dns, n.dnsOther, n.web} {
		srv.AddPod(p)
		srv.AddContainer(crifake.PauseContainer(p))
	}
	n.dnsC = crifake.KubeletContainer(n.dns, "coredns", 0, "coredns:1", run, at(3*time.Hour))
	n.dnsOtherC = crifake.KubeletContainer(n.dnsOther, "coredns", 0, "coredns:1", run, at(2*time.Hour))
	n.webX = crifake.KubeletContainer(n.web, "nginx", 0, "nginx:1", exited, at(50*time.Minute))
	n.webC = crifake.KubeletContainer(n.web, "nginx", 1, "nginx:1", run, at(40*time.Minute))
	for _, c := range []*runtimeapi.Container{n.dnsC, n.dnsOtherC, n.webX, n.webC} {
		srv.AddContainer(c)
	}
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	n.rs = conn.Runtime()
	return n
}

func matcher(t *testing.T, v string, regex bool) *kube.Matcher {
	m, err := kube.NewMatcher("namespace", v, regex)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestContainer(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()

	// A full ID needs no RPC.
	n.srv.ResetCalls()
	if id, err := New(n.rs, Scope{}).Container(ctx, n.webC.Id); err != nil || id != n.webC.Id || len(n.srv.Calls()) != 0 {
		t.Errorf("full ID: %s %v calls %v", id, err, n.srv.Calls())
	}
	// A name: the running attempt.
	if id, err := New(n.rs, Scope{}).Container(ctx, "nginx"); err != nil || id != n.webC.Id {
		t.Errorf("nginx: %s %v", id, err)
	}
	// A unique prefix.
	if id, err := New(n.rs, Scope{}).Container(ctx, n.webX.Id[:12]); err != nil || id != n.webX.Id {
		t.Errorf("prefix: %s %v", id, err)
	}
	// A name in two pods is ambiguous, and the candidates are named.
	_, err := New(n.rs, Scope{}).Container(ctx, "coredns")
	if err == nil || !strings.Contains(err.Error(), `container name "coredns" is ambiguous: 2 containers match`) ||
		!strings.Contains(err.Error(), "namespace kube-system-extra") {
		t.Errorf("ambiguous: %v", err)
	}
	// The scope's namespace narrows it: exactly, or as a regular expression.
	if id, err := New(n.rs, Scope{Namespace: matcher(t, "kube-system", false)}).Container(ctx, "coredns"); err != nil || id != n.dnsC.Id {
		t.Errorf("exact namespace: %s %v", id, err)
	}
	if id, err := New(n.rs, Scope{Namespace: matcher(t, "^kube-sys.*extra$", true)}).Container(ctx, "coredns"); err != nil || id != n.dnsOtherC.Id {
		t.Errorf("regex namespace: %s %v", id, err)
	}
	// The scope's pod, by name.
	if id, err := New(n.rs, Scope{Pod: "coredns", Namespace: matcher(t, "kube-system", false)}).Container(ctx, "coredns"); err != nil || id != n.dnsC.Id {
		t.Errorf("pod scope: %s %v", id, err)
	}
	// Nothing matches.
	_, err = New(n.rs, Scope{Namespace: matcher(t, "default", false)}).Container(ctx, "coredns")
	if err == nil || err.Error() != `container "coredns" not found in namespace default (not an ID, ID prefix or container name)` {
		t.Errorf("no match: %v", err)
	}
	// Arguments that can name nothing fail before any RPC.
	n.srv.ResetCalls()
	if _, err := New(n.rs, Scope{}).Container(ctx, "a/b"); err == nil || len(n.srv.Calls()) != 0 {
		t.Errorf("bad argument: %v, calls %v", err, n.srv.Calls())
	}
}

func TestPod(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	r := New(n.rs, Scope{})
	if id, err := r.Pod(ctx, "web"); err != nil || id != n.web.Id {
		t.Errorf("web: %s %v", id, err)
	}
	if _, err := r.Pod(ctx, "coredns"); err == nil || !strings.Contains(err.Error(), `pod name "coredns" is ambiguous: 2 pods match`) {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := r.Pod(ctx, "zzz"); err == nil || err.Error() != `pod sandbox "zzz" not found (not an ID, ID prefix or pod name)` {
		t.Errorf("no match: %v", err)
	}
	// One list serves every argument.
	if c := strings.Count(strings.Join(n.srv.Calls(), " "), "ListPodSandbox"); c != 1 {
		t.Errorf("%d pod lists", c)
	}
	if id, err := New(n.rs, Scope{Namespace: matcher(t, "extra", true)}).Pod(ctx, "coredns"); err != nil || id != n.dnsOther.Id {
		t.Errorf("regex namespace: %s %v", id, err)
	}
}

func TestPodContainers(t *testing.T) {
	n := newNode(t)
	ids, err := New(n.rs, Scope{}).PodContainers(context.Background(), "web")
	if err != nil || len(ids) != 1 || ids[0] != n.webC.Id {
		t.Errorf("one container per name, the running one: %v %v", ids, err)
	}
}

func TestPick(t *testing.T) {
	mk := func(pod string, attempt uint32, st runtimeapi.ContainerState, created int64) *runtimeapi.Container {
		return &runtimeapi.Container{PodSandboxId: pod, Metadata: &runtimeapi.ContainerMetadata{Attempt: attempt}, State: st, CreatedAt: created}
	}
	ex, run := runtimeapi.ContainerState_CONTAINER_EXITED, runtimeapi.ContainerState_CONTAINER_RUNNING
	a, b, c := mk("p", 0, run, 1), mk("p", 3, ex, 2), mk("p", 2, ex, 3)
	if PickContainer([]*runtimeapi.Container{b, a, c}) != a {
		t.Error("running wins")
	}
	if PickContainer([]*runtimeapi.Container{c, b}) != b {
		t.Error("newest attempt wins")
	}
	if PickContainer([]*runtimeapi.Container{a, mk("q", 0, run, 1)}) != nil {
		t.Error("two pods: no pick")
	}
	p := func(ns string, ready bool, created int64) *runtimeapi.PodSandbox {
		st := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
		if ready {
			st = runtimeapi.PodSandboxState_SANDBOX_READY
		}
		return &runtimeapi.PodSandbox{Metadata: &runtimeapi.PodSandboxMetadata{Namespace: ns}, State: st, CreatedAt: created}
	}
	old, fresh, ready := p("a", false, 1), p("a", false, 2), p("a", true, 0)
	if PickPod([]*runtimeapi.PodSandbox{old, fresh}) != fresh || PickPod([]*runtimeapi.PodSandbox{fresh, ready}) != ready {
		t.Error("PickPod")
	}
	if PickPod([]*runtimeapi.PodSandbox{old, p("b", true, 3)}) != nil {
		t.Error("two namespaces: no pick")
	}
}

func TestImage(t *testing.T) {
	ix := kube.ImageIndex{
		{Id: "sha256:" + strings.Repeat("a", 64), RepoTags: []string{"docker.io/library/busybox:1.36"}},
		{Id: "sha256:" + strings.Repeat("a", 63) + "b", RepoTags: []string{"docker.io/library/nginx:1.27"}},
	}
	if img, err := Image(ix, "busybox:1.36"); err != nil || img != ix[0] {
		t.Errorf("tag: %v %v", img, err)
	}
	if _, err := Image(ix, "aaaa"); err == nil || !strings.Contains(err.Error(), `image ID prefix "aaaa" is ambiguous: 2 images match`) {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := Image(ix, "redis"); err == nil || err.Error() != `no such image "redis" present (not an image tag, name, digest, ID or ID prefix)` {
		t.Errorf("none: %v", err)
	}
}
