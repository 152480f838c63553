package commands

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func checkpointRequests(e *env) []*runtimeapi.CheckpointContainerRequest {
	var out []*runtimeapi.CheckpointContainerRequest
	for _, r := range e.srv.Requests("CheckpointContainer") {
		out = append(out, r.(*runtimeapi.CheckpointContainerRequest))
	}
	return out
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	dir := t.TempDir()
	// a relative path is sent absolute: the runtime has its own working directory
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, filepath.Join(dir, "nginx.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if out := e.ok("checkpoint --export " + rel + " nginx"); out != n.webC.Id+"\n" {
		t.Errorf("stdout %q", out)
	}
	reqs := checkpointRequests(e)
	if len(reqs) != 1 || reqs[0].Location != filepath.Join(dir, "nginx.tar") || reqs[0].Timeout != 0 || reqs[0].ContainerId != n.webC.Id {
		t.Errorf("requests %v", reqs)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "nginx.tar")); err != nil || !strings.Contains(string(b), n.webC.Id) {
		t.Errorf("archive: %q %v", b, err)
	}
	// several containers into a directory, one archive each; -e and --timeout
	e.srv.ResetCalls()
	out := e.ok("checkpoint -e " + dir + " --timeout 30 coredns kube-proxy")
	if got, want := lines(out), lines(n.corednsC.Id+"\n"+n.proxyC.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("stdout %q", out)
	}
	for _, r := range checkpointRequests(e) {
		if r.Location != filepath.Join(dir, "checkpoint-"+r.ContainerId+".tar") || r.Timeout != 30 {
			t.Errorf("request %v", r)
		}
	}
}

// One container that cannot be checkpointed is reported; the others are
// checkpointed.
func TestCheckpointPerItem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	dir := t.TempDir()
	r := e.run("checkpoint -e " + dir + " migrate nginx nosuch")
	if r.code != 1 || r.stdout != n.webC.Id+"\n" {
		t.Errorf("exit %d stdout %q", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, `crictl: checkpointing the container "`+n.webOld.Id+`" failed: CheckpointContainer: container `+n.webOld.Id+" is not running\n") ||
		!strings.Contains(r.stderr, `"nosuch"`) || strings.Count(r.stderr, "\n") != 2 {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestCheckpointRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	dir := t.TempDir()
	oneError(t, e.run("checkpoint nginx"), "cannot checkpoint a container without specifying the checkpoint destination. Use --export=/path/to/checkpoint.tar")
	oneError(t, e.run("checkpoint -e "+dir+"/a.tar nginx coredns"), "with several containers, give a directory")
	oneError(t, e.run("checkpoint -e "+dir+"/no/a.tar nginx"), "no directory "+dir+"/no to write the archive into")
	oneError(t, e.run("checkpoint -e "+dir+" --timeout -1 nginx"), "--timeout -1")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("refused options made RPCs: %v", calls)
	}
	// containerd 1.6 has no checkpoints
	e.srv.Inject("CheckpointContainer", crifake.Fault{Code: codes.Unimplemented})
	oneError(t, e.run("checkpoint -e "+dir+" nginx"), "failed: fakeruntime 0.1.0 does not implement CheckpointContainer")
	// a runtime without criu: its words, one line
	e.srv.ClearFaults()
	e.srv.Inject("CheckpointContainer", crifake.Fault{Code: codes.Unknown, Message: `failed to checkpoint: exec: "criu": executable file not found in $PATH`})
	oneError(t, e.run("checkpoint -e "+dir+" nginx"), `"criu": executable file not found`)
	// read-only mode refuses it
	e.vars["CRICTL_READ_ONLY"] = "1"
	oneError(t, e.run("checkpoint -e "+dir+" nginx"), "read-only mode is on")
}
