package commands

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

func TestMain(m *testing.M) {
	// inspect prints times in local time, as the reference does; pin it so
	// golden files do not depend on the machine's zone.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// testNow is the clock of every command test: two hours after the fake
// runtime's first timestamp, so ages read "2 hours ago" forever.
var testNow = crifake.FixedTime.Add(2 * time.Hour)

type result struct {
	stdout, stderr string
	code           int
}

type env struct {
	t        *testing.T
	srv      *crifake.Server
	endpoint string
	vars     map[string]string
	stdin    string
	outTTY   bool
}

// newEnv starts a fake runtime with no objects and an empty config file.
func newEnv(t *testing.T) *env {
	t.Helper()
	srv, ep := crifake.Start(t)
	cfg := filepath.Join(t.TempDir(), "crictl.yaml")
	if err := os.WriteFile(cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, endpoint: ep, vars: map[string]string{
		"CRI_CONFIG_FILE":            cfg,
		"CONTAINER_RUNTIME_ENDPOINT": ep,
	}}
}

// run runs one command line (split on spaces; use runArgs for arguments
// with spaces) and returns its streams and exit code.
func (e *env) run(cmdline string) result {
	e.t.Helper()
	return e.runArgs(strings.Fields(cmdline)...)
}

func (e *env) runArgs(args ...string) result {
	e.t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:               IOStreams{In: strings.NewReader(e.stdin), Out: &out, ErrOut: &errOut, OutTTY: e.outTTY},
		Now:              func() time.Time { return testNow },
		Getenv:           func(k string) string { return e.vars[k] },
		DefaultEndpoints: nil,
		Version:          "v0.0.0-test",
	}
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), f, append([]string{"crictl"}, args...)) }()
	select {
	case code := <-done:
		return result{stdout: out.String(), stderr: errOut.String(), code: code}
	case <-time.After(30 * time.Second):
		e.t.Fatalf("crictl %s: did not return within 30s", strings.Join(args, " "))
	}
	return result{}
}

// ok runs a command that must succeed and returns its stdout.
func (e *env) ok(cmdline string) string {
	e.t.Helper()
	r := e.run(cmdline)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("crictl %s: exit %d, stderr %q", cmdline, r.code, r.stderr)
	}
	return r.stdout
}

// golden compares got with testdata/<name>.golden, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

func testNowFunc() time.Time { return testNow }

// node is a small kubelet-shaped node: kube-system pods, default pods, a pod
// in kube-system-extra (exact namespace matching), a pod made without
// kubelet labels, their containers (one exited), the pause containers the
// runtime lists, and the images.
type node struct {
	coredns, proxy, web, extra, bare *runtimeapi.PodSandbox
	corednsC, proxyC, webC, sidecar  *runtimeapi.Container
	webOld, extraC, bareC            *runtimeapi.Container
}

func (e *env) node() *node {
	n := &node{}
	s := e.srv
	n.coredns = crifake.KubeletPod("coredns-5d78c9869d-x2kqv", "kube-system", 0, ago(3*time.Hour), true)
	n.proxy = crifake.KubeletPod("kube-proxy-xk2p9", "kube-system", 1, ago(5*24*time.Hour), true)
	n.web = crifake.KubeletPod("web-5wpwzq2zt6-rg7jx", "default", 0, ago(90*time.Minute), true)
	n.extra = crifake.KubeletPod("metrics-agent", "kube-system-extra", 0, ago(50*time.Minute), true)
	n.bare = &runtimeapi.PodSandbox{
		Id:        crifake.MakeID("bare"),
		Metadata:  &runtimeapi.PodSandboxMetadata{Name: "debug-sandbox", Namespace: "ops", Uid: "bare-uid", Attempt: 1},
		State:     runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		CreatedAt: ago(10 * time.Minute).UnixNano(),
	}
	for _, p := range []*runtimeapi.PodSandbox{n.coredns, n.proxy, n.web, n.extra, n.bare} {
		s.AddPod(p)
		s.AddContainer(crifake.PauseContainer(p))
	}
	run := runtimeapi.ContainerState_CONTAINER_RUNNING
	n.corednsC = crifake.KubeletContainer(n.coredns, "coredns", 0, "registry.k8s.io/coredns/coredns:v1.11.1", run, ago(3*time.Hour))
	n.proxyC = crifake.KubeletContainer(n.proxy, "kube-proxy", 1, "registry.k8s.io/kube-proxy:v1.36.0", run, ago(4*24*time.Hour))
	n.webC = crifake.KubeletContainer(n.web, "nginx", 0, "docker.io/library/nginx:1.27", run, ago(89*time.Minute))
	n.sidecar = crifake.KubeletContainer(n.web, "log-shipper", 0, "docker.io/library/busybox:1.36", run, ago(88*time.Minute))
	n.webOld = crifake.KubeletContainer(n.web, "migrate", 2, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, ago(80*time.Minute))
	n.extraC = crifake.KubeletContainer(n.extra, "agent", 0, "docker.io/library/busybox:1.36", run, ago(49*time.Minute))
	n.bareC = &runtimeapi.Container{
		Id:           crifake.MakeID("bare-ctr"),
		PodSandboxId: n.bare.Id,
		Metadata:     &runtimeapi.ContainerMetadata{Name: "shell"},
		Image:        &runtimeapi.ImageSpec{Image: "docker.io/library/busybox:1.36"},
		ImageRef:     crifake.ImageID("docker.io/library/busybox:1.36"),
		State:        runtimeapi.ContainerState_CONTAINER_CREATED,
		CreatedAt:    ago(9 * time.Minute).UnixNano(),
	}
	s.AddContainer(n.corednsC)
	s.AddContainer(n.proxyC)
	s.AddContainer(n.webC)
	s.AddContainer(n.sidecar)
	s.AddContainer(n.webOld, crifake.WithExitCode(3), crifake.WithFinishedAt(ago(79*time.Minute)), crifake.WithReason("Error", ""))
	s.AddContainer(n.extraC)
	s.AddContainer(n.bareC)
	s.AddImage(crifake.KubeletImage("registry.k8s.io/coredns/coredns:v1.11.1", 18_200_000))
	s.AddImage(crifake.KubeletImage("registry.k8s.io/kube-proxy:v1.36.0", 30_100_000))
	s.AddImage(crifake.KubeletImage("docker.io/library/nginx:1.27", 72_400_000))
	s.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 2_150_000))
	s.AddImage(crifake.KubeletImage(crifake.DefaultSandboxImage, 320_000))
	return n
}
