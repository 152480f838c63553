package e2e

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/pkg/doctor"
	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// recordDoctor, when set, writes the snapshot of the node with the faults
// (the whole node, as doctor.Gather collects it) to this file: that is how
// pkg/doctor/testdata/containerd-faults.json was made:
//
//	go test ./test/e2e -run 'TestDoctor$' -count=1 -doctor.record "$PWD/pkg/doctor/testdata/containerd-faults.json"
var recordDoctor = flag.String("doctor.record", "", "write the doctor snapshot of the faults node to this JSON file")

const doctorNS = "e2e-doctor"

// doctorFaults makes every fault doctor must name, for real, in doctorNS.
func doctorFaults(t *testing.T, env *harness.Env) {
	t.Helper()
	ctx := ctxT(t)
	pod := func(name string) *harness.Pod {
		t.Helper()
		p, err := env.RunPod(ctx, harness.PodSpec{Name: name, Namespace: doctorNS, HostNetwork: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.RemovePod(context.Background(), p.ID) })
		return p
	}
	start := func(p *harness.Pod, spec harness.ContainerSpec, wait runtimeapi.ContainerState) {
		t.Helper()
		c, err := env.StartContainer(ctx, p, spec)
		if err != nil {
			t.Fatal(err)
		}
		if wait == runtimeapi.ContainerState_CONTAINER_CREATED {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := env.WaitContainer(wctx, c.ID, wait); err != nil {
			t.Fatal(err)
		}
	}
	exited, running := runtimeapi.ContainerState_CONTAINER_EXITED, runtimeapi.ContainerState_CONTAINER_RUNNING

	// A crash loop as kubelet leaves it: each attempt a new container of
	// the next attempt number in the same pod, the old ones exited.
	crash := pod("crashloop-7d9f8")
	for attempt := uint32(0); attempt <= 3; attempt++ {
		start(crash, harness.ContainerSpec{Name: "app", Attempt: attempt, Script: harness.ExitScript(1)}, exited)
	}
	// Restarted after a failure, running again.
	flap := pod("flapping-5c6d7")
	start(flap, harness.ContainerSpec{Name: "server", Script: harness.ExitScript(2)}, exited)
	start(flap, harness.ContainerSpec{Name: "server", Attempt: 1}, running)
	// Killed for memory: 32 MiB and tail reading /dev/zero (no newline,
	// so it keeps everything).
	oom := pod("oom-hog")
	start(oom, harness.ContainerSpec{Name: "hog", Script: "echo allocating; exec tail /dev/zero",
		Resources: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 32 << 20}}, exited)
	// Exited non-zero, not restarted.
	job := pod("failed-job-x8k2")
	start(job, harness.ContainerSpec{Name: "job", Script: harness.ExitScript(2)}, exited)
	// Created and never started (a second "app" in the namespace: hints
	// must name the pod).
	stuck := pod("stuck-create")
	start(stuck, harness.ContainerSpec{Name: "app", CreateOnly: true}, runtimeapi.ContainerState_CONTAINER_CREATED)
	// A stopped pod.
	stopped := pod("stopped-pod")
	start(stopped, harness.ContainerSpec{Name: "web"}, running)
	if _, err := env.Runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: stopped.ID}); err != nil {
		t.Fatal(err)
	}
	// A ready pod whose only container finished (exit 0).
	done := pod("completed-ready")
	start(done, harness.ContainerSpec{Name: "task", Script: "echo done; exit 0"}, exited)
	// A pod with only its pause container.
	pod("pause-only")
	// Near its memory limit: 61 MB of a 64 MiB limit in the pod's
	// /dev/shm (shared memory counts in the working set).
	mem := pod("mem-filler")
	start(mem, harness.ContainerSpec{Name: "filler", Script: "head -c 61000000 /dev/zero > /dev/shm/fill; " + harness.TickScript("filler"),
		Resources: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 64 << 20}}, running)
	// At its CPU limit: a busy loop under half a core.
	cpu := pod("cpu-burner")
	start(cpu, harness.ContainerSpec{Name: "burn", Script: "while :; do :; done",
		Resources: &runtimeapi.LinuxContainerResources{CpuQuota: 50000, CpuPeriod: 100000}}, running)
	// Let the fill finish, the CPU use show, and --start-timeout 1s pass.
	time.Sleep(3 * time.Second)
	_, _ = env.Runtime.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
	time.Sleep(time.Second)
}

type wantFinding struct {
	check, name string
	sev         doctor.Severity
	evidence    map[string]string
	hint        string
}

func findingOf(rep *doctor.Report, check, name string) *doctor.Finding {
	for i := range rep.Findings {
		if f := &rep.Findings[i]; f.Check == check && f.Object.Name == name {
			return f
		}
	}
	return nil
}

func TestDoctor(t *testing.T) {
	env := needCommand(t, "doctor")
	doctorFaults(t, env)

	// A clean namespace: exit 0 and "no problems found".
	clean, err := env.RunPod(ctxT(t), harness.PodSpec{Name: "healthy", Namespace: "e2e-doctor-clean", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.RemovePod(context.Background(), clean.ID) })
	if _, err := env.StartContainer(ctxT(t), clean, harness.ContainerSpec{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := crictl(t, env, "doctor", "--namespace", "e2e-doctor-clean")
	// Only info findings at most (containerd 2 on cgroup v1 notes its
	// deprecation warnings as a condition).
	if code != 0 || !strings.HasPrefix(out, "no problems found") || errOut != "" {
		t.Errorf("doctor on a clean namespace: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// How much CPU the burner gets depends on the machine's load: the
	// cpu-high finding is required only when it clearly gets enough.
	burnCores := 0.0
	if st, err := env.Runtime.ListContainerStats(ctxT(t), &runtimeapi.ListContainerStatsRequest{}); err == nil {
		for _, s := range st.GetStats() {
			if s.GetAttributes().GetMetadata().GetName() == "burn" {
				burnCores = float64(s.GetCpu().GetUsageNanoCores().GetValue()) / 1e9
			}
		}
	}
	args := []string{"doctor", "--namespace", doctorNS, "--start-timeout", "1s", "--stats", "--cpu-warn", "20"}
	out, errOut, code = crictl(t, env, append(args, "-o", "json")...)
	if code != 3 || errOut != "" {
		t.Fatalf("doctor -o json: exit %d, want 3\nstderr: %s", code, errOut)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, out)
	}

	want := []wantFinding{
		{"container-restarting", "app", doctor.Critical, map[string]string{"attempt": "3", "exitCode": "1", "reason": "Error", "meaning": "general error"},
			"crictl logs app --namespace e2e-doctor --pod crashloop-7d9f8"},
		{"container-restarting", "server", doctor.Critical, map[string]string{"attempt": "1", "exitCode": "2", "state": "running"},
			"crictl logs --previous server --namespace e2e-doctor"},
		{"container-exited", "hog", doctor.Critical, map[string]string{"exitCode": "137", "reason": "OOMKilled"},
			"crictl logs hog --namespace e2e-doctor"},
		{"container-exited", "job", doctor.Warning, map[string]string{"exitCode": "2"}, "crictl logs job --namespace e2e-doctor"},
		{"container-not-started", "app", doctor.Warning, map[string]string{"state": "created"},
			"crictl inspect app --namespace e2e-doctor --pod stuck-create"},
		{"pod-not-ready", "stopped-pod", doctor.Warning, map[string]string{"state": "notready"},
			"crictl inspectp stopped-pod --namespace e2e-doctor"},
		{"pod-pause-only", "pause-only", doctor.Warning, map[string]string{"containers": "0"},
			"crictl inspectp pause-only --namespace e2e-doctor"},
		{"pod-containers-exited", "completed-ready", doctor.Warning, map[string]string{"exited": "1"}, "crictl ps -a --pod completed-ready --namespace e2e-doctor"},
		{"memory-near-limit", "filler", doctor.Warning, map[string]string{"memoryLimitInBytes": fmt.Sprint(64 << 20)},
			"crictl inspect filler --namespace e2e-doctor"},
		{"cpu-high", "burn", doctor.Warning, map[string]string{"limitCores": "0.50", "limitFrom": "CPU quota"},
			"crictl inspect burn --namespace e2e-doctor"},
	}
	if burnCores < 0.2 {
		t.Logf("the CPU burner got %.2f cores on this busy machine: cpu-high is not required", burnCores)
		want = slices.DeleteFunc(want, func(w wantFinding) bool { return w.check == "cpu-high" })
	}
	for _, w := range want {
		f := findingOf(&rep, w.check, w.name)
		if f == nil {
			t.Errorf("no %s finding for %s in:\n%s", w.check, w.name, out)
			continue
		}
		if f.Severity != w.sev || f.Hint != w.hint || f.Object.Namespace != doctorNS {
			t.Errorf("%s %s: severity %v hint %q namespace %q; want %v %q", w.check, w.name, f.Severity, f.Hint, f.Object.Namespace, w.sev, w.hint)
		}
		for k, v := range w.evidence {
			if got := f.Evidence.Get(k); got != v {
				t.Errorf("%s %s: evidence %s = %q, want %q", w.check, w.name, k, got, v)
			}
		}
	}
	if f := findingOf(&rep, "container-restarting", "app"); f != nil && !strings.Contains(strings.Join(f.Log, "\n"), "connection refused") {
		t.Errorf("crash loop: log lines %q, want the failed attempt's", f.Log)
	}
	if f := findingOf(&rep, "container-restarting", "server"); f != nil && !strings.Contains(strings.Join(f.Log, "\n"), "connection refused") {
		t.Errorf("restarted: log lines %q, want the previous attempt's", f.Log)
	}
	// Every hint runs with this crictl.
	for _, f := range rep.Findings {
		hargs, ok := doctor.SplitHint(f.Hint)
		if !ok {
			t.Errorf("%s: hint %q is not a crictl command", f.Check, f.Hint)
			continue
		}
		if hout, herr, hcode := crictl(t, env, hargs...); hcode != 0 {
			t.Errorf("hint %q: exit %d\nstdout: %s\nstderr: %s", f.Hint, hcode, hout, herr)
		}
	}

	// The text names each with its hint.
	text, _, code := crictl(t, env, args...)
	// (the warnings may differ from the JSON run's: CPU use comes and goes)
	if code != 3 || !strings.HasPrefix(text, fmt.Sprintf("%d critical, ", rep.Summary.Critical)) ||
		strings.Contains(text, "\x1b") {
		t.Errorf("doctor: exit %d\n%s", code, text)
	}
	for _, w := range want {
		if w.check == "cpu-high" {
			continue
		}
		if !strings.Contains(text, w.name) || !strings.Contains(text, "hint: "+w.hint) {
			t.Errorf("text output lacks %s (%s)", w.name, w.hint)
		}
	}
	if _, _, code := crictl(t, env, append(args, "--fail-on", "never")...); code != 0 {
		t.Errorf("--fail-on never: exit %d", code)
	}

	if *recordDoctor != "" {
		snap, err := doctor.Gather(ctxT(t), doctor.Sources{
			Runtime: env.Runtime,
			Image:   func() (runtimeapi.ImageServiceClient, error) { return env.Images, nil },
			Now:     time.Now,
			Node:    doctor.Node{Endpoint: env.Endpoint, ConfigPath: "/dev/null", ConfigLoaded: true},
		}, doctor.Selection{}, withStats(doctor.DefaultOptions()))
		if err != nil {
			t.Fatal(err)
		}
		writeSnapshot(t, *recordDoctor, snap)
	}
}

func withStats(o doctor.Options) doctor.Options {
	o.Stats = true
	return o
}

func writeSnapshot(t *testing.T, path string, snap *doctor.Snapshot) {
	t.Helper()
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.WriteJSON(fh); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded the snapshot in %s", path)
}
