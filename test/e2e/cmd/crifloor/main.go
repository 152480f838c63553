// Command crifloor is the raw-RPC floor of `make bench`: for one crictl
// command it makes only the CRI calls that command cannot avoid, on one
// gRPC connection, decodes the replies (as any client must) and prints a
// count. What a CLI spends above it is its own start-up, extra RPCs,
// decoding and formatting.
//
//	crifloor SOCKET MODE [ID]
//
// SOCKET is a path or a unix:// endpoint. Modes and their calls:
//
//	version      Version
//	info         Status (verbose)
//	pods         ListPodSandbox
//	ps           ListContainers + ListPodSandbox, concurrently (the pods give POD and NAMESPACE)
//	containers   ListContainers, for `ps -o json|yaml` (the reference's shape has no pods)
//	ps-running   ListContainers (state RUNNING) + ListPodSandbox, for `ps` without -a
//	images       ListImages
//	inspect ID   ContainerStatus (verbose)
//	inspectp ID  PodSandboxStatus (verbose)
//	doctor       Status, Version, ListPodSandbox, ListContainers and ImageFsInfo,
//	             concurrently (doctor's list calls; what it asks about
//	             suspicious objects afterwards is its own cost)
//	doctor-stats the same and ListContainerStats (doctor --stats)
//	stats        ListContainerStats + ListContainers (state RUNNING) + ListPodSandbox, concurrently;
//	             when the runtime gives no CPU rate, ListContainerStats again 500 ms later (crictl's
//	             stats.SampleInterval)
//	stats-json   ListContainerStats + ListContainers (state RUNNING), for `stats -o json`
//	statsp       ListPodSandboxStats, and the second sample as for stats; when the runtime fails
//	             the list as a whole, ListPodSandbox (ready) and one PodSandboxStats per pod, 8 at a time
//
// Build it as the bench does, small and static:
//
//	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o bin/crifloor ./test/e2e/cmd/crifloor
//
// It imports only gRPC and the generated CRI API (no YAML, no CLI
// framework), so its start-up is close to that of any static Go gRPC client.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const maxMsg = 16 << 20 // crictl's receive limit

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "crifloor:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: crifloor SOCKET version|info|pods|ps|ps-running|containers|images|doctor|doctor-stats|inspect ID|inspectp ID|stats|stats-json|statsp")
	}
	sock, mode := strings.TrimPrefix(args[0], "unix://"), args[1]
	id := ""
	if mode == "inspect" || mode == "inspectp" {
		if len(args) != 3 {
			return fmt.Errorf("%s needs an ID", mode)
		}
		id = args[2]
	} else if len(args) != 2 {
		return fmt.Errorf("%s takes no arguments", mode)
	}
	conn, err := grpc.NewClient("passthrough:///unix",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg)),
	)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	n := 0
	switch mode {
	case "version":
		r, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
		if err != nil {
			return err
		}
		n = len(r.GetRuntimeVersion())
	case "info":
		r, err := rt.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
		if err != nil {
			return err
		}
		n = len(r.GetStatus().GetConditions())
	case "pods":
		r, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		if err != nil {
			return err
		}
		n = len(r.GetItems())
	case "containers":
		r, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		if err != nil {
			return err
		}
		n = len(r.GetContainers())
	case "ps", "ps-running":
		// the two lists are independent: made concurrently, as a client
		// that wants the least wall time does
		req := &runtimeapi.ListContainersRequest{}
		if mode == "ps-running" {
			req.Filter = &runtimeapi.ContainerFilter{State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}
		}
		var (
			wg   sync.WaitGroup
			p    *runtimeapi.ListPodSandboxResponse
			pErr error
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, pErr = rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		}()
		c, err := rt.ListContainers(ctx, req)
		wg.Wait()
		if err != nil {
			return err
		}
		if pErr != nil {
			return pErr
		}
		n = len(c.GetContainers()) + len(p.GetItems())
	case "images":
		r, err := runtimeapi.NewImageServiceClient(conn).ListImages(ctx, &runtimeapi.ListImagesRequest{})
		if err != nil {
			return err
		}
		n = len(r.GetImages())
	case "doctor", "doctor-stats":
		im := runtimeapi.NewImageServiceClient(conn)
		calls := []func() (int, error){
			func() (int, error) {
				r, err := rt.Status(ctx, &runtimeapi.StatusRequest{})
				return len(r.GetStatus().GetConditions()), err
			},
			func() (int, error) {
				r, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
				return len(r.GetRuntimeName()), err
			},
			func() (int, error) {
				r, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
				return len(r.GetItems()), err
			},
			func() (int, error) {
				r, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
				return len(r.GetContainers()), err
			},
			func() (int, error) {
				r, err := im.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
				return len(r.GetImageFilesystems()), err
			},
		}
		if mode == "doctor-stats" {
			calls = append(calls, func() (int, error) {
				r, err := rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
				return len(r.GetStats()), err
			})
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for _, c := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := c()
				mu.Lock()
				defer mu.Unlock()
				n += k
				if err != nil {
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			return errs[0]
		}
	case "inspect":
		r, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
		if err != nil {
			return err
		}
		n = len(r.GetInfo())
	case "inspectp":
		r, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
		if err != nil {
			return err
		}
		n = len(r.GetInfo())
	case "stats", "stats-json":
		if n, err = floorStats(ctx, rt, mode == "stats"); err != nil {
			return err
		}
	case "statsp":
		if n, err = floorStatsp(ctx, rt); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	fmt.Println(n)
	return nil
}

// sampleInterval is crictl's wait between two stats samples when the
// runtime gives no CPU rate (pkg/stats.SampleInterval).
const sampleInterval = 500 * time.Millisecond

// hasRates is crictl's test for a runtime that fills usage_nano_cores.
func hasRates(cpus []*runtimeapi.CpuUsage) bool {
	for _, c := range cpus {
		if c.GetUsageCoreNanoSeconds().GetValue() > 0 && c.GetUsageNanoCores().GetValue() > 0 {
			return true
		}
	}
	return false
}

func floorStats(ctx context.Context, rt runtimeapi.RuntimeServiceClient, table bool) (int, error) {
	stats := func() (*runtimeapi.ListContainerStatsResponse, error) {
		return rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{}})
	}
	var (
		wg         sync.WaitGroup
		st         *runtimeapi.ListContainerStatsResponse
		p          *runtimeapi.ListPodSandboxResponse
		sErr, pErr error
	)
	wg.Add(1)
	go func() { defer wg.Done(); st, sErr = stats() }()
	if table {
		wg.Add(1)
		go func() { defer wg.Done(); p, pErr = rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}) }()
	}
	c, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}})
	wg.Wait()
	for _, e := range []error{err, sErr, pErr} {
		if e != nil {
			return 0, e
		}
	}
	cpus := make([]*runtimeapi.CpuUsage, len(st.GetStats()))
	for i, s := range st.GetStats() {
		cpus[i] = s.GetCpu()
	}
	if table && !hasRates(cpus) && len(c.GetContainers()) > 0 {
		time.Sleep(sampleInterval)
		if st, err = stats(); err != nil {
			return 0, err
		}
	}
	return len(st.GetStats()) + len(c.GetContainers()) + len(p.GetItems()), nil
}

func floorStatsp(ctx context.Context, rt runtimeapi.RuntimeServiceClient) (int, error) {
	list := func() ([]*runtimeapi.PodSandboxStats, error) {
		r, err := rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{Filter: &runtimeapi.PodSandboxStatsFilter{}})
		if err == nil {
			return r.GetStats(), nil
		}
		ps, lerr := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
			State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}}})
		if lerr != nil {
			return nil, lerr
		}
		got := make([]*runtimeapi.PodSandboxStats, len(ps.GetItems()))
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for i, p := range ps.GetItems() {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if r, err := rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: p.GetId()}); err == nil {
					got[i] = r.GetStats()
				}
			}()
		}
		wg.Wait()
		var out []*runtimeapi.PodSandboxStats
		for _, s := range got {
			if s != nil {
				out = append(out, s)
			}
		}
		return out, nil
	}
	stats, err := list()
	if err != nil {
		return 0, err
	}
	cpus := make([]*runtimeapi.CpuUsage, 0, len(stats))
	for _, s := range stats {
		cpus = append(cpus, s.GetLinux().GetCpu())
	}
	if !hasRates(cpus) && len(stats) > 0 {
		time.Sleep(sampleInterval)
		if stats, err = list(); err != nil {
			return 0, err
		}
	}
	return len(stats), nil
}
