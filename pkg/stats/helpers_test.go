package stats

import (
	"context"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// node is a fake runtime with two kube-system pods, one default pod, their
// containers (one exited) and a client that may rewrite the stats replies.
type node struct {
	srv                     *crifake.Server
	rs                      *client
	dns, proxy, web         *runtimeapi.PodSandbox
	dnsC, proxyC, webC, old *runtimeapi.Container
}

// client is a runtime client whose ListContainerStats and PodSandboxStats
// replies a test may rewrite (to take a rate away, or add a container the
// list does not know).
type client struct {
	runtimeapi.RuntimeServiceClient
	ctrStats func(*runtimeapi.ListContainerStatsResponse, int)
	calls    int
	// failPod makes PodSandboxStats of that pod fail as containerd does
	// for a sandbox without a cgroup parent.
	failPod string
	// podStats rewrites ListPodSandboxStats replies.
	podStats func(*runtimeapi.ListPodSandboxStatsResponse)
}

func (c *client) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest, opts ...grpc.CallOption) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	r, err := c.RuntimeServiceClient.ListPodSandboxStats(ctx, req, opts...)
	if err == nil && c.podStats != nil {
		c.podStats(r)
	}
	return r, err
}

func (c *client) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest, opts ...grpc.CallOption) (*runtimeapi.PodSandboxStatsResponse, error) {
	if req.GetPodSandboxId() == c.failPod {
		return nil, status.Error(codes.Unknown, "failed to get cgroup metrics for sandbox "+c.failPod+" because cgroupPath is empty")
	}
	return c.RuntimeServiceClient.PodSandboxStats(ctx, req, opts...)
}

func (c *client) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest, opts ...grpc.CallOption) (*runtimeapi.ListContainerStatsResponse, error) {
	r, err := c.RuntimeServiceClient.ListContainerStats(ctx, req, opts...)
	if err == nil && c.ctrStats != nil {
		c.ctrStats(r, c.calls)
	}
	c.calls++
	return r, err
}

func newNode(t *testing.T) *node {
	t.Helper()
	srv, ep := crifake.Start(t)
	at := func(d time.Duration) time.Time { return crifake.FixedTime.Add(-d) }
	n := &node{srv: srv}
	n.dns = crifake.KubeletPod("coredns-x", "kube-system", 0, at(3*time.Hour), true)
	n.proxy = crifake.KubeletPod("kube-proxy-y", "kube-system", 0, at(2*time.Hour), true)
	n.web = crifake.KubeletPod("web-z", "default", 0, at(time.Hour), true)
	run := runtimeapi.ContainerState_CONTAINER_RUNNING
	for _, p := range []*runtimeapi.PodSandbox{n.dns, n.proxy, n.web} {
		srv.AddPod(p)
		srv.AddContainer(crifake.PauseContainer(p))
	}
	n.dnsC = crifake.KubeletContainer(n.dns, "coredns", 0, "registry.k8s.io/coredns/coredns:v1.11.1", run, at(3*time.Hour))
	n.proxyC = crifake.KubeletContainer(n.proxy, "kube-proxy", 0, "registry.k8s.io/kube-proxy:v1.36.0", run, at(2*time.Hour))
	n.webC = crifake.KubeletContainer(n.web, "nginx", 0, "docker.io/library/nginx:1.27", run, at(time.Hour))
	n.old = crifake.KubeletContainer(n.web, "migrate", 1, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, at(2*time.Hour))
	for _, c := range []*runtimeapi.Container{n.dnsC, n.proxyC, n.webC, n.old} {
		srv.AddContainer(c)
	}
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	n.rs = &client{RuntimeServiceClient: conn.Runtime()}
	return n
}

// notReadyPod adds a pod that is not ready.
func (n *node) notReadyPod() *runtimeapi.PodSandbox {
	p := crifake.KubeletPod("gone-q", "default", 0, crifake.FixedTime.Add(-time.Minute), false)
	n.srv.AddPod(p)
	return p
}
