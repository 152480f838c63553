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
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func podRequest(t *testing.T, srv *crifake.Server, i int) *runtimeapi.RunPodSandboxRequest {
	t.Helper()
	reqs := srv.Requests("RunPodSandbox")
	if len(reqs) <= i {
		t.Fatalf("%d RunPodSandbox requests, want more than %d", len(reqs), i)
	}
	return reqs[i].(*runtimeapi.RunPodSandboxRequest)
}

func TestRunp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", podYAML, "pod.json", podJSON)
	out := e.ok("runp " + p[0])
	pods := e.srv.Pods()
	if len(pods) != 1 || out != pods[0].Id+"\n" {
		t.Fatalf("runp printed %q; pods %v", out, pods)
	}
	if got := e.srv.Calls(); !slices.Equal(got, []string{"RunPodSandbox"}) {
		t.Errorf("RPCs = %v", got)
	}
	snake := podRequest(t, e.srv, 0)
	if snake.GetRuntimeHandler() != "" || snake.GetConfig().GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() != runtimeapi.NamespaceMode_NODE {
		t.Errorf("request: %v", snake)
	}
	// The camelCase file (inspect's spelling, enum names) is the same pod;
	// -r sets the runtime handler.
	e.srv.Inject("RunPodSandbox", crifake.Fault{Code: codes.AlreadyExists, Message: "name reserved", Times: 1})
	oneError(t, e.run("runp -r kata "+p[1]), "running the pod web", "name reserved")
	camel := podRequest(t, e.srv, 1)
	if !proto.Equal(camel.GetConfig(), snake.GetConfig()) || camel.GetRuntimeHandler() != "kata" {
		t.Errorf("camelCase request differs: %v\nvs %v", camel, snake)
	}
	if js := e.ok("runp jsonschema"); !strings.Contains(js, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) || js != e.ok("runp js") {
		t.Errorf("runp jsonschema: %.100q", js)
	}
}

func TestRunpUIDDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", "metadata: {name: a, namespace: b}\n")
	e.ok("runp " + p[0])
	if uid := podRequest(t, e.srv, 0).GetConfig().GetMetadata().GetUid(); len(uid) != 36 {
		t.Errorf("uid %q, want a random UUID", uid)
	}
}

func TestRunpErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t,
		"unknown.yaml", "metadata: {name: a, namespace: b}\nlinux: {security_context: {bogus: 1}}\n",
		"number.json", `{"metadata":{"name":5,"namespace":"b"}}`,
		"enum.yaml", "metadata: {name: a, namespace: b}\nlinux: {security_context: {namespace_options: {network: 9}}}\n",
		"nons.yaml", "metadata: {name: a}\n",
	)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"runp", []string{"runp takes one pod config file", "crictl runp --help"}},
		{"runp a b", []string{"got 2 arguments"}},
		{"runp " + p[0], []string{p[0] + ": .linux.security_context.bogus: unknown field"}},
		{"runp " + p[1], []string{p[1] + ": .metadata.name: want a string, got the number 5"}},
		{"runp " + p[2], []string{".linux.security_context.namespace_options.network: 9 is not a NamespaceMode"}},
		{"runp " + p[3], []string{".metadata.namespace: required field is missing"}},
		{"runp " + filepath.Join(t.TempDir(), "none.yaml"), []string{"none.yaml: no such file or directory"}},
		{"runp -T -1s " + p[0], []string{"--cancel-timeout"}},
		{"runp -T soon " + p[0], []string{"--cancel-timeout"}},
		{"runp jsonschema extra", []string{"takes no arguments"}},
	} {
		oneError(t, e.run(tc.cmd), tc.want...)
	}
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("invalid input made RPCs: %v", calls)
	}
}

// RunPodSandbox gets twice --timeout, or --cancel-timeout when given.
func TestRunpTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", podYAML, "pod2.yaml", strings.Replace(podYAML, "web-uid", "other", 1))
	e.srv.Inject("RunPodSandbox", crifake.Fault{Delay: 1500 * time.Millisecond, Times: 2})
	if r := e.run("--timeout 1s runp " + p[0]); r.code != 0 {
		t.Errorf("RunPodSandbox taking 1.5s with --timeout 1s (bound 2s) failed: %q", r.stderr)
	}
	oneError(t, e.run("--timeout 1s runp -T 500ms "+p[1]), "did not answer within 500ms")
}

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
	oneError(t, e.run("create nosuchpod "+p[0]+" "+p[1]), `no pod matches "nosuchpod"`)
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"ListPodSandbox"}) {
		t.Errorf("unknown pod: RPCs = %v", calls)
	}
	e.srv.Inject("CreateContainer", crifake.Fault{Code: codes.Unknown, Message: "no space left", Times: 1})
	oneError(t, e.run("create "+pod.Id+" "+p[0]+" "+p[1]), "creating the container app", "no space left")
	e.srv.SetPullError("docker.io/library/busybox:1.36", errorStatus(codes.NotFound, "not found"))
	e.srv.ResetCalls()
	oneError(t, e.run("create --with-pull "+pod.Id+" "+p[0]+" "+p[1]), "pulling docker.io/library/busybox:1.36", "not found")
	if calls := e.srv.Calls(); !slices.Equal(calls, []string{"PullImage"}) {
		t.Errorf("failed pull: RPCs = %v", calls)
	}
}

func TestCreateRunSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod, ctr := e.ok("create jsonschema --pod"), e.ok("run js -c")
	if !strings.Contains(pod, `"title": "PodSandboxConfig"`) || !strings.Contains(ctr, `"title": "ContainerConfig"`) {
		t.Errorf("schemas: %.80q %.80q", pod, ctr)
	}
	if both := e.ok("create js -pc"); both != pod+ctr {
		t.Errorf("create js -pc is not the pod schema then the container schema")
	}
	if len(e.srv.Calls()) != 0 {
		t.Errorf("jsonschema made RPCs")
	}
}

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
	oneError(t, e.run("run "+p[0]+" "+p[1]), "pulling docker.io/library/busybox:1.36", "manifest unknown")
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
		!strings.Contains(lines[1], `no container matches "nosuch"`) {
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

func TestCompletionCreateStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	complete := func(words ...string) string {
		return e.runArgs(append([]string{"__complete"}, words...)...).stdout
	}
	if out := complete("start", ""); !strings.Contains(out, "\nnginx\n") && !strings.HasPrefix(out, "nginx\n") {
		t.Errorf("start does not complete containers: %q", out)
	}
	if out := complete("create", ""); !strings.Contains(out, n.web.Id) {
		t.Errorf("create does not complete pods: %q", out)
	}
	if out := complete("create", "web", ""); out != "" {
		t.Errorf("create's config file arguments completed as pods: %q", out)
	}
	if out := complete("pull", ""); !strings.Contains(out, "docker.io/library/nginx:1.27") {
		t.Errorf("pull does not complete images: %q", out)
	}
}
