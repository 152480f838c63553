package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeNode seeds two kube-system pods, one default pod and their
// containers (one exited), with the pause containers the runtime lists.
func fakeNode(t *testing.T) (*crifake.Server, runtimeapi.RuntimeServiceClient, runtimeapi.ImageServiceClient) {
	t.Helper()
	srv, ep := crifake.Start(t)
	at := func(d time.Duration) time.Time { return crifake.FixedTime.Add(-d) }
	dns := crifake.KubeletPod("coredns-x", "kube-system", 0, at(3*time.Hour), true)
	proxy := crifake.KubeletPod("kube-proxy-y", "kube-system", 0, at(2*time.Hour), true)
	web := crifake.KubeletPod("web-z", "default", 0, at(time.Hour), false)
	run, exited := runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_EXITED
	for _, p := range []*runtimeapi.PodSandbox{dns, proxy, web} {
		srv.AddPod(p)
		srv.AddContainer(crifake.PauseContainer(p))
	}
	srv.AddContainer(crifake.KubeletContainer(dns, "coredns", 0, "registry.k8s.io/coredns/coredns:v1.11.1", run, at(3*time.Hour)))
	srv.AddContainer(crifake.KubeletContainer(proxy, "kube-proxy", 0, "registry.k8s.io/kube-proxy:v1.36.0", run, at(2*time.Hour)))
	srv.AddContainer(crifake.KubeletContainer(web, "nginx", 1, "docker.io/library/nginx:1.27", exited, at(30*time.Minute)))
	srv.AddImage(crifake.KubeletImage("registry.k8s.io/coredns/coredns:v1.11.1", 1))
	srv.AddImage(crifake.KubeletImage("docker.io/library/nginx:1.27", 2))
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return srv, conn.Runtime(), conn.Image()
}

func names(cs []*runtimeapi.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.GetMetadata().GetName())
	}
	return out
}

func TestListPods(t *testing.T) {
	_, rs, _ := fakeNode(t)
	ns, _ := NewMatcher("namespace", "kube-system", false)
	pods, err := ListPods(context.Background(), rs, &PodFilter{Selector: Selector{Namespace: ns}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 2 || pods[0].GetMetadata().GetName() != "kube-proxy-y" {
		t.Errorf("kube-system pods, newest first: %v", pods)
	}
	ready := &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY}
	if pods, _ := ListPods(context.Background(), rs, &PodFilter{State: ready}); len(pods) != 1 {
		t.Errorf("not ready: %v", pods)
	}
}

func TestListContainers(t *testing.T) {
	srv, rs, is := fakeNode(t)
	images := func() (runtimeapi.ImageServiceClient, error) { return is, nil }
	ctx := context.Background()

	res, err := ListContainers(ctx, rs, images, &ContainerFilter{}, Join{Pods: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Items); !slices.Equal(got, []string{"kube-proxy", "coredns"}) {
		t.Errorf("running, pause left out, newest first: %v", got)
	}
	if _, ns := res.Pods.PodOf(res.Items[0]); ns != "kube-system" {
		t.Errorf("joined namespace %q", ns)
	}

	// A pod name and an image filter resolve on the client.
	res, err = ListContainers(ctx, rs, images, &ContainerFilter{Pod: "web-z", Image: "nginx:1.27", All: true}, Join{})
	if err != nil || !slices.Equal(names(res.Items), []string{"nginx"}) {
		t.Errorf("pod and image: %v %v", names(res.Items), err)
	}

	// Without a join, the pods and images are not listed.
	srv.ResetCalls()
	if _, err := ListContainers(ctx, rs, images, &ContainerFilter{All: true}, Join{}); err != nil {
		t.Fatal(err)
	}
	if calls := srv.Calls(); !slices.Equal(calls, []string{"ListContainers"}) {
		t.Errorf("calls %v", calls)
	}

	// A failed pod list is reported with a complete container list.
	srv.Inject("ListPodSandbox", crifake.Fault{Code: codes.Internal, Times: 1})
	res, err = ListContainers(ctx, rs, images, &ContainerFilter{All: true}, Join{Pods: true})
	if err != nil || len(res.Items) != 3 || len(res.Errs) != 1 {
		t.Errorf("partial: %v errs %v err %v", names(res.Items), res.Errs, err)
	}
	// A failed image list fails an --image filter.
	srv.Inject("ListImages", crifake.Fault{Code: codes.Internal, Times: 1})
	if _, err := ListContainers(ctx, rs, images, &ContainerFilter{Image: "nginx"}, Join{}); err == nil {
		t.Error("--image without the image list succeeded")
	}
	// The image service is not dialed unless needed.
	boom := errors.New("dial")
	if _, err := ListContainers(ctx, rs, func() (runtimeapi.ImageServiceClient, error) { return nil, boom }, &ContainerFilter{}, Join{}); err != nil {
		t.Errorf("image service dialed: %v", err)
	}
}

// MatchContainer and MatchPod select single objects as the lists do (a
// watch filters what changes with them).
func TestMatchOne(t *testing.T) {
	dns := &runtimeapi.PodSandbox{Id: strings.Repeat("a", 64), Metadata: &runtimeapi.PodSandboxMetadata{Name: "coredns-x", Namespace: "kube-system"}}
	pods := IndexPods([]*runtimeapi.PodSandbox{dns})
	c := &runtimeapi.Container{Id: "c1", PodSandboxId: dns.Id, Metadata: &runtimeapi.ContainerMetadata{Name: "coredns"},
		Image: &runtimeapi.ImageSpec{Image: "coredns:1"}, Labels: map[string]string{"app": "dns"}}
	ns, _ := NamespaceMatcher("kube-system", false)
	other, _ := NamespaceMatcher("default", false)
	for _, tc := range []struct {
		f    ContainerFilter
		want bool
	}{
		{ContainerFilter{}, true},
		{ContainerFilter{Selector: Selector{Namespace: ns}}, true},
		{ContainerFilter{Selector: Selector{Namespace: other}}, false},
		{ContainerFilter{Pod: "coredns-x"}, true},
		{ContainerFilter{Pod: "aaaa"}, true},
		{ContainerFilter{Pod: dns.Id}, true},
		{ContainerFilter{Pod: "web"}, false},
		{ContainerFilter{ID: "c"}, true},
		{ContainerFilter{ID: "d"}, false},
		{ContainerFilter{Image: "coredns:1"}, true},
		{ContainerFilter{Image: "nginx"}, false},
		{ContainerFilter{Selector: Selector{Labels: Labels{Exact: map[string]string{"app": "web"}}}}, false},
	} {
		if got := tc.f.MatchContainer(c, pods, nil); got != tc.want {
			t.Errorf("%+v: %v", tc.f, got)
		}
	}
	if (&ContainerFilter{Pod: "coredns-x"}).MatchContainer(c, PodIndex{}, nil) {
		t.Error("a pod name matched a container whose pod is not known")
	}
	if (&ContainerFilter{}).MatchContainer(&runtimeapi.Container{Metadata: &runtimeapi.ContainerMetadata{Name: "POD"}}, pods, nil) {
		t.Error("a pause container matched")
	}
	if !(&PodFilter{Selector: Selector{Namespace: ns}, ID: "aa"}).MatchPod(dns) || (&PodFilter{Selector: Selector{Namespace: other}}).MatchPod(dns) {
		t.Error("MatchPod")
	}
}
