package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/doctor"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"sigs.k8s.io/yaml"
)

// doctorNode seeds a node with a restarted container, a container never
// started, an OOM-killed one, a stopped pod, a container whose name is
// full of escape sequences, and a clean namespace. Logs are files in
// kubelet's layout, so the hints can be run.
func (e *env) doctorNode(t *testing.T) (logDir string) {
	t.Helper()
	s := e.srv
	dir := t.TempDir()
	run, exit := runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_EXITED
	logFile := func(pod *runtimeapi.PodSandbox, ctr string, attempt uint32, lines ...string) string {
		p := filepath.Join(dir, pod.GetMetadata().GetNamespace()+"_"+pod.GetMetadata().GetName(), ctr, fmt.Sprintf("%d.log", attempt))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, l := range lines {
			b.WriteString(criLine(i, "stdout", "F", l))
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cart := crifake.KubeletPod("cart-7d9f8", "shop", 0, ago(time.Hour), true)
	other := crifake.KubeletPod("cart-x2b4q", "shop", 0, ago(time.Hour), true)
	stopped := crifake.KubeletPod("checkout-old", "shop", 0, ago(3*time.Hour), false)
	evil := crifake.KubeletPod("evil", "evil", 0, ago(time.Hour), true)
	clean := crifake.KubeletPod("ok", "clean", 0, ago(time.Hour), true)
	for _, p := range []*runtimeapi.PodSandbox{cart, other, stopped, evil, clean} {
		s.AddPod(p, crifake.WithPodLogDirectory(filepath.Join(dir, p.GetMetadata().GetNamespace()+"_"+p.GetMetadata().GetName())))
	}
	img := "docker.io/library/busybox:1.36"
	s.AddContainer(crifake.KubeletContainer(cart, "app", 0, img, exit, ago(time.Hour)), crifake.WithExitCode(1),
		crifake.WithFinishedAt(ago(3*time.Minute)), crifake.WithLogPath(logFile(cart, "app", 0, "connecting", "error: connection refused")))
	s.AddContainer(crifake.KubeletContainer(cart, "app", 1, img, run, ago(2*time.Minute)), crifake.WithLogPath(logFile(cart, "app", 1, "connecting")))
	s.AddContainer(crifake.KubeletContainer(other, "app", 0, img, run, ago(time.Hour)), crifake.WithLogPath(logFile(other, "app", 0, "serving")))
	s.AddContainer(crifake.KubeletContainer(other, "stuck", 0, img, runtimeapi.ContainerState_CONTAINER_CREATED, ago(30*time.Minute)))
	s.AddContainer(crifake.KubeletContainer(other, "hog", 0, img, exit, ago(20*time.Minute)), crifake.WithExitCode(137),
		crifake.WithReason("OOMKilled", ""), crifake.WithFinishedAt(ago(19*time.Minute)), crifake.WithLogPath(logFile(other, "hog", 0, "allocating")))
	s.AddContainer(crifake.KubeletContainer(stopped, "web", 0, img, exit, ago(3*time.Hour)), crifake.WithExitCode(143))
	evilName := "x\x1b[31mred"
	s.AddContainer(crifake.KubeletContainer(evil, evilName, 0, img, exit, ago(time.Hour)), crifake.WithExitCode(2),
		crifake.WithFinishedAt(ago(50*time.Minute)), crifake.WithLogPath(logFile(evil, "x", 0, "bad\x1b]0;title\x07 line")))
	s.AddContainer(crifake.KubeletContainer(clean, "web", 0, img, run, ago(time.Hour)))
	// No filesystem: the disk checks depend on the machine; TestDoctorDisk
	// has its own.
	s.FsInfo = &runtimeapi.ImageFsInfoResponse{}
	return dir
}

// stable replaces the test's socket and log directory in doctor's output.
func (e *env) stable(out, logDir string) string {
	return strings.NewReplacer(e.endpoint, "ENDPOINT", logDir, "LOGDIR").Replace(out)
}

// doctorGolden runs cmdline on a fresh doctor node, expects exit 3, and
// compares its output with testdata/doctor/NAME.golden.
func doctorGolden(t *testing.T, cmdline, name string) (*env, result) {
	t.Helper()
	e := newEnv(t)
	logDir := e.doctorNode(t)
	r := e.run(cmdline)
	if r.code != 3 || r.stderr != "" {
		t.Fatalf("%s: exit %d, stderr %q", cmdline, r.code, r.stderr)
	}
	golden(t, "doctor/"+name, e.stable(r.stdout, logDir))
	return e, r
}

func TestDoctorText(t *testing.T) {
	t.Parallel()
	e, r := doctorGolden(t, "doctor --namespace shop", "shop")
	if strings.Contains(r.stdout, "\x1b") {
		t.Error("escape codes into a pipe")
	}
	// The escaped name, and its log line escaped too.
	r = e.run("doctor --namespace evil")
	if r.code != 0 || !strings.Contains(r.stdout, `container x^[[31mred in pod evil/evil`) || !strings.Contains(r.stdout, `| bad^[]0;title\x07 line`) ||
		strings.Contains(r.stdout, "\x1b") {
		t.Errorf("evil: exit %d\n%s", r.code, r.stdout)
	}
	if r := e.run("doctor --namespace evil --fail-on warning"); r.code != 3 {
		t.Errorf("--fail-on warning: exit %d", r.code)
	}
	if r := e.run("doctor --namespace shop --fail-on never"); r.code != 0 {
		t.Errorf("--fail-on never: exit %d", r.code)
	}
}

func TestDoctorClean(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.doctorNode(t)
	e.srv.ResetCalls()
	r := e.run("doctor --namespace clean")
	if r.code != 0 || r.stdout != "no problems found (fakeruntime 0.1.0 at "+e.endpoint+": 1 pods, 1 containers checked)\n" || r.stderr != "" {
		t.Errorf("clean: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	want := []string{"ImageFsInfo", "ListContainers", "ListPodSandbox", "Status", "Version"}
	if got := sortedCalls(e.srv.Calls()); !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	e.srv.ResetCalls()
	r = e.run("doctor --namespace clean --stats")
	if r.code != 0 || !strings.HasSuffix(r.stdout, "1 containers checked; CPU and memory checked)\n") {
		t.Errorf("--stats: exit %d %q", r.code, r.stdout)
	}
	if got := sortedCalls(e.srv.Calls()); !slices.Equal(got, slices.Insert(want, 1, "ListContainerStats")) {
		t.Errorf("--stats calls %v", got)
	}
}

func doctorReport(t *testing.T, out string) doctor.Report {
	t.Helper()
	var rep doctor.Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return rep
}

func TestDoctorJSONAndHints(t *testing.T) {
	t.Parallel()
	e, r := doctorGolden(t, "doctor -o json", "json")
	rep := doctorReport(t, r.stdout)
	if rep.Summary.Critical != 2 || len(rep.Findings) == 0 {
		t.Errorf("summary %+v", rep.Summary)
	}
	y := e.run("doctor -o yaml")
	var fromYAML doctor.Report
	if err := yaml.Unmarshal([]byte(y.stdout), &fromYAML); err != nil || len(fromYAML.Findings) != len(rep.Findings) {
		t.Errorf("yaml: %v\n%s", err, y.stdout)
	}
	// Every hint is a command of this crictl that works here.
	for _, f := range rep.Findings {
		args, ok := doctor.SplitHint(f.Hint)
		if !ok {
			t.Errorf("%s: hint %q", f.Check, f.Hint)
			continue
		}
		if hr := e.runArgs(args...); hr.code != 0 {
			t.Errorf("hint %q: exit %d: %s", f.Hint, hr.code, hr.stderr)
		}
	}
	prev := e.run("logs --previous app --namespace shop --pod cart-7d9f8")
	if prev.stdout != "connecting\nerror: connection refused\n" {
		t.Errorf("the crash's log: %q", prev.stdout)
	}
}

func TestDoctorUsageAndFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tt := range []struct{ args, msg string }{
		{"doctor extra", `unexpected argument "extra"`},
		{"doctor --fail-on fatal", "--fail-on: unknown severity"},
		{"doctor --disk-warn 90 --disk-crit 80", "--disk-crit 80 is below --disk-warn 90"},
		{"doctor --mem-warn 0", "--mem-warn 0: give a percentage"},
		{"doctor --log-lines -1", "--log-lines -1"},
		{"doctor --watch --interval 1ms", "--interval 1ms"},
		{"doctor -o wide", `unsupported output format "wide"`},
		{"doctor --namespace (", "invalid regular expression"},
	} {
		r := e.run(tt.args)
		if r.code != 1 || !strings.Contains(r.stderr, tt.msg) || len(e.srv.Calls()) != 0 {
			t.Errorf("%s: exit %d, stderr %q, calls %v", tt.args, r.code, r.stderr, e.srv.Calls())
		}
	}
	r := e.run("-r unix:///nonexistent/crictl-test.sock --timeout 200ms doctor")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "crictl: ") {
		t.Errorf("unreachable: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestDoctorConfigProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.FsInfo = &runtimeapi.ImageFsInfoResponse{}
	cfg := files(t, "crictl.yaml", "timeout: soon\n")[0]
	e.vars["CRI_CONFIG_FILE"] = cfg
	r := e.run("doctor -o json")
	rep := doctorReport(t, r.stdout)
	if r.code != 3 || len(rep.Findings) != 1 || rep.Findings[0].Check != "config-file" || rep.Findings[0].Severity != doctor.Critical ||
		!strings.Contains(rep.Findings[0].Evidence.Get("error"), cfg+":1") {
		t.Errorf("broken config: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if hr := e.run("--config /dev/null info"); hr.code != 0 {
		t.Errorf("its hint: exit %d %s", hr.code, hr.stderr)
	}

	// No endpoint configured: the default endpoints are probed.
	cfg = files(t, "crictl.yaml", "colour: blue\n")[0]
	var out, errOut bytes.Buffer
	f := testFactory(IOStreams{Out: &out, ErrOut: &errOut}, func(k string) string {
		if k == "CRI_CONFIG_FILE" {
			return cfg
		}
		return ""
	})
	f.DefaultEndpoints = []string{"unix:///nonexistent/crictl-none.sock", e.endpoint}
	code := Run(context.Background(), f, []string{"crictl", "doctor", "-o", "json", "--fail-on", "warning"})
	rep = doctorReport(t, out.String())
	var checks []string
	for _, fd := range rep.Findings {
		checks = append(checks, fd.Check+" "+fd.Hint)
	}
	want := "config-file crictl config --list; endpoint-default crictl config --set runtime-endpoint=" + e.endpoint
	if code != 3 || strings.Join(checks, "; ") != want || errOut.String() != "" {
		t.Errorf("probed: exit %d\n%s\nwant %s\nstderr %q", code, strings.Join(checks, "; "), want, errOut.String())
	}
}

func TestDoctorDisk(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mp := t.TempDir()
	e.srv.FsInfo = &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{
		{FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: mp}, UsedBytes: &runtimeapi.UInt64Value{Value: 1 << 20}},
		{FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: "/nonexistent/crictl-fs"}},
	}}
	r := e.run("doctor -o json --disk-warn 0.0001")
	rep := doctorReport(t, r.stdout)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Severity.String()+" "+f.Check+" "+f.Object.Name)
	}
	if r.code != 0 || !slices.Contains(got, "warning disk-space "+mp) || !slices.Contains(got, "info disk-unmeasured /nonexistent/crictl-fs") {
		t.Errorf("exit %d: %v", r.code, got)
	}
}

func TestDoctorColors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.doctorNode(t)
	e.outTTY = true
	if r := e.run("doctor --namespace shop"); !strings.Contains(r.stdout, "\x1b[1;31mCRITICAL\x1b[0m (2)") {
		t.Errorf("no colour on a terminal:\n%s", r.stdout)
	}
	e.vars["NO_COLOR"] = "1"
	if r := e.run("doctor --namespace shop"); strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour with NO_COLOR:\n%s", r.stdout)
	}
}

// watchRun runs doctor --watch until stop returns true for its output so
// far, then interrupts it (Ctrl-C).
func (e *env) watchRun(t *testing.T, args []string, step func(out string) bool) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	sout := &syncBuffer{b: &out}
	f := e.factory(IOStreams{In: strings.NewReader(""), Out: sout, ErrOut: &syncBuffer{b: &errOut}})
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, append([]string{"crictl"}, args...)) }()
	deadline := time.After(20 * time.Second)
	for {
		sout.mu.Lock()
		text := out.String()
		sout.mu.Unlock()
		if step(text) {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("watch: gave up waiting; output so far:\n%s", text)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	select {
	case code := <-done:
		return result{stdout: out.String(), stderr: errOut.String(), code: code}
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not end on Ctrl-C")
	}
	return result{}
}

func TestDoctorWatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.doctorNode(t)
	added := false
	r := e.watchRun(t, []string{"doctor", "--watch", "--interval", "100ms", "--namespace", "clean"}, func(out string) bool {
		if !added && strings.HasPrefix(out, "no problems found") {
			e.srv.AddPod(crifake.KubeletPod("stopped", "clean", 0, ago(time.Hour), false))
			added = true
		}
		return strings.Contains(out, "= 1 warning")
	})
	if r.code != 0 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "no problems found") ||
		!strings.HasSuffix(lines[1], " + WARNING") || !strings.Contains(lines[2], "pod clean/stopped") ||
		strings.Count(r.stdout, "+ WARNING") != 1 || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("watch output:\n%s", r.stdout)
	}

	// JSON: the report, then one document per change.
	e2 := newEnv(t)
	e2.doctorNode(t)
	removed := false
	cartID := crifake.KubeletPod("cart-7d9f8", "shop", 0, ago(time.Hour), true).GetId()
	r = e2.watchRun(t, []string{"doctor", "-w", "--interval", "100ms", "--namespace", "shop", "-o", "json"}, func(out string) bool {
		if !removed && strings.Count(out, `"summary"`) == 1 {
			if _, err := e2.srv.RemovePodSandbox(context.Background(), &runtimeapi.RemovePodSandboxRequest{PodSandboxId: cartID}); err != nil {
				t.Error(err)
			}
			removed = true
		}
		return strings.Count(out, `"resolved"`) == 1
	})
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var first doctor.Report
	var ev watchEvent
	if err := dec.Decode(&first); err != nil || dec.Decode(&ev) != nil || r.code != 0 {
		t.Fatalf("watch -o json: exit %d %v\n%s", r.code, err, r.stdout)
	}
	if len(ev.Resolved) != 1 || ev.Resolved[0].Check != "container-restarting" || len(ev.Added) != 0 || ev.Time == "" {
		t.Errorf("event: %+v", ev)
	}
}
