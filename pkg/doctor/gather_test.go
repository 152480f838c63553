package doctor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func writeLog(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "2026-01-02T03:04:%02d.000000000Z stdout F %s\n", i, l)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fakeNode struct {
	srv  *crifake.Server
	src  Sources
	logs string
}

// newFakeNode is a node of 40 healthy pods, one restarted container (its
// attempt 0 exited 1, its log on disk), one stopped pod and a NetworkReady
// false condition.
func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	srv, ep := crifake.Start(t)
	dir := t.TempDir()
	start := crifake.FixedTime.Add(-time.Hour)
	run, exit := runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_EXITED
	for i := range 40 {
		p := crifake.KubeletPod(fmt.Sprintf("web-%02d", i), "default", 0, start, true)
		srv.AddPod(p)
		srv.AddContainer(crifake.KubeletContainer(p, "nginx", 0, "nginx:1", run, start))
	}
	p := crifake.KubeletPod("api", "prod", 0, start, true)
	// The logs are outside /var/log/pods, in the pod's log directory.
	srv.AddPod(p, crifake.WithPodLogDirectory(filepath.Join(dir, "prod_api")))
	logDir := filepath.Join(dir, "prod_api", "server")
	writeLog(t, filepath.Join(logDir, "0.log"), "starting", "panic: nil map")
	writeLog(t, filepath.Join(logDir, "1.log"), "starting")
	srv.AddContainer(crifake.KubeletContainer(p, "server", 0, "api:1", exit, start), crifake.WithExitCode(1),
		crifake.WithLogPath(filepath.Join(logDir, "0.log")), crifake.WithFinishedAt(crifake.FixedTime.Add(-time.Minute)))
	srv.AddContainer(crifake.KubeletContainer(p, "server", 1, "api:1", run, crifake.FixedTime.Add(-50*time.Second)),
		crifake.WithLogPath(filepath.Join(logDir, "1.log")))
	srv.AddPod(crifake.KubeletPod("batch", "jobs", 0, start, false))
	srv.Conditions = []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: false, Reason: "NetworkPluginNotReady"},
	}
	srv.StatusInfo = map[string]string{"lastCNILoadStatus": "cni config load failed"}
	conn, err := cri.Dial(ep, cri.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &fakeNode{srv: srv, logs: dir, src: Sources{
		Runtime: conn.Runtime(),
		Image:   func() (runtimeapi.ImageServiceClient, error) { return conn.Image(), nil },
		Now:     func() time.Time { return crifake.FixedTime },
		Node:    Node{Endpoint: ep},
		Statfs: func(string) Capacity {
			return Capacity{Bytes: 100, BytesUsed: 10, BytesFree: 90, Inodes: 10, InodesFree: 9}
		},
	}}
}

func statsOptions() Options {
	o := DefaultOptions()
	o.Stats = true
	return o
}

func TestGatherMakesFewCalls(t *testing.T) {
	n := newFakeNode(t)
	s, err := Gather(context.Background(), n.src, Selection{}, statsOptions())
	if err != nil {
		t.Fatal(err)
	}
	calls := n.srv.Calls()
	slices.Sort(calls)
	// The six list calls once, the verbose Status for the false
	// condition, ContainerStatus of the restarted container's two attempts
	// only (not one call per pod), and the pod's log directory.
	want := []string{"ContainerStatus", "ContainerStatus", "ImageFsInfo", "ListContainerStats", "ListContainers",
		"ListPodSandbox", "PodSandboxStatus", "Status", "Status", "Version"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls: %v\nwant %v", calls, want)
	}
	fs := Run(s, Selection{}, DefaultOptions())
	if got := strings.Join(checks(fs), "; "); got != "critical runtime-condition NetworkReady; critical container-restarting server; warning pod-not-ready batch" {
		t.Fatalf("findings: %s", got)
	}
	if fs[0].Evidence.Get("lastCNILoadStatus") != "cni config load failed" {
		t.Errorf("the verbose info: %+v", fs[0])
	}
	r := fs[1]
	if !slices.Equal(r.Log, []string{"starting", "panic: nil map"}) || r.Evidence.Get("log") != filepath.Join(n.logs, "prod_api", "server", "0.log") ||
		r.Hint != "crictl logs --previous server --namespace prod" {
		t.Errorf("restart: %+v", r)
	}
	if len(s.Capacity) != 1 || s.Version.GetRuntimeName() != "fakeruntime" || len(s.ContainerStats) != 42 {
		t.Errorf("snapshot: capacity %v version %v stats %d", s.Capacity, s.Version, len(s.ContainerStats))
	}
	// Without --stats: no ListContainerStats, and the summary says so.
	n.srv.ResetCalls()
	s, err = Gather(context.Background(), n.src, Selection{}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(n.srv.Calls(), "ListContainerStats") || s.ContainerStats != nil || Summarize(s, Selection{}, nil).Stats != "off" {
		t.Errorf("stats asked for without Options.Stats: %v", n.srv.Calls())
	}
}

func TestGatherSelectionNarrowsCalls(t *testing.T) {
	n := newFakeNode(t)
	s, err := Gather(context.Background(), n.src, nsSel(t, "default"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range n.srv.Calls() {
		if c == "ContainerStatus" {
			t.Errorf("ContainerStatus for a container outside the selection")
		}
	}
	if got := strings.Join(checks(Run(s, nsSel(t, "default"), DefaultOptions())), "; "); got != "critical runtime-condition NetworkReady" {
		t.Errorf("findings: %s", got)
	}
}

func TestGatherFailures(t *testing.T) {
	n := newFakeNode(t)
	n.srv.Inject("ListContainerStats", crifake.Fault{Code: codes.Unimplemented, Times: 1})
	n.srv.Inject("ImageFsInfo", crifake.Fault{Code: codes.Internal, Times: 1})
	n.srv.Inject("Version", crifake.Fault{Code: codes.Internal, Times: 1})
	s, err := Gather(context.Background(), n.src, Selection{}, statsOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s.StatsErr == "" || s.ContainerStats != nil || s.ImageFsErr == "" || s.Version != nil {
		t.Errorf("stats %q %v, imagefs %q, version %v", s.StatsErr, s.ContainerStats, s.ImageFsErr, s.Version)
	}
	if f := find(Run(s, Selection{}, DefaultOptions()), "imagefs-unavailable", "ImageFsInfo"); f == nil {
		t.Error("no imagefs-unavailable finding")
	}

	// A runtime naming a log outside /var/log/pods and the pod's log
	// directory: not read.
	rogue := crifake.KubeletPod("rogue", "prod", 0, crifake.FixedTime.Add(-time.Hour), true)
	n.srv.AddPod(rogue)
	n.srv.AddContainer(crifake.KubeletContainer(rogue, "x", 0, "x:1", runtimeapi.ContainerState_CONTAINER_EXITED, crifake.FixedTime.Add(-time.Hour)),
		crifake.WithExitCode(1), crifake.WithLogPath("/etc/hostname"))
	s, err = Gather(context.Background(), n.src, Selection{Pod: "rogue"}, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	f := find(Run(s, Selection{Pod: "rogue"}, DefaultOptions()), "container-exited", "x")
	if f == nil || f.Log != nil || !strings.Contains(f.Evidence.Get("logError"), "is outside /var/log/pods") {
		t.Errorf("outside log: %+v", f)
	}
	// The runtime itself unreachable: doctor cannot run.
	n.srv.Inject("ListPodSandbox", crifake.Fault{Code: codes.Unavailable})
	if _, err := Gather(context.Background(), n.src, Selection{}, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "Unavailable") {
		t.Errorf("ListPodSandbox failing: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Gather(ctx, n.src, Selection{}, DefaultOptions()); err == nil {
		t.Error("a cancelled gather succeeded")
	}
}

func TestReadTailAndStatfs(t *testing.T) {
	p := filepath.Join(t.TempDir(), "0.log")
	writeLog(t, p, "a", "b", "c")
	if got, err := ReadTail(context.Background(), p, 2); err != nil || !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("ReadTail: %q %v", got, err)
	}
	if got, err := ReadTail(context.Background(), p, 0); err != nil || got != nil {
		t.Errorf("ReadTail 0: %q %v", got, err)
	}
	if _, err := ReadTail(context.Background(), filepath.Join(t.TempDir(), "none.log"), 2); err == nil {
		t.Error("ReadTail of a missing file")
	}
	c := Statfs(t.TempDir())
	if c.Err != "" || c.Bytes == 0 || c.BytesUsed > c.Bytes {
		t.Errorf("Statfs: %+v", c)
	}
	if c := Statfs("/nonexistent/dir"); !strings.Contains(c.Err, "no such file") {
		t.Errorf("Statfs of nothing: %+v", c)
	}
}
