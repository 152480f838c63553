package commands

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod := seedPod(e)
	mk := func(name string) *runtimeapi.Container {
		c := crifake.KubeletContainer(pod, name, 0, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_CREATED, ago(time.Minute))
		e.srv.AddContainer(c)
		return c
	}
	a, b, c := mk("alpha"), mk("beta"), mk("gamma")
	out := e.ok("start alpha " + b.Id[:12] + " " + c.Id)
	if out != a.Id+"\n"+b.Id+"\n"+c.Id+"\n" {
		t.Errorf("start printed %q", out)
	}
	for _, ctr := range e.srv.Containers() {
		if ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
			t.Errorf("%s is %v", ctr.Metadata.Name, ctr.State)
		}
	}

	// One failure does not stop the others; the exit code is 1.
	d, g := mk("delta"), mk("epsilon")
	e.srv.Inject("StartContainer", crifake.Fault{Code: codes.Unknown, Message: "no such file", Times: 1})
	r := e.run("start delta nosuch epsilon")
	if r.code != 1 || r.stdout != g.Id+"\n" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[0], "starting the container delta: StartContainer: no such file") ||
		!strings.Contains(lines[1], `container "nosuch" not found`) {
		t.Errorf("stderr %q", r.stderr)
	}
	_ = d
	// Starting a running container is the runtime's error, reported.
	oneError(t, e.run("start "+a.Id), "starting the container", "RUNNING")

	e.srv.ResetCalls()
	oneError(t, e.run("start"), "start needs at least one container")
	oneError(t, e.runArgs("start", "alpha", " "), "empty container ID or name")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
}

// A runtime that cannot be reached gives one error, not one per container.
func TestStartUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["CONTAINER_RUNTIME_ENDPOINT"] = "unix://" + filepath.Join(crifake.ShortTempDir(t), "none.sock")
	oneError(t, e.run("start "+strings.Repeat("a", 64)+" "+strings.Repeat("b", 64)), "none.sock")
}
