package commands

import (
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

// seedPod adds a ready pod and the busybox image; it returns the pod.
func seedPod(e *env) *runtimeapi.PodSandbox {
	pod := crifake.KubeletPod("web", "default", 0, ago(time.Hour), true)
	e.srv.AddPod(pod)
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 2_150_000))
	return pod
}

func TestCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod := seedPod(e)
	p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML)

	out := e.ok("create web " + p[0] + " " + p[1])
	ctrs := e.srv.Containers()
	if len(ctrs) != 1 || out != ctrs[0].Id+"\n" || ctrs[0].PodSandboxId != pod.Id {
		t.Fatalf("create printed %q; containers %v", out, ctrs)
	}
	if got := e.srv.Calls(); !slices.Equal(got, []string{"ListPodSandbox", "CreateContainer"}) {
		t.Errorf("create by pod name: RPCs = %v (create does not pull by default)", got)
	}
	req := e.srv.Requests("CreateContainer")[0].(*runtimeapi.CreateContainerRequest)
	if req.GetConfig().GetImage().GetUserSpecifiedImage() != "docker.io/library/busybox:1.36" ||
		req.GetSandboxConfig().GetLogDirectory() != "/var/log/pods/web" ||
		string(req.GetConfig().GetEnvs()[0].GetValue()) != "hello" {
		t.Errorf("CreateContainer request: %v", req)
	}

	// A full pod ID needs no lookup; --with-pull pulls with the pod config
	// and the image's annotations.
	e.srv.ResetCalls()
	p2 := files(t, "ctr.yaml", strings.Replace(ctrYAML, "name: app", "name: app2", 1))
	e.ok("create --with-pull " + pod.Id + " " + p2[0] + " " + p[1])
	if got := e.srv.Calls(); !slices.Equal(got, []string{"PullImage", "CreateContainer"}) {
		t.Errorf("create --with-pull: RPCs = %v", got)
	}
	pull := e.srv.Requests("PullImage")[0].(*runtimeapi.PullImageRequest)
	if pull.GetImage().GetImage() != "docker.io/library/busybox:1.36" || pull.GetImage().GetAnnotations()["pull-note"] != "x" ||
		pull.GetSandboxConfig().GetMetadata().GetName() != "web" || pull.GetAuth() != nil {
		t.Errorf("PullImage request: %v", pull)
	}
}

func TestCreatePullConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod := seedPod(e)
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	os.WriteFile(cfg, []byte("pull-image-on-create: true\n"), 0o600)
	e.vars["CRI_CONFIG_FILE"] = cfg
	mount := ctrYAML + "mounts:\n  - container_path: /data\n    image: {image: registry.example.com/data:1}\n"
	p := files(t, "a.yaml", ctrYAML, "b.yaml", strings.Replace(ctrYAML, "name: app", "name: b", 1), "c.yaml", strings.Replace(mount, "name: app", "name: c", 1), "pod.yaml", podYAML)

	e.ok("create " + pod.Id + " " + p[0] + " " + p[3])
	e.ok("create --no-pull " + pod.Id + " " + p[1] + " " + p[3])
	e.ok("create " + pod.Id + " " + p[2] + " " + p[3])
	want := []string{"PullImage", "CreateContainer", "CreateContainer", "PullImage", "PullImage", "CreateContainer"}
	if got := e.srv.Calls(); !slices.Equal(got, want) {
		t.Errorf("RPCs = %v, want %v", got, want)
	}
	if img := e.srv.Requests("PullImage")[2].(*runtimeapi.PullImageRequest).GetImage().GetImage(); img != "registry.example.com/data:1" {
		t.Errorf("image volume pulled %q", img)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod := seedPod(e)
	p := files(t, "ctr.yaml", ctrYAML, "pod.yaml", podYAML,
		"noimage.yaml", "metadata: {name: x}\n",
		"badref.yaml", "metadata: {name: x}\nimage: {image: 'Bad Ref'}\n",
		"badmount.yaml", "metadata: {name: x}\nimage: {image: busybox}\nmounts: [{container_path: /d, image: {image: 'UPPER'}}]\n",
	)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"create " + pod.Id + " " + p[0], []string{"create takes a pod, a container config file and a pod config file"}},
		{"create --no-pull --with-pull " + pod.Id + " " + p[0] + " " + p[1], []string{"--no-pull and --with-pull cannot be used together"}},
		{"create " + pod.Id + " " + p[2] + " " + p[1], []string{p[2] + ": .image: required field is missing"}},
		{"create " + pod.Id + " " + p[0] + " " + p[0], []string{p[0] + ": .command: unknown field"}},
		{"create --with-pull " + pod.Id + " " + p[3] + " " + p[1], []string{p[3] + ": .image.image: invalid reference format"}},
		{"create --with-pull " + pod.Id + " " + p[4] + " " + p[1], []string{p[4] + ": .mounts[0].image.image: invalid reference format", "lowercase"}},
		{"create --pull-timeout -1 " + pod.Id + " " + p[0] + " " + p[1], []string{"--pull-timeout"}},
		{"create jsonschema", []string{"--pod (-p), --container (-c) or both", "crictl create jsonschema --help"}},
	} {
		oneError(t, e.run(tc.cmd), tc.want...)
	}
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("invalid input made RPCs: %v", calls)
	}
	oneError(t, e.run("create nosuchpod "+p[0]+" "+p[1]), `pod sandbox "nosuchpod" not found`)
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"ListPodSandbox"}) {
		t.Errorf("unknown pod: RPCs = %v", calls)
	}
	e.srv.Inject("CreateContainer", crifake.Fault{Code: codes.Unknown, Message: "no space left", Times: 1})
	oneError(t, e.run("create "+pod.Id+" "+p[0]+" "+p[1]), "creating the container app", "no space left")
	e.srv.SetPullError("docker.io/library/busybox:1.36", errorStatus(codes.NotFound, "not found"))
	e.srv.ResetCalls()
	oneError(t, e.run("create --with-pull "+pod.Id+" "+p[0]+" "+p[1]), "pulling image: docker.io/library/busybox:1.36", "not found")
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"PullImage"}) {
		t.Errorf("failed pull: RPCs = %v", calls)
	}
}
