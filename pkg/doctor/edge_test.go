package doctor

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func okStatus() *runtimeapi.StatusResponse {
	return &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true}, {Type: runtimeapi.NetworkReady, Status: true}}}}
}

func snap() *Snapshot {
	return &Snapshot{Now: now, Status: okStatus(), Node: Node{Endpoint: "unix:///run/containerd/containerd.sock"},
		Statuses: map[string]*runtimeapi.ContainerStatus{}}
}

func pod(id, name string, ready bool, created time.Duration) *runtimeapi.PodSandbox {
	st := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	if ready {
		st = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return &runtimeapi.PodSandbox{Id: id, State: st, CreatedAt: now.Add(-created).UnixNano(),
		Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "ns"}}
}

func ctr(id, podID, name string, attempt uint32, st runtimeapi.ContainerState, created time.Duration) *runtimeapi.Container {
	return &runtimeapi.Container{Id: id, PodSandboxId: podID, State: st, CreatedAt: now.Add(-created).UnixNano(),
		Metadata: &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt}}
}

const (
	created = runtimeapi.ContainerState_CONTAINER_CREATED
	run     = runtimeapi.ContainerState_CONTAINER_RUNNING
	exit    = runtimeapi.ContainerState_CONTAINER_EXITED
)

func exitStatus(code int32, reason string, finished time.Duration) *runtimeapi.ContainerStatus {
	return &runtimeapi.ContainerStatus{ExitCode: code, Reason: reason, FinishedAt: now.Add(-finished).UnixNano(), LogPath: "/var/log/pods/x/c/0.log"}
}

func checks(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+" "+f.Check+" "+f.Object.Name)
	}
	return out
}

func TestConditions(t *testing.T) {
	s := snap()
	s.Status = &runtimeapi.StatusResponse{
		Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
			{Type: runtimeapi.RuntimeReady, Status: true},
			{Type: runtimeapi.NetworkReady, Status: false, Reason: "NetworkPluginNotReady", Message: "Network plugin returns error: cni plugin not initialized"},
			{Type: "DiskPressure", Status: false, Reason: "Full"},
		}},
		Info: map[string]string{"lastCNILoadStatus": "cni config load failed: no network config found in /etc/cni/net.d"},
	}
	fs := Run(s, Selection{}, DefaultOptions())
	if got := strings.Join(checks(fs), "; "); got != "critical runtime-condition NetworkReady; info runtime-condition DiskPressure" {
		t.Fatalf("findings: %s", got)
	}
	f := fs[0]
	if f.Message != "NetworkReady is false: NetworkPluginNotReady" || f.Hint != "crictl info" ||
		f.Evidence.Get("lastCNILoadStatus") != "cni config load failed: no network config found in /etc/cni/net.d" ||
		f.Evidence.Get("message") != "Network plugin returns error: cni plugin not initialized" {
		t.Errorf("NetworkReady: %+v", f)
	}
	if sus := SuspectsOf(s, Selection{}, DefaultOptions()); !sus.VerboseStatus {
		t.Error("a false condition must ask for the verbose status")
	}
	s.Status = &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{}}
	if got := strings.Join(checks(Run(s, Selection{}, DefaultOptions())), "; "); got != "warning runtime-condition NetworkReady; warning runtime-condition RuntimeReady" {
		t.Errorf("missing conditions: %s", got)
	}
}

func TestContainerEdges(t *testing.T) {
	s := snap()
	s.Pods = []*runtimeapi.PodSandbox{pod("p1", "web", true, time.Hour), pod("p2", "old", false, time.Hour), pod("p3", "fresh", true, time.Second)}
	s.Containers = []*runtimeapi.Container{
		// restarted, the previous attempt gone: the exit code is unknown
		ctr("c1", "p1", "gone-prev", 3, run, time.Minute),
		// restarted after a clean exit
		ctr("c2a", "p1", "clean", 0, exit, time.Hour), ctr("c2b", "p1", "clean", 1, run, time.Minute),
		// restarted after a failure long ago: a warning
		ctr("c3a", "p1", "old-fail", 0, exit, time.Hour), ctr("c3b", "p1", "old-fail", 1, run, 50*time.Minute),
		// created a moment ago: not yet stuck
		ctr("c4", "p1", "starting", 0, created, 10*time.Second),
		// exited non-zero in a stopped pod: the pod is the finding
		ctr("c5", "p2", "stopped", 0, exit, time.Hour),
		// a pause container some runtimes list
		{Id: "p1", PodSandboxId: "p1", Metadata: &runtimeapi.ContainerMetadata{Name: "POD"}, State: run, Labels: map[string]string{"io.cri-containerd.kind": "sandbox"}},
	}
	s.Statuses["c2a"] = exitStatus(0, "Completed", 2*time.Minute)
	s.Statuses["c3a"] = exitStatus(139, "Error", 51*time.Minute)
	s.Statuses["c5"] = exitStatus(143, "Error", time.Hour)
	fs := Run(s, Selection{}, DefaultOptions())
	if got := strings.Join(checks(fs), "; "); got != "warning container-restarting old-fail; warning pod-not-ready old" {
		t.Fatalf("findings: %s", got)
	}
	if f := fs[0]; f.Evidence.Get("meaning") != "SIGSEGV: segmentation fault" || !strings.Contains(f.Message, "51 minutes ago") ||
		f.Hint != "crictl logs --previous old-fail --namespace ns" || f.Evidence.Get("previousID") != "c3a" {
		t.Errorf("old restart: %+v", f)
	}
	sus := SuspectsOf(s, Selection{}, DefaultOptions())
	if got := strings.Join(sus.Containers, ","); got != "c2b,c2a,c1,c3b,c3a" {
		t.Errorf("suspects: %s", got)
	}
}

func TestPodEdges(t *testing.T) {
	s := snap()
	s.Pods = []*runtimeapi.PodSandbox{
		// recreated: the old sandbox is stopped, the new one ready
		pod("a0", "recreated", false, 2*time.Hour), pod("a1", "recreated", true, time.Hour),
		// ready, its one container finished with 0
		pod("b", "finished", true, time.Hour),
		// ready and empty, but only just created
		pod("c", "new", true, 30*time.Second),
	}
	s.Containers = []*runtimeapi.Container{ctr("b1", "b", "task", 0, exit, time.Hour), ctr("a1c", "a1", "app", 0, run, time.Hour)}
	s.Statuses["b1"] = exitStatus(0, "Completed", time.Hour)
	fs := Run(s, Selection{}, DefaultOptions())
	if got := strings.Join(checks(fs), "; "); got != "warning pod-containers-exited finished" {
		t.Fatalf("findings: %s", got)
	}
	o := DefaultOptions()
	o.NotStarted = 10 * time.Second
	if got := strings.Join(checks(Run(s, Selection{}, o)), "; "); got != "warning pod-containers-exited finished; warning pod-pause-only new" {
		t.Errorf("with --start-timeout 10s: %s", got)
	}
}

func TestDisk(t *testing.T) {
	s := snap()
	mp := "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
	s.ImageFs = &runtimeapi.ImageFsInfoResponse{
		ImageFilesystems:     []*runtimeapi.FilesystemUsage{{FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: mp}, UsedBytes: &runtimeapi.UInt64Value{Value: 5e9}}},
		ContainerFilesystems: []*runtimeapi.FilesystemUsage{{FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: mp}}, {FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: "/elsewhere"}}},
	}
	for _, tt := range []struct {
		c    Capacity
		want string
	}{
		{Capacity{Bytes: 100e9, BytesUsed: 50e9, BytesFree: 50e9, Inodes: 1000, InodesFree: 900}, ""},
		{Capacity{Bytes: 100e9, BytesUsed: 86e9, BytesFree: 14e9, Inodes: 1000, InodesFree: 900}, "warning disk-space " + mp},
		{Capacity{Bytes: 100e9, BytesUsed: 95e9, BytesFree: 5e9, Inodes: 1000, InodesFree: 100}, "critical disk-space " + mp + "; warning disk-inodes " + mp},
		{Capacity{Bytes: 100e9, BytesUsed: 10e9, BytesFree: 90e9, Inodes: 1000, InodesFree: 10}, "critical disk-inodes " + mp},
		// btrfs reports no inode limit
		{Capacity{Bytes: 100e9, BytesUsed: 10e9, BytesFree: 90e9}, ""},
	} {
		s.Capacity = map[string]Capacity{mp: tt.c, "/elsewhere": {Err: "statfs /elsewhere: no such file or directory"}}
		var got []string
		for _, c := range checks(Run(s, Selection{}, DefaultOptions())) {
			if !strings.Contains(c, "disk-unmeasured") {
				got = append(got, c)
			}
		}
		if strings.Join(got, "; ") != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, strings.Join(got, "; "), tt.want)
		}
	}
	s.Capacity = map[string]Capacity{mp: {Bytes: 100e9, BytesUsed: 96e9, BytesFree: 4e9}}
	fs := Run(s, Selection{}, DefaultOptions())
	f := find(fs, "disk-space", mp)
	if f == nil || f.Message != "image filesystem 96.0% full" || f.Evidence.Get("runtimeUsedBytes") != "5GB" ||
		f.Evidence.Get("threshold") != "95.0%" || f.Hint != "crictl rmi --prune" {
		t.Errorf("disk-space: %+v", f)
	}
	if f := find(fs, "disk-unmeasured", "/elsewhere"); f == nil || f.Severity != Info {
		t.Errorf("disk-unmeasured: %+v", fs)
	}
	s.ImageFs, s.ImageFsErr = nil, "rpc error: code = Unimplemented"
	if got := strings.Join(checks(Run(s, Selection{}, DefaultOptions())), "; "); got != "warning imagefs-unavailable ImageFsInfo" {
		t.Errorf("ImageFsInfo failed: %s", got)
	}
}

func TestStats(t *testing.T) {
	s := snap()
	s.Pods = []*runtimeapi.PodSandbox{pod("p", "app", true, time.Hour)}
	s.Containers = []*runtimeapi.Container{ctr("a", "p", "greedy", 0, run, time.Hour), ctr("b", "p", "hungry", 0, run, time.Hour), ctr("c", "p", "calm", 0, run, time.Hour)}
	stat := func(id string, nanoCores, ws, avail uint64) *runtimeapi.ContainerStats {
		return &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: id},
			Cpu:    &runtimeapi.CpuUsage{Timestamp: now.UnixNano(), UsageNanoCores: &runtimeapi.UInt64Value{Value: nanoCores}},
			Memory: &runtimeapi.MemoryUsage{Timestamp: now.UnixNano(), WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws}, AvailableBytes: &runtimeapi.UInt64Value{Value: avail}}}
	}
	s.ContainerStats = []*runtimeapi.ContainerStats{stat("a", 1_900_000_000, 1<<20, 0), stat("b", 0, 95<<20, 5<<20), stat("c", 50_000_000, 10<<20, 90<<20)}
	o := DefaultOptions()
	o.NodeCPUs = 2
	sus := SuspectsOf(s, Selection{}, o)
	if got := strings.Join(sus.Containers, ","); got != "b,a,c" {
		t.Errorf("suspects: %s", got)
	}
	// without the statuses: the memory limit from the stats, no CPU
	// finding (its limit is unknown)
	fs := Run(s, Selection{}, o)
	if got := strings.Join(checks(fs), "; "); got != "warning memory-near-limit hungry" {
		t.Fatalf("findings: %s", got)
	}
	if f := fs[0]; f.Evidence.Get("limitFrom") != "stats (working set + available)" || f.Evidence.Get("used") != "95.0%" {
		t.Errorf("memory: %+v", f)
	}
	s.Statuses["a"] = &runtimeapi.ContainerStatus{}
	s.Statuses["b"] = &runtimeapi.ContainerStatus{Resources: &runtimeapi.ContainerResources{Linux: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 200 << 20}}}
	fs = Run(s, Selection{}, o)
	if got := strings.Join(checks(fs), "; "); got != "warning cpu-high greedy" {
		t.Fatalf("with statuses: %s", got)
	}
	if f := fs[0]; f.Evidence.Get("limitFrom") != "node CPUs" || f.Evidence.Get("usageCores") != "1.90" || f.Evidence.Get("used") != "95.0%" {
		t.Errorf("cpu: %+v", f)
	}
}

func TestCrictlConfigAndClock(t *testing.T) {
	s := snap()
	s.Node = Node{Endpoint: "unix:///run/containerd/containerd.sock", EndpointProbed: true, ConfigPath: "/etc/crictl.yaml",
		ConfigError: "/etc/crictl.yaml:3: timeout: want whole seconds", ConfigWarnings: []string{"/etc/crictl.yaml:4: unknown key \"colour\"; it is ignored"}}
	s.Pods = []*runtimeapi.PodSandbox{pod("p", "future", true, -5*time.Minute)}
	fs := Run(s, Selection{}, DefaultOptions())
	got := strings.Join(checks(fs), "; ")
	if got != "critical config-file /etc/crictl.yaml; warning config-file /etc/crictl.yaml; warning endpoint-default runtime-endpoint; warning clock-skew clock" {
		t.Fatalf("findings: %s", got)
	}
	if fs[0].Hint != "crictl --config /dev/null info" || fs[1].Hint != "crictl config --list" ||
		fs[2].Hint != "crictl config --set runtime-endpoint=unix:///run/containerd/containerd.sock" || fs[3].Hint != "crictl pods --latest" {
		t.Errorf("hints: %q %q %q %q", fs[0].Hint, fs[1].Hint, fs[2].Hint, fs[3].Hint)
	}
	if fs[3].Evidence.Get("ahead") != "5m0s" || !strings.Contains(fs[3].Message, "pod ns/future created") {
		t.Errorf("clock: %+v", fs[3])
	}
	s.Pods[0].CreatedAt = now.Add(20 * time.Second).UnixNano()
	if f := find(Run(s, Selection{}, DefaultOptions()), "clock-skew", "clock"); f != nil {
		t.Errorf("20s ahead is within the slack: %+v", f)
	}
}

func TestSelectionLeavesNodeFindings(t *testing.T) {
	s := snap()
	s.Status.Status.Conditions[1].Status = false
	s.Pods = []*runtimeapi.PodSandbox{pod("p", "stopped", false, time.Hour)}
	if got := strings.Join(checks(Run(s, nsSel(t, "other"), DefaultOptions())), "; "); got != "critical runtime-condition NetworkReady" {
		t.Errorf("narrowed: %s", got)
	}
}

func TestExitMeaning(t *testing.T) {
	for code, want := range map[int32]string{
		0: "success", 1: "general error", 126: "command found but not executable", 127: "command not found",
		130: "SIGINT: ended by signal 2", 134: "SIGABRT: ended by signal 6", 137: "SIGKILL: killed, by the OOM killer or after the stop grace period",
		139: "SIGSEGV: segmentation fault", 143: "SIGTERM: asked to stop", 3: "application-specific error", 255: "exit code out of range",
		-1: "negative exit code", 190: "ended by signal 62",
	} {
		if got := ExitMeaning(code); got != want {
			t.Errorf("ExitMeaning(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestHintQuoting(t *testing.T) {
	for _, args := range [][]string{
		{"logs", "--previous", "app", "--namespace", "ns"},
		{"inspect", "it's odd", "--pod", "a b", "--namespace", ""},
		{"logs", `back\slash`, "$HOME", "*"},
	} {
		h := command(args...)
		back, ok := SplitHint(h)
		if !ok || strings.Join(back, "\x00") != strings.Join(args, "\x00") {
			t.Errorf("%q -> %q -> %q %v", args, h, back, ok)
		}
	}
	if h := command("inspect", "it's"); h != `crictl inspect 'it'\''s'` {
		t.Errorf("quoted: %s", h)
	}
	for _, bad := range []string{"kubectl get pods", "crictl 'open"} {
		if _, ok := SplitHint(bad); ok {
			t.Errorf("SplitHint(%q) accepted", bad)
		}
	}
}

func TestSeverityAndJSON(t *testing.T) {
	for _, n := range []string{"critical", "warning", "info", "never"} {
		s, err := ParseSeverity(n)
		if err != nil || s.String() != n {
			t.Errorf("%s: %v %v", n, s, err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil || !strings.Contains(err.Error(), "critical, warning, info or never") {
		t.Errorf("fatal: %v", err)
	}
	f := Finding{Check: "c", Severity: Warning, Object: Object{Kind: KindPod, Name: "n"}, Message: "m",
		Evidence: Evidence{{"b", "2"}, {"a", "1"}}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"check":"c","severity":"warning","object":{"kind":"pod","name":"n"},"message":"m","evidence":{"a":"1","b":"2"}}` {
		t.Errorf("JSON: %s", b)
	}
	var back Finding
	if err := json.Unmarshal(b, &back); err != nil || back.Severity != Warning || back.Evidence.Get("b") != "2" {
		t.Errorf("back: %+v %v", back, err)
	}
}

func TestDiff(t *testing.T) {
	a := Finding{Check: "container-restarting", Severity: Critical, Object: Object{Kind: KindContainer, Name: "app", Namespace: "ns", Pod: "p", ID: "1"}, Message: "attempt 1"}
	b := Finding{Check: "pod-not-ready", Severity: Warning, Object: Object{Kind: KindPod, Name: "p", Namespace: "ns"}, Message: "x"}
	a2 := a
	a2.Object.ID, a2.Message = "2", "attempt 2"
	c := Finding{Check: "disk-space", Severity: Warning, Object: Object{Kind: KindFilesystem, Name: "/"}}
	ch := Diff([]Finding{a, b}, []Finding{a2, c})
	if len(ch.Added) != 1 || ch.Added[0].Check != "disk-space" || len(ch.Resolved) != 1 || ch.Resolved[0].Check != "pod-not-ready" ||
		len(ch.Changed) != 1 || ch.Changed[0].Message != "attempt 2" {
		t.Errorf("diff: %+v", ch)
	}
	if ch := Diff([]Finding{a}, []Finding{a}); !ch.Empty() {
		t.Errorf("no change: %+v", ch)
	}
	if w, ok := Worst([]Finding{b, a}); !ok || w != Critical {
		t.Errorf("worst: %v %v", w, ok)
	}
	if _, ok := Worst(nil); ok {
		t.Error("worst of none")
	}
}

func TestHeadline(t *testing.T) {
	r := Report{Summary: Summary{Endpoint: "unix:///x.sock", Runtime: "containerd", RuntimeVersion: "1.6.20", Pods: 3, Containers: 4, Stats: "off"}}
	if got := r.Headline(); got != "no problems found (containerd 1.6.20 at unix:///x.sock: 3 pods, 4 containers checked)" {
		t.Errorf("clean: %s", got)
	}
	r.Findings = []Finding{{Severity: Info}}
	r.Summary.Counts = Count(r.Findings)
	if got := r.Headline(); got != "no problems found, 1 info (containerd 1.6.20 at unix:///x.sock: 3 pods, 4 containers checked)" {
		t.Errorf("info only: %s", got)
	}
	r.Findings = []Finding{{Severity: Critical}, {Severity: Info}}
	r.Summary.Counts = Count(r.Findings)
	r.Summary.StatsError, r.Summary.Stats = "Unimplemented", "unavailable"
	if got := r.Headline(); got != "1 critical, 1 info (containerd 1.6.20 at unix:///x.sock: 3 pods, 4 containers checked; no stats, CPU and memory not checked)" {
		t.Errorf("findings: %s", got)
	}
	r.Summary.StatsError, r.Summary.Stats = "", "checked"
	if got := r.Headline(); !strings.HasSuffix(got, "4 containers checked; CPU and memory checked)") {
		t.Errorf("with stats: %s", got)
	}
}

func TestCPUSuspectsAreBounded(t *testing.T) {
	s := snap()
	s.Pods = []*runtimeapi.PodSandbox{pod("p", "busy", true, time.Hour)}
	for i := range 30 {
		id := fmt.Sprintf("c%02d", i)
		s.Containers = append(s.Containers, ctr(id, "p", id, 0, run, time.Hour))
		s.ContainerStats = append(s.ContainerStats, &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: id},
			Cpu: &runtimeapi.CpuUsage{UsageNanoCores: &runtimeapi.UInt64Value{Value: uint64(i) * 10_000_000}}})
	}
	sus := SuspectsOf(s, Selection{}, DefaultOptions())
	// The 16 busiest of those using at least 0.05 cores, busiest first.
	if len(sus.Containers) != 16 || sus.Containers[0] != "c29" || sus.Containers[15] != "c14" {
		t.Errorf("suspects: %v", sus.Containers)
	}
}
