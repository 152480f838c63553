package doctor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// recorded reads a snapshot recorded from containerd 1.6.20 by the e2e
// test (TestDoctor with -doctor.record).
func recorded(t *testing.T, name string) *Snapshot {
	t.Helper()
	fh, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s, err := ReadSnapshot(fh)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func nsSel(t *testing.T, ns string) Selection {
	t.Helper()
	m, err := kube.NewMatcher("namespace", ns, false)
	if err != nil {
		t.Fatal(err)
	}
	return Selection{Namespace: m}
}

func find(fs []Finding, check, name string) *Finding {
	for i := range fs {
		if fs[i].Check == check && fs[i].Object.Name == name {
			return &fs[i]
		}
	}
	return nil
}

// e2eOptions are the options TestDoctor runs doctor with.
func e2eOptions() Options {
	o := DefaultOptions()
	o.NotStarted, o.CPUWarn, o.NodeCPUs = time.Second, 50, 2
	return o
}

// TestRecordedFaults replays the faults of TestDoctor. The CPU burner got
// only 0.01 cores on the loaded machine that recorded it (containerd also
// reports usage_nano_cores as 0 for most samples), so cpu-high is tested on
// hand-made stats (TestStats) and in the e2e test when the machine gives
// the burner its CPU.
func TestRecordedFaults(t *testing.T) {
	s := recorded(t, "containerd-faults.json")
	fs := Run(s, nsSel(t, "e2e-doctor"), e2eOptions())
	want := []struct {
		check, name string
		sev         Severity
		evidence    map[string]string
		msg, hint   string
	}{
		{"container-restarting", "app", Critical, map[string]string{"attempt": "3", "exitCode": "1", "meaning": "general error", "reason": "Error", "state": "exited"},
			"crash loop: attempt 3 exited with code 1 (general error)", "crictl logs app --namespace e2e-doctor --pod crashloop-7d9f8"},
		{"container-restarting", "server", Critical, map[string]string{"attempt": "1", "exitCode": "2", "state": "running"},
			"restarted (attempt 1); attempt 0 exited with code 2", "crictl logs --previous server --namespace e2e-doctor"},
		{"container-exited", "hog", Critical, map[string]string{"exitCode": "137", "reason": "OOMKilled", "meaning": "SIGKILL: killed, by the OOM killer or after the stop grace period"},
			"was killed for memory (OOMKilled, exit code 137)", "crictl logs hog --namespace e2e-doctor"},
		{"container-exited", "job", Warning, map[string]string{"exitCode": "2", "reason": "Error"},
			"exited with code 2 (misuse of a shell builtin, or a usage error)", "crictl logs job --namespace e2e-doctor"},
		{"container-not-started", "app", Warning, map[string]string{"state": "created", "attempt": "0"},
			"and never started", "crictl inspect app --namespace e2e-doctor --pod stuck-create"},
		{"pod-not-ready", "stopped-pod", Warning, map[string]string{"state": "notready", "containers": "1", "exited": "1"},
			"pod is not ready", "crictl inspectp stopped-pod --namespace e2e-doctor"},
		{"pod-containers-exited", "completed-ready", Warning, map[string]string{"containers": "1", "running": "0", "exited": "1"},
			"all its containers (1) have exited", "crictl ps -a --pod completed-ready --namespace e2e-doctor"},
		{"pod-pause-only", "pause-only", Warning, map[string]string{"containers": "0", "state": "ready"},
			"only the sandbox (pause) container", "crictl inspectp pause-only --namespace e2e-doctor"},
		{"memory-near-limit", "filler", Warning, map[string]string{"memoryLimitInBytes": "67108864", "limitFrom": "ContainerStatus resources"},
			"of its memory limit 64MiB", "crictl inspect filler --namespace e2e-doctor"},
	}
	for _, w := range want {
		f := find(fs, w.check, w.name)
		if f == nil {
			t.Errorf("no %s finding for %s", w.check, w.name)
			continue
		}
		if f.Severity != w.sev || !strings.Contains(f.Message, w.msg) || f.Hint != w.hint {
			t.Errorf("%s %s:\n got %v %q %q\nwant %v %q %q", w.check, w.name, f.Severity, f.Message, f.Hint, w.sev, w.msg, w.hint)
		}
		for k, v := range w.evidence {
			if got := f.Evidence.Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", w.check, w.name, k, got, v)
			}
		}
		if f.Object.Namespace != "e2e-doctor" || f.Object.ID == "" || len(f.Object.ID) > 13 {
			t.Errorf("%s %s: object %+v", w.check, w.name, f.Object)
		}
	}
	if len(fs) != len(want) {
		for _, f := range fs {
			t.Logf("%s %s %s: %s", f.Severity, f.Check, f.Object.Name, f.Message)
		}
		t.Errorf("%d findings, want %d", len(fs), len(want))
	}
	crash := find(fs, "container-restarting", "app")
	if crash == nil || len(crash.Log) == 0 || !strings.Contains(crash.Log[len(crash.Log)-1], "connection refused") ||
		!strings.HasSuffix(crash.Evidence.Get("log"), "/app/3.log") {
		t.Errorf("crash loop log: %+v", crash)
	}
	if f := find(fs, "container-restarting", "server"); f == nil || !strings.HasSuffix(f.Evidence.Get("log"), "/server/0.log") {
		t.Errorf("restart: the previous attempt's log: %+v", f)
	}
	for i := 1; i < len(fs); i++ {
		if fs[i].Severity > fs[i-1].Severity {
			t.Errorf("not sorted by severity: %s after %s", fs[i].Check, fs[i-1].Check)
		}
	}
}

func TestRecordedWholeNodeAndSelection(t *testing.T) {
	s := recorded(t, "containerd-faults.json")
	all := Run(s, Selection{}, DefaultOptions())
	// The harness's sample job (attempt 2, exit 3) is a crash loop in
	// default; the default thresholds leave the CPU burner alone.
	if f := find(all, "container-restarting", "migrate"); f == nil || f.Object.Namespace != "default" || f.Severity != Critical {
		t.Errorf("sample crash loop: %+v", f)
	}
	if f := find(all, "cpu-high", "burn"); f != nil {
		t.Errorf("cpu-high for a burner that got 0.01 cores: %+v", f)
	}
	if fs := Run(s, nsSel(t, "e2e-doctor-clean"), DefaultOptions()); len(fs) != 0 {
		t.Errorf("clean namespace: %+v", fs)
	}
	sum := Summarize(s, nsSel(t, "e2e-doctor-clean"), nil)
	if sum.Pods != 1 || sum.Containers != 1 || sum.Runtime != "containerd" || sum.Endpoint == "" {
		t.Errorf("summary: %+v", sum)
	}
	// --pod by name and by ID prefix.
	var stopped *runtimeapi.PodSandbox
	for _, p := range s.Pods {
		if p.GetMetadata().GetName() == "stopped-pod" {
			stopped = p
		}
	}
	for _, pod := range []string{"stopped-pod", stopped.GetId()[:8]} {
		fs := Run(s, Selection{Pod: pod}, DefaultOptions())
		if len(fs) != 1 || fs[0].Check != "pod-not-ready" {
			t.Errorf("--pod %s: %+v", pod, fs)
		}
	}
	// --selector on the pods' labels.
	l, err := kube.ParseLabels(nil, "io.kubernetes.pod.name=oom-hog")
	if err != nil {
		t.Fatal(err)
	}
	if fs := Run(s, Selection{Labels: l}, DefaultOptions()); len(fs) != 1 || fs[0].Object.Name != "hog" {
		t.Errorf("--selector: %+v", fs)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := recorded(t, "containerd-faults.json")
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSnapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Now.Equal(s.Now) || len(back.Pods) != len(s.Pods) || len(back.Containers) != len(s.Containers) ||
		len(back.Statuses) != len(s.Statuses) || !proto.Equal(back.Status, s.Status) || !proto.Equal(back.ImageFs, s.ImageFs) {
		t.Fatal("snapshot changed in a round trip")
	}
	for i := range s.Containers {
		if !proto.Equal(back.Containers[i], s.Containers[i]) {
			t.Errorf("container %d differs", i)
		}
	}
	if _, err := ReadSnapshot(strings.NewReader(`{"now": "2026-01-01T00:00:00Z", "surprise": 1}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := ReadSnapshot(strings.NewReader(`{"pods": {"items": 5}}`)); err == nil || !strings.Contains(err.Error(), "pods") {
		t.Errorf("bad pods: %v", err)
	}
}

// TestRecordedNoCNI replays containerd 1.6.20 started without a CNI
// network config (TestDoctorNoCNI): NetworkReady false comes first, with
// the verbose info's lastCNILoadStatus, and nothing else is critical.
func TestRecordedNoCNI(t *testing.T) {
	s := recorded(t, "containerd-nocni.json")
	fs := Run(s, Selection{}, DefaultOptions())
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	f := fs[0]
	if f.Check != "runtime-condition" || f.Object.Name != "NetworkReady" || f.Severity != Critical ||
		f.Message != "NetworkReady is false: NetworkPluginNotReady" ||
		f.Evidence.Get("message") != "Network plugin returns error: cni plugin not initialized" ||
		!strings.Contains(f.Evidence.Get("lastCNILoadStatus"), "no network config found") {
		t.Errorf("first finding: %+v", f)
	}
	for _, g := range fs[1:] {
		if g.Severity == Critical {
			t.Errorf("another critical finding: %+v", g)
		}
	}
}
