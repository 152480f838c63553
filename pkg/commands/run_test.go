package commands

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "ctr.yaml", ctrYAML, "pod.json", podJSON)
	out := e.ok("run -r runc " + p[0] + " " + p[1])
	ctrs, pods := e.srv.Containers(), e.srv.Pods()
	if len(ctrs) != 1 || len(pods) != 1 || out != ctrs[0].Id+"\n" {
		t.Fatalf("run printed %q; containers %v, pods %v", out, ctrs, pods)
	}
	if ctrs[0].State != runtimeapi.ContainerState_CONTAINER_RUNNING || ctrs[0].PodSandboxId != pods[0].Id {
		t.Errorf("container %v", ctrs[0])
	}
	want := []string{"PullImage", "RunPodSandbox", "CreateContainer", "StartContainer"}
	if got := e.srv.Calls(); !slices.Equal(got, want) {
		t.Errorf("RPCs = %v, want %v", got, want)
	}
	if h := podRequest(t, e.srv, 0).GetRuntimeHandler(); h != "runc" {
		t.Errorf("runtime handler %q", h)
	}

	// disable-pull-on-run; --with-pull overrides it.
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	os.WriteFile(cfg, []byte("disable-pull-on-run: true\n"), 0o600)
	e.vars["CRI_CONFIG_FILE"] = cfg
	e.srv.ResetCalls()
	p2 := files(t, "pod.yaml", strings.Replace(podYAML, "web-uid", "uid2", 1), "pod3.yaml", strings.Replace(podYAML, "web-uid", "uid3", 1))
	e.ok("run " + p[0] + " " + p2[0])
	e.ok("run --with-pull " + p[0] + " " + p2[1])
	want = []string{"RunPodSandbox", "CreateContainer", "StartContainer", "PullImage", "RunPodSandbox", "CreateContainer", "StartContainer"}
	if got := e.srv.Calls(); !slices.Equal(got, want) {
		t.Errorf("RPCs = %v, want %v", got, want)
	}
}

func TestRunNoPull(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1))
	p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML)
	e.ok("run --no-pull " + p[0] + " " + p[1])
	if got := e.srv.Calls(); slices.Contains(got, "PullImage") {
		t.Errorf("run --no-pull pulled: %v", got)
	}
	oneError(t, e.run("run --no-pull --with-pull "+p[0]+" "+p[1]), "cannot be used together")
	oneError(t, e.run("run "+p[0]), "run takes a container config file and a pod config file")
}

// When creating or starting the container fails, run removes the pod it
// made and reports both.
func TestRunRollback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		faults map[string]crifake.Fault
		want   []string
		left   int
	}{
		{"create fails", map[string]crifake.Fault{"CreateContainer": {Code: codes.Unknown, Message: "bad mount", Times: 1}},
			[]string{"creating the container app", "bad mount", "that run created was removed"}, 0},
		{"start fails", map[string]crifake.Fault{"StartContainer": {Code: codes.Unknown, Message: "exec format error", Times: 1}},
			[]string{"starting the container", "exec format error", "that run created was removed"}, 0},
		{"cleanup fails too", map[string]crifake.Fault{
			"CreateContainer":  {Code: codes.Unknown, Message: "bad mount", Times: 1},
			"RemovePodSandbox": {Code: codes.Unknown, Message: "device busy", Times: 1}},
			[]string{"bad mount", "removing the pod", "failed too", "device busy", "crictl rmp -f"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML)
			for m, f := range tc.faults {
				e.srv.Inject(m, f)
			}
			oneError(t, e.run("run "+p[0]+" "+p[1]), tc.want...)
			calls := e.srv.Calls()
			if !slices.Contains(calls, "StopPodSandbox") || !slices.Contains(calls, "RemovePodSandbox") {
				t.Errorf("no rollback: RPCs = %v", calls)
			}
			if n := len(e.srv.Pods()); n != tc.left {
				t.Errorf("%d pods left, want %d", n, tc.left)
			}
		})
	}
}

// A failed pull creates nothing, so there is nothing to roll back.
func TestRunPullFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SetPullError("docker.io/library/busybox:1.36", errorStatus(codes.NotFound, "manifest unknown"))
	p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML)
	oneError(t, e.run("run "+p[0]+" "+p[1]), "pulling image: docker.io/library/busybox:1.36", "manifest unknown")
	if got := e.srv.Calls(); !slices.Equal(got, []string{"PullImage"}) {
		t.Errorf("RPCs = %v", got)
	}
}

// Ctrl-C while the container is being created still removes the pod.
func TestRunInterruptedRollsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1))
	e.srv.Inject("CreateContainer", crifake.Fault{Block: true, Times: 1})
	p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for !slices.Contains(e.srv.Calls(), "CreateContainer") {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	r := e.runIO(ioOpts{ctx: ctx}, "run", "--no-pull", p[0], p[1])
	oneError(t, r, "interrupted", "that run created was removed")
	if len(e.srv.Pods()) != 0 {
		t.Errorf("pod left behind: %v", e.srv.Pods())
	}
}
