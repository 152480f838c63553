package commands

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

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

// testFactory is the one Factory of the command tests: the given streams
// and environment, the fixed clock, and UTC for the times the reference
// prints in local time, so golden files do not depend on the machine.
func testFactory(streams IOStreams, getenv func(string) string) *Factory {
	if streams.In == nil {
		streams.In = strings.NewReader("")
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Factory{
		IO:       streams,
		Now:      testNowFunc,
		Location: time.UTC,
		Getenv:   getenv,
		Version:  "v0.0.0-test",
	}
}

// factory is testFactory with the environment's variables.
func (e *env) factory(streams IOStreams) *Factory {
	return testFactory(streams, func(k string) string { return e.vars[k] })
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
	f := e.factory(IOStreams{In: strings.NewReader(e.stdin), Out: &out, ErrOut: &errOut, OutTTY: e.outTTY})
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
		t.Fatalf("%v (make golden creates it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (make golden rewrites it)\n--- want\n%s\n--- got\n%s", path, want, got)
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

// sortedCalls is the RPCs made, sorted (for calls made concurrently).
func sortedCalls(calls []string) []string {
	out := append([]string(nil), calls...)
	sort.Strings(out)
	return out
}

func podStateOf(s *crifake.Server, id string) (runtimeapi.PodSandboxState, bool) {
	for _, p := range s.Pods() {
		if p.Id == id {
			return p.State, true
		}
	}
	return 0, false
}

func ctrStateOf(t *testing.T, s *crifake.Server, id string) (runtimeapi.ContainerState, bool) {
	t.Helper()
	for _, c := range s.Containers() {
		if c.Id == id {
			return c.State, true
		}
	}
	return 0, false
}

// ioOpts are the streams and context of one run through runIO.
type ioOpts struct {
	ctx          context.Context
	stdin        string
	inTTY        bool
	errTTY       bool
	readPassword func(context.Context) ([]byte, error)
}

// runIO is runArgs with terminals, stdin and a context of the test's
// choosing.
func (e *env) runIO(o ioOpts, args ...string) result {
	e.t.Helper()
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	var out, errOut bytes.Buffer
	// The spinner writes stderr from its own goroutine.
	f := e.factory(IOStreams{In: strings.NewReader(o.stdin), Out: &out, ErrOut: &syncBuffer{b: &errOut},
		InTTY: o.inTTY, ErrTTY: o.errTTY})
	f.ReadPassword = o.readPassword
	done := make(chan int, 1)
	go func() { done <- Run(o.ctx, f, append([]string{"crictl"}, args...)) }()
	select {
	case code := <-done:
		return result{stdout: out.String(), stderr: errOut.String(), code: code}
	case <-time.After(30 * time.Second):
		e.t.Fatalf("crictl %s: did not return within 30s", strings.Join(args, " "))
	}
	return result{}
}

func errorStatus(c codes.Code, msg string) error { return status.Error(c, msg) }

// files writes config files into a fresh directory and returns their paths.
func files(t *testing.T, nameContent ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i+1 < len(nameContent); i += 2 {
		p := filepath.Join(dir, nameContent[i])
		if err := os.WriteFile(p, []byte(nameContent[i+1]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

const (
	podYAML = `metadata:
  name: web
  namespace: default
  uid: web-uid
log_directory: /var/log/pods/web
linux:
  security_context:
    namespace_options:
      network: 2
`
	podJSON = `{"metadata": {"name": "web", "namespace": "default", "uid": "web-uid"},
 "logDirectory": "/var/log/pods/web",
 "linux": {"securityContext": {"namespaceOptions": {"network": "NODE"}}}}`
	ctrYAML = `metadata:
  name: app
image:
  image: docker.io/library/busybox:1.36
  annotations: {pull-note: x}
command: [sh, -c, sleep 3600]
envs:
  - {key: GREETING, value: hello}
log_path: app/0.log
`
)
