package commands

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// lines splits output into its lines, sorted: bulk commands print results
// in the order they complete.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(l)
	return l
}

// countCalls counts the RPCs of one method.
func countCalls(calls []string, method string) int {
	n := 0
	for _, c := range calls {
		if c == method {
			n++
		}
	}
	return n
}

func TestBulkUsageErrorsMakeNoRPC(t *testing.T) {
	t.Parallel()
	id := strings.Repeat("a", 64)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rm", "-a", id}, "when using --all"},
		{[]string{"rm", "--pod", "a/b", id}, "--pod"},
		{[]string{"rmp", "-a", "web"}, "when using --all"},
		{[]string{"rmp", "--namespace", "a(", "web"}, "--namespace"},
		{[]string{"stop"}, "you must specify at least one CONTAINER-ID or use --all"},
		{[]string{"stop", "--all", "x"}, "when using --all"},
		{[]string{"stop", "-t", "-1", "x"}, "--timeout -1"},
		{[]string{"stop", "-t", "soon", "x"}, "soon"},
		{[]string{"stopp", "-a", "x"}, "when using --all"},
		{[]string{"rmi", "-a", "busybox"}, "not both"},
		{[]string{"rmi", "--prune", "busybox"}, "not both"},
		{[]string{"rmi", "-q", "busybox"}, "not both"},
		{[]string{"rmi", "-a", "--prune"}, "--all or --prune, not both"},
		{[]string{"rmi", ""}, "not an image reference"},
		{[]string{"rmi", "bad ref"}, "not an image reference"},
		{[]string{"update", "--memory", "1G"}, "you must specify at least one CONTAINER-ID"},
		{[]string{"update", "x"}, "give at least one resource to change"},
		{[]string{"update", "--memory", "lots", "x"}, `--memory "lots"`},
		{[]string{"update", "--memory", "-5", "x"}, "--memory"},
		{[]string{"update", "--oom-score-adj", "high", "x"}, "high"},
		{[]string{"update", "--oom-score-adj", "2000", "x"}, "--oom-score-adj 2000: out of range"},
		{[]string{"update", "--cpu-quota", "-2", "x"}, "--cpu-quota -2"},
		{[]string{"update", "--cpu-share", "-2", "x"}, "--cpu-share -2"},
		{[]string{"update", "--cpu-maximum", "10001", "x"}, "--cpu-maximum 10001"},
		{[]string{"update", "--cpuset-cpus", "all", "x"}, `--cpuset-cpus "all"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.node()
			oneError(t, e.runArgs(tc.args...), tc.want)
			if calls := e.srv.Calls(); len(calls) > 0 {
				t.Errorf("a usage error made RPCs: %v", calls)
			}
		})
	}
}

// rm, rmi, rmp and stopp given nothing change nothing and exit 0 with
// their usage, as the reference: `crictl rm $(crictl ps -aq)` on an empty
// node must not fail a set -e script.
func TestBulkNothingGivenIsNotAnError(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"rm"}, {"rm", "-f"}, {"rmp"}, {"rmp", "-f"}, {"stopp"}, {"rmi"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.node()
			r := e.runArgs(args...)
			want := "crictl: nothing given; usage: crictl " + args[0] + " [options] "
			if r.code != 0 || r.stdout != "" || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			if calls := e.srv.Calls(); len(calls) > 0 {
				t.Errorf("RPCs: %v", calls)
			}
		})
	}
	// stop keeps the reference's error.
	e := newEnv(t)
	oneError(t, e.run("stop"), "you must specify at least one CONTAINER-ID or use --all")
}

// gate is a CRI server in front of crifake that holds calls of one method
// until bulkParallel of them are in flight (or all that remain), and
// records the most it saw in flight. With a bound of 8 it sees exactly 8;
// an unbounded command pushes more calls in while 8 are held; a pool
// smaller than 8 never fills the gate and the test fails after a deadline.
// No assertion is about time.
type gate struct {
	*crifake.Server
	method string
	total  int

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int
	max      int
	done     int
	stuck    bool
}

func startGate(t *testing.T, srv *crifake.Server, method string, total int) (*gate, string) {
	t.Helper()
	g := &gate{Server: srv, method: method, total: total}
	g.cond = sync.NewCond(&g.mu)
	gs := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(gs, g)
	runtimeapi.RegisterImageServiceServer(gs, g)
	sock := filepath.Join(crifake.ShortTempDir(t), "gate.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	// Wake waiters now and then so a gate that never fills gives up.
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				g.cond.Broadcast()
			case <-stop:
				return
			}
		}
	}()
	return g, "unix://" + sock
}

func (g *gate) hold(method string) func() {
	if method != g.method {
		return func() {}
	}
	g.mu.Lock()
	g.inflight++
	g.max = max(g.max, g.inflight)
	// Once the gate is full, hold a little longer: an unbounded command
	// pushes more calls in meanwhile. This only makes a violation more
	// visible; a bounded command can never exceed the bound.
	deadline := time.Now().Add(5 * time.Second)
	var fullSince time.Time
	for g.inflight <= bulkParallel && !g.stuck {
		if g.inflight >= min(bulkParallel, g.total-g.done) {
			if fullSince.IsZero() {
				fullSince = time.Now()
			}
			if time.Since(fullSince) >= 10*time.Millisecond {
				break
			}
		}
		if time.Now().After(deadline) {
			g.stuck = true
			break
		}
		g.cond.Wait()
	}
	g.cond.Broadcast()
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.inflight--
		g.done++
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}

func (g *gate) RemovePodSandbox(ctx context.Context, r *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	defer g.hold("RemovePodSandbox")()
	return g.Server.RemovePodSandbox(ctx, r)
}

func (g *gate) StopPodSandbox(ctx context.Context, r *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	defer g.hold("StopPodSandbox")()
	return g.Server.StopPodSandbox(ctx, r)
}

func (g *gate) RemoveContainer(ctx context.Context, r *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	defer g.hold("RemoveContainer")()
	return g.Server.RemoveContainer(ctx, r)
}

func (g *gate) StopContainer(ctx context.Context, r *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	defer g.hold("StopContainer")()
	return g.Server.StopContainer(ctx, r)
}

func (g *gate) UpdateContainerResources(ctx context.Context, r *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	defer g.hold("UpdateContainerResources")()
	return g.Server.UpdateContainerResources(ctx, r)
}

func (g *gate) RemoveImage(ctx context.Context, r *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	defer g.hold("RemoveImage")()
	return g.Server.RemoveImage(ctx, r)
}

// TestBulkConcurrencyIsBounded checks that every bulk command keeps
// exactly bulkParallel calls in flight, never more, on 30 objects.
func TestBulkConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	const n = 30
	running := runtimeapi.ContainerState_CONTAINER_RUNNING
	for _, tc := range []struct {
		cmd, method string
		seed        func(*crifake.Server) []string
	}{
		{"rmp -a -f", "RemovePodSandbox", seedPods},
		{"stopp -a", "StopPodSandbox", seedPods},
		{"rm -a -f -k", "RemoveContainer", func(s *crifake.Server) []string { return seedContainers(s, running) }},
		{"stop -a", "StopContainer", func(s *crifake.Server) []string { return seedContainers(s, running) }},
		{"update --cpu-share 2", "UpdateContainerResources", func(s *crifake.Server) []string { return seedContainers(s, running) }},
		{"rmi -a", "RemoveImage", seedImages},
		{"rmi --prune", "RemoveImage", seedImages},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			args := tc.seed(e.srv)
			g, ep := startGate(t, e.srv, tc.method, n)
			e.vars["CONTAINER_RUNTIME_ENDPOINT"] = ep
			cmd := tc.cmd
			if strings.HasPrefix(cmd, "update") {
				cmd += " " + strings.Join(args, " ")
			}
			r := e.run(cmd)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if got := len(lines(r.stdout)); got != n {
				t.Errorf("%d result lines, want %d", got, n)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.stuck {
				t.Errorf("fewer than %d %s calls were ever in flight together", bulkParallel, tc.method)
			}
			if g.max != bulkParallel {
				t.Errorf("%d %s calls in flight at most, want %d", g.max, tc.method, bulkParallel)
			}
		})
	}
}

func seedPods(s *crifake.Server) []string {
	s.AddManyPods(30)
	return nil
}

func seedContainers(s *crifake.Server, state runtimeapi.ContainerState) []string {
	pod := crifake.KubeletPod("many", "default", 0, crifake.FixedTime, true)
	s.AddPod(pod)
	var ids []string
	for i := range 30 {
		c := crifake.KubeletContainer(pod, "c"+strings.Repeat("x", i), 0, "busybox", state, crifake.FixedTime)
		ids = append(ids, s.AddContainer(c, crifake.WithResources(&runtimeapi.ContainerResources{Linux: &runtimeapi.LinuxContainerResources{CpuShares: 1}})))
	}
	return ids
}

func seedImages(s *crifake.Server) []string {
	for i := range 30 {
		s.AddImage(crifake.KubeletImage("example.com/img:"+strings.Repeat("v", i+1), 1000))
	}
	return nil
}

// TestBulkInterruptStopsStarting cancels a bulk command while its calls
// are held: it reports one "interrupted" and starts no more items.
func TestBulkInterruptStopsStarting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(30)
	e.srv.Inject("StopPodSandbox", crifake.Fault{Block: true})
	var out, errOut strings.Builder
	f := e.factory(IOStreams{Out: &out, ErrOut: &errOut})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- Run(ctx, f, []string{"crictl", "--timeout", "20s", "stopp", "-a"}) }()
	for countCalls(e.srv.Calls(), "StopPodSandbox") < bulkParallel {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 1 || errOut.String() != "crictl: interrupted\n" || out.String() != "" {
			t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, one 'interrupted'", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stopp -a did not return after the interrupt")
	}
	if n := countCalls(e.srv.Calls(), "StopPodSandbox"); n != bulkParallel {
		t.Errorf("%d StopPodSandbox calls, want only the %d in flight at the interrupt", n, bulkParallel)
	}
}

// TestBulkRetriesTimedOutCalls: calls that time out are retried once the
// runtime has answered (here the list), so a slow moment does not fail
// objects.
func TestBulkRetriesTimedOutCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(20)
	e.srv.Inject("StopPodSandbox", crifake.Fault{Delay: 2 * time.Second, Times: 3})
	r := e.run("--timeout 300ms rmp -a -f")
	if r.code != 0 || r.stderr != "" || len(lines(r.stdout)) != 20 {
		t.Errorf("exit %d, %d lines, stderr %q: want all 20 removed", r.code, len(lines(r.stdout)), r.stderr)
	}
	if c := countCalls(e.srv.Calls(), "StopPodSandbox"); c != 23 {
		t.Errorf("%d StopPodSandbox calls, want 20 and one retry for each of the 3 that timed out", c)
	}
}

// TestBulkNoRetryBeforeAnswer: a runtime that has not answered anything is
// not retried, so it fails in about --timeout.
func TestBulkNoRetryBeforeAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("PodSandboxStatus", crifake.Fault{Block: true})
	id := strings.Repeat("a", 64)
	oneError(t, e.run("--timeout 200ms rmp -f "+id), "removing pod "+id, "did not answer within 200ms")
	if c := countCalls(e.srv.Calls(), "PodSandboxStatus"); c != 1 {
		t.Errorf("%d PodSandboxStatus calls, want 1", c)
	}
}

// TestBulkGivesUp: when calls keep timing out one object at a time, the
// objects not started yet are given up in one line.
func TestBulkGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddManyPods(30)
	e.srv.Inject("StopPodSandbox", crifake.Fault{Block: true})
	r := e.run("--timeout 100ms stopp -a")
	errs := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := errs[len(errs)-1]
	var skipped, total int
	if _, err := fmt.Sscanf(last, "crictl: gave up: the runtime stopped answering, %d of %d pods not attempted", &skipped, &total); err != nil || total != 30 {
		t.Fatalf("last stderr line %q: want the give-up line (%v)", last, err)
	}
	started := 30 - skipped
	if r.code != 1 || r.stdout != "" || skipped <= 0 || len(errs) != started+1 {
		t.Errorf("exit %d, stdout %q, %d stderr lines for %d started pods:\n%s", r.code, r.stdout, len(errs), started, r.stderr)
	}
	if c := countCalls(e.srv.Calls(), "StopPodSandbox"); c > started*bulkAttempts {
		t.Errorf("%d StopPodSandbox calls for %d pods", c, started)
	}
}

func TestBulkLimit(t *testing.T) {
	t.Parallel()
	timeout := status.Error(codes.DeadlineExceeded, "slow")
	gone := status.Error(codes.Unavailable, "refused")
	notFound := status.Error(codes.NotFound, "no such pod")
	rep := newReporter(context.Background(), testFactory(IOStreams{Out: io.Discard, ErrOut: io.Discard}, nil))

	b := newBulk(context.Background(), rep, false)
	rec := func(err error, alone bool) bool { return b.record(err, b.epoch, alone) }
	if rec(timeout, false) || b.limit != 4 {
		t.Errorf("a timeout before any answer: want no retry and limit 4, got limit %d", b.limit)
	}
	if b.record(timeout, 0, false); b.limit != 4 {
		t.Errorf("a timeout of the same round lowered the limit again to %d", b.limit)
	}
	if rec(notFound, false) || !b.alive {
		t.Error("an error answer must count as an answer, without retry")
	}
	if !rec(timeout, false) || b.limit != 2 {
		t.Errorf("a timeout after an answer: want a retry and limit 2, got limit %d", b.limit)
	}
	if rec(gone, false) || b.limit != 1 {
		t.Errorf("no runtime: want no retry and limit 1, got limit %d", b.limit)
	}
	// one answered call per unit of limit grows it by one, up to the bound
	for want := 2; want <= bulkParallel; want++ {
		for range want - 1 {
			rec(nil, false)
		}
		if b.limit != want {
			t.Fatalf("limit %d, want %d", b.limit, want)
		}
	}
	for range 100 {
		rec(nil, false)
	}
	if b.limit != bulkParallel {
		t.Errorf("limit %d grew past %d", b.limit, bulkParallel)
	}
	// Only calls that were alone in flight count towards giving up, and an
	// answer in between starts the count again.
	for range 10 {
		rec(timeout, false)
	}
	rec(timeout, true)
	rec(timeout, true)
	rec(nil, false)
	rec(timeout, true)
	rec(timeout, true)
	if b.gaveUp {
		t.Error("gave up too early")
	}
	if rec(timeout, true) || !b.gaveUp {
		t.Error("three unanswered calls in a row, each alone: want giving up, and no retry")
	}
}
