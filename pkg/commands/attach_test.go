package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestAttach(t *testing.T) {
	t.Parallel()
	e, n, ss := streamEnv(t)
	ss.AttachScript = []string{"readline", "stderr", "bye"}
	exited := proto.Clone(n.webC).(*runtimeapi.Container)
	exited.State = runtimeapi.ContainerState_CONTAINER_EXITED
	ss.OnAttachEnd = func(id string) {
		if id == n.webC.Id {
			e.srv.AddContainer(exited, crifake.WithExitCode(3))
		}
	}
	e.stdin = "hello\n"
	r := e.run("attach -i nginx")
	if r.code != 3 || r.stdout != "got hello\n" || r.stderr != "bye" {
		t.Errorf("attach: %+v, want the container's exit code 3", r)
	}
	// A container that goes on running: exit 0.
	e.stdin = ""
	ss.AttachScript = []string{"echo", "log line"}
	start := time.Now()
	if r := e.run("--timeout 300ms attach log-shipper"); r.code != 0 || r.stdout != "log line\n" {
		t.Errorf("attach: %+v", r)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	e.srv.ResetCalls()
	oneError(t, e.run("attach -t nginx"), "-t/--tty needs -i/--stdin")
	oneError(t, e.run("attach -it nginx"), "needs a terminal on stdin")
	oneError(t, e.run("attach"), "attach takes one container")
	oneError(t, e.run("attach a b"), "attach takes one container")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
	oneError(t, e.run("attach nope"), `container "nope" not found`)
}

func TestAttachTTYDetach(t *testing.T) {
	e, _, ss := streamEnv(t)
	ss.AttachScript = []string{"tty", "size"}
	master, tty := openPTY(t, 50, 132)
	before := termios(t, tty)
	r := e.start(tty, true, "attach", "-it", "nginx")
	waitUntil(t, "the session", func() bool { return r.out.String() == "tty\n50 132\n" })
	master.Write([]byte{0x10, 0x11})
	if code := r.wait(t, 5*time.Second); code != 0 || !strings.Contains(r.errOut.String(), "detached") {
		t.Errorf("exit %d, stderr %q", code, r.errOut.String())
	}
	if termios(t, tty) != before {
		t.Error("terminal not restored")
	}
}
