package commands

// In-process benchmarks of the read-only commands: the real command tree
// through Run, output to io.Discard, against crifake seeded with a
// kubelet-shaped node of 105 and 500 pods (the population of `make bench`).
// Each has a "crictl" and an "rpc" sub-benchmark; "rpc" dials a fresh
// connection and makes only the RPCs the command cannot avoid, as the
// floor program of `make bench` does. The fake server runs in the same
// process, so both include its share: crictl's own cost per command
// (configuration, flag parsing, joining, sorting, formatting) is the
// difference between the two, in time and in allocations. Process start-up
// is not included; BenchmarkStartup in cmd/crictl measures that.
//
//	go test ./pkg/commands -run '^$' -bench . -benchmem
//	go test ./pkg/commands -run '^$' -bench 'PsAll/pods=500/crictl' -cpuprofile /tmp/cpu.out

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var benchSizes = []int{105, 500}

// The bench population, as in test/e2e/cmd/cribench: pods round-robin over
// six namespaces, a few workloads each, DaemonSet pods on the host network,
// one running app container per pod, and every tenth pod with an exited
// "migrate" container (attempt 2, exit code 3).
var (
	benchNamespaces = []string{"kube-system", "default", "monitoring", "app-a", "app-b", "app-c"}
	benchWorkloads  = map[string][]string{
		"kube-system": {"coredns", "kube-proxy", "metrics-server", "csi-node", "konnectivity-agent"},
		"default":     {"web", "api", "worker", "cache"},
		"monitoring":  {"prometheus", "node-exporter", "alertmanager", "grafana"},
		"app-a":       {"frontend", "backend", "queue"},
		"app-b":       {"orders", "payments", "inventory"},
		"app-c":       {"search", "indexer"},
	}
	benchDaemonSets = map[string]bool{"kube-proxy": true, "node-exporter": true, "csi-node": true}
)

func benchImage(workload string) string {
	return "registry.example.com/" + workload + ":1." + strconv.Itoa(len(workload))
}

type benchNode struct {
	srv      *crifake.Server
	endpoint string
	cfg      string
	ctr, pod string // the first pod and its app container
}

// seedBenchNode starts a fake runtime holding n kubelet-shaped pods.
func seedBenchNode(b *testing.B, n int) *benchNode {
	b.Helper()
	srv, ep := crifake.Start(b)
	cfg := filepath.Join(b.TempDir(), "crictl.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	node := &benchNode{srv: srv, endpoint: ep, cfg: cfg}
	start := testNow.Add(-30 * 24 * time.Hour)
	images := map[string]bool{}
	for i := 0; i < n; i++ {
		ns := benchNamespaces[i%len(benchNamespaces)]
		wl := benchWorkloads[ns][(i/len(benchNamespaces))%len(benchWorkloads[ns])]
		hash := crifake.MakeID(ns, wl)[:10]
		name := fmt.Sprintf("%s-%s-%s", wl, hash, crifake.MakeID("pod", strconv.Itoa(i))[:5])
		var opts []crifake.PodOption
		if benchDaemonSets[wl] {
			name = fmt.Sprintf("%s-%s", wl, crifake.MakeID("pod", strconv.Itoa(i))[:5])
			opts = append(opts, crifake.WithNamespaceOptions(&runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}))
		} else {
			opts = append(opts, crifake.WithPodIP(fmt.Sprintf("10.234.%d.%d", i/250, i%250+2)))
		}
		created := start.Add(time.Duration(i) * time.Minute)
		pod := crifake.KubeletPod(name, ns, 0, created, true)
		pod.Labels["app"] = wl
		if !benchDaemonSets[wl] {
			pod.Labels["pod-template-hash"] = hash
		}
		srv.AddPod(pod, opts...)
		img := benchImage(wl)
		images[img] = true
		c := crifake.KubeletContainer(pod, wl, 0, img, runtimeapi.ContainerState_CONTAINER_RUNNING, created.Add(2*time.Second))
		srv.AddContainer(c)
		if i == 0 {
			node.ctr, node.pod = c.Id, pod.Id
		}
		if i%10 == 7 {
			m := crifake.KubeletContainer(pod, "migrate", 2, benchImage("migrate"), runtimeapi.ContainerState_CONTAINER_EXITED, created.Add(time.Second))
			srv.AddContainer(m, crifake.WithExitCode(3), crifake.WithFinishedAt(created.Add(1500*time.Millisecond)), crifake.WithReason("Error", ""))
			images[benchImage("migrate")] = true
		}
	}
	for img := range images {
		srv.AddImage(crifake.KubeletImage(img, 40_000_000+uint64(len(img))*1_000_000))
	}
	srv.AddImage(crifake.KubeletImage(crifake.DefaultSandboxImage, 320_000))
	return node
}

// run runs one crictl command line against the node, output discarded.
func (n *benchNode) run(args []string, errOut io.Writer) int {
	f := testFactory(IOStreams{Out: io.Discard, ErrOut: errOut}, func(k string) string {
		switch k {
		case "CRI_CONFIG_FILE":
			return n.cfg
		case "CONTAINER_RUNTIME_ENDPOINT":
			return n.endpoint
		}
		return ""
	})
	return Run(context.Background(), f, append([]string{"crictl"}, args...))
}

// floorCall makes a command's unavoidable RPCs on conn.
type floorCall func(ctx context.Context, rt runtimeapi.RuntimeServiceClient, im runtimeapi.ImageServiceClient, n *benchNode) error

func floorPods(ctx context.Context, rt runtimeapi.RuntimeServiceClient, _ runtimeapi.ImageServiceClient, _ *benchNode) error {
	_, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	return err
}

func floorContainers(ctx context.Context, rt runtimeapi.RuntimeServiceClient, _ runtimeapi.ImageServiceClient, _ *benchNode) error {
	_, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	return err
}

// floorPs makes the two lists concurrently, as crictl does.
func floorPs(ctx context.Context, rt runtimeapi.RuntimeServiceClient, im runtimeapi.ImageServiceClient, n *benchNode) error {
	pErr := make(chan error, 1)
	go func() { pErr <- floorPods(ctx, rt, im, n) }()
	cErr := floorContainers(ctx, rt, im, n)
	return errors.Join(cErr, <-pErr)
}

func floorImages(ctx context.Context, _ runtimeapi.RuntimeServiceClient, im runtimeapi.ImageServiceClient, _ *benchNode) error {
	_, err := im.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	return err
}

// floorDoctor makes doctor's list calls concurrently: the least any
// doctor must ask before it knows which objects are suspicious.
func floorDoctor(ctx context.Context, rt runtimeapi.RuntimeServiceClient, im runtimeapi.ImageServiceClient, _ *benchNode) error {
	calls := []func() error{
		func() error { _, err := rt.Status(ctx, &runtimeapi.StatusRequest{}); return err },
		func() error { _, err := rt.Version(ctx, &runtimeapi.VersionRequest{}); return err },
		func() error { _, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}); return err },
		func() error { _, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{}); return err },
		func() error { _, err := im.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}); return err },
	}
	errs := make(chan error, len(calls))
	for _, c := range calls {
		go func() { errs <- c() }()
	}
	var err error
	for range calls {
		err = errors.Join(err, <-errs)
	}
	return err
}

func floorInspect(ctx context.Context, rt runtimeapi.RuntimeServiceClient, _ runtimeapi.ImageServiceClient, n *benchNode) error {
	_, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: n.ctr, Verbose: true})
	return err
}

// floorStats makes the stats and the lists concurrently, as stats does
// (the fake reports rates, so there is no second sample); json leaves out
// the pods.
func floorStats(json bool) floorCall {
	return func(ctx context.Context, rt runtimeapi.RuntimeServiceClient, im runtimeapi.ImageServiceClient, n *benchNode) error {
		errs := make(chan error, 2)
		go func() {
			_, err := rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{}})
			errs <- err
		}()
		go func() {
			if json {
				errs <- nil
				return
			}
			errs <- floorPods(ctx, rt, im, n)
		}()
		_, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
			State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}})
		return errors.Join(err, <-errs, <-errs)
	}
}

func floorStatsp(ctx context.Context, rt runtimeapi.RuntimeServiceClient, _ runtimeapi.ImageServiceClient, _ *benchNode) error {
	_, err := rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: &runtimeapi.PodSandboxStatsFilter{}})
	return err
}

// floor dials a fresh connection (as every crictl run does) and makes the
// calls.
func (n *benchNode) floor(call floorCall) error {
	sock := strings.TrimPrefix(n.endpoint, "unix://")
	conn, err := grpc.NewClient("passthrough:///unix",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)),
	)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return call(ctx, runtimeapi.NewRuntimeServiceClient(conn), runtimeapi.NewImageServiceClient(conn), n)
}

// benchCommand benchmarks args (ID substitutes the first container, POD
// the first pod) and its floor at every size.
func benchCommand(b *testing.B, call floorCall, args ...string) {
	for _, size := range benchSizes {
		b.Run("pods="+strconv.Itoa(size), func(b *testing.B) {
			node := seedBenchNode(b, size)
			argv := make([]string, len(args))
			for i, a := range args {
				switch a {
				case "ID":
					a = node.ctr
				case "POD":
					a = node.pod
				}
				argv[i] = a
			}
			var errOut bytes.Buffer
			if code := node.run(argv, &errOut); code != 0 || errOut.Len() > 0 {
				b.Fatalf("crictl %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
			}
			b.Run("crictl", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					node.srv.ResetCalls()
					if code := node.run(argv, io.Discard); code != 0 {
						b.Fatalf("exit %d", code)
					}
				}
			})
			b.Run("rpc", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					node.srv.ResetCalls()
					if err := node.floor(call); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkPods(b *testing.B)   { benchCommand(b, floorPods, "pods") }
func BenchmarkPsAll(b *testing.B)  { benchCommand(b, floorPs, "ps", "-a") }
func BenchmarkPsJSON(b *testing.B) { benchCommand(b, floorContainers, "ps", "-a", "-o", "json") }
func BenchmarkImages(b *testing.B) { benchCommand(b, floorImages, "images") }

// BenchmarkDoctor: its floor is the list calls; crictl also asks for the
// status of the suspicious containers (the exited "migrate" ones) and
// runs the checks. --fail-on never: the bench node has findings.
func BenchmarkDoctor(b *testing.B) {
	benchCommand(b, floorDoctor, "doctor", "--fail-on", "never")
}

func BenchmarkInspect(b *testing.B) {
	benchCommand(b, floorInspect, "inspect", "ID")
}
func BenchmarkStats(b *testing.B)     { benchCommand(b, floorStats(false), "stats") }
func BenchmarkStatsJSON(b *testing.B) { benchCommand(b, floorStats(true), "stats", "-o", "json") }
func BenchmarkStatsp(b *testing.B)    { benchCommand(b, floorStatsp, "statsp") }

// BenchmarkRunVersionFlag is the fixed in-process cost of every command:
// building the command tree, parsing the flags, resolving the
// configuration and writing one line, without any RPC.
func BenchmarkRunVersionFlag(b *testing.B) {
	node := &benchNode{cfg: filepath.Join(b.TempDir(), "crictl.yaml"), endpoint: "unix:///nonexistent.sock"}
	if err := os.WriteFile(node.cfg, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if code := node.run([]string{"--version"}, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
