package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Calls a runtime may lack: where it has them their answer, where not one
// line naming the call and the runtime's version, exit 1.
func TestRuntimeCallsOrTheirAbsence(t *testing.T) {
	env := needCommand(t, "metricdescs")
	name := runtimeName(t, env)
	for _, tc := range []struct {
		rpc  string
		args []string
		ok   func(t *testing.T, out string)
	}{
		{"RuntimeConfig", []string{"runtime-config"}, func(t *testing.T, out string) {
			if out != "cgroup driver:   CGROUPFS\n" && out != "cgroup driver:   SYSTEMD\n" {
				t.Errorf("runtime-config: %q", out)
			}
		}},
		{"ListMetricDescriptors", []string{"metricdescs"}, func(t *testing.T, out string) {
			var doc struct {
				Descriptors []map[string]any `json:"descriptors"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Descriptors) == 0 {
				t.Errorf("metricdescs: %v %.200s", err, out)
			}
		}},
		{"ListPodSandboxMetrics", []string{"metricsp"}, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "{\n  \"podMetrics\": [") {
				t.Errorf("metricsp: %.200s", out)
			}
		}},
	} {
		out, errOut, code := crictl(t, env, tc.args...)
		if implements(t, env, tc.rpc) {
			if code != 0 {
				t.Errorf("%s: exit %d stderr %q", tc.args[0], code, errOut)
			}
			tc.ok(t, out)
			continue
		}
		if want := "crictl: " + name + " does not implement " + tc.rpc + "\n"; code != 1 || out != "" || errOut != want {
			t.Errorf("%s: exit %d stdout %q stderr %q, want %q", tc.args[0], code, out, errOut, want)
		}
	}
}

func TestUpdateRuntimeConfigReal(t *testing.T) {
	env := needCommand(t, "update-runtime-config")
	// without a CNI template in the runtime's configuration, the CIDR is
	// accepted and changes nothing
	out, errOut, code := crictl(t, env, "update-runtime-config", "--pod-cidr", "10.234.0.0/16")
	if code != 0 || out != "" || errOut != "crictl: Runtime config successfully updated\n" {
		t.Errorf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	if _, errOut, code = crictl(t, env, "update-runtime-config", "--pod-cidr", "10.234.0.0"); code != 1 || !strings.Contains(errOut, "is not a CIDR") {
		t.Errorf("a bad CIDR: exit %d stderr %q", code, errOut)
	}
}

// checkpoint needs the runtime's CheckpointContainer and criu on the node:
// whatever the runtime answers reaches the user as one line per container.
func TestCheckpointReal(t *testing.T) {
	env := needCommand(t, "checkpoint")
	c := samples.Container("web")
	dir := t.TempDir()
	out, errOut, code := crictl(t, env, "checkpoint", "--export", filepath.Join(dir, "web.tar"), "--namespace", "default", "web")
	switch {
	case code == 0:
		if out != c.ID+"\n" {
			t.Errorf("stdout %q", out)
		}
	case strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, `crictl: checkpointing the container "`+c.ID+`" failed: `):
		t.Errorf("exit %d stderr %q, want one line", code, errOut)
	default:
		t.Logf("the runtime refused: %s", errOut)
	}
}

// events: the runtime's stream, or lists every --interval where there is
// none (containerd 1.6); a pod's life shows up either way; Ctrl-C exits 0.
func TestEventsReal(t *testing.T) {
	env := needCommand(t, "events")
	stream := implements(t, env, "GetContainerEvents")
	b := startCrictl(t, env, "events", "-o", "table", "--namespace", "e2e-events", "--interval", "200ms")
	b.waitFor(t, "the header", func(out string) bool { return strings.HasPrefix(out, "TIME") })
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "events-pod", Namespace: "e2e-events", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "job", Script: "exit 0"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the container's start", func(out string) bool { return strings.Contains(out, "job") })
	if err := env.RemovePod(ctx, pod.ID); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the pod's removal", func(out string) bool {
		return strings.Contains(out, "deleted   "+pod.ID[:13])
	})
	out, errOut, code := b.interrupt(t)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	if stream != (errOut == "") || (!stream && !strings.Contains(errOut, "does not implement GetContainerEvents: listing every 200ms instead")) {
		t.Errorf("event stream %v, stderr %q", stream, errOut)
	}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) != 6 || f[5] != "e2e-events" || f[4] != "events-pod" {
			t.Errorf("line %q", l)
		}
	}
}

// ps -w: the list, then a line when a container exits, whether from the
// runtime's events or from lists.
func TestPsWatchContainerExits(t *testing.T) {
	env := needCommand(t, "ps")
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "ps-watch", Namespace: "e2e-pswatch", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.RemovePod(ctxT(t), pod.ID) })
	c, err := env.StartContainer(ctx, pod, harness.ContainerSpec{Name: "brief", Script: harness.TickScript("brief")})
	if err != nil {
		t.Fatal(err)
	}
	b := startCrictl(t, env, "ps", "-w", "--namespace", "e2e-pswatch", "--interval", "200ms")
	b.waitFor(t, "the list", func(out string) bool { return strings.Contains(out, "TIME ") })
	if !strings.Contains(b.stdout(), " brief ") {
		t.Errorf("the running container is not listed:\n%s", b.stdout())
	}
	if _, err := env.Runtime.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: c.ID}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the exit", func(out string) bool { return strings.Contains(out, "exited    "+c.ID[:13]+"   brief") })
	if _, _, code := b.interrupt(t); code != 0 {
		t.Errorf("exit %d after Ctrl-C", code)
	}
}

func TestPodsWatchRemoved(t *testing.T) {
	env := needCommand(t, "pods")
	ctx := ctxT(t)
	pod, err := env.RunPod(ctx, harness.PodSpec{Name: "pods-watch", Namespace: "e2e-podswatch", HostNetwork: true})
	if err != nil {
		t.Fatal(err)
	}
	b := startCrictl(t, env, "pods", "-w", "--namespace", "e2e-podswatch", "--interval", "200ms", "-o", "json")
	b.waitFor(t, "the list", func(out string) bool { return strings.Contains(out, "\n") })
	if err := env.RemovePod(ctx, pod.ID); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the removal", func(out string) bool { return strings.Contains(out, `"type":"removed"`) })
	out, _, code := b.interrupt(t)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || !strings.HasPrefix(lines[0], `{"items":[{"id":"`+pod.ID+`"`) {
		t.Errorf("exit %d lines %q", code, lines)
	}
	for _, l := range lines[1:] {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["pod"] == nil {
			t.Errorf("line %q: %v", l, err)
		}
	}
}
