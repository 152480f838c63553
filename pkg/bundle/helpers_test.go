package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/hostroot"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

// fakeNode is a fake runtime with kubelet-like pods and their log files
// under a host root.
type fakeNode struct {
	t        testing.TB
	srv      *crifake.Server
	endpoint string
	root     string
	conn     *cri.Conn
}

func newFakeNode(t testing.TB, timeout time.Duration) *fakeNode {
	t.Helper()
	srv, ep := crifake.Start(t)
	conn, err := cri.Dial(ep, cri.Options{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &fakeNode{t: t, srv: srv, endpoint: ep, root: t.TempDir(), conn: conn}
}

// logPath is where kubelet (and crifake) put a container's log.
func logPath(pod *runtimeapi.PodSandbox, name string, attempt uint32) string {
	md := pod.GetMetadata()
	return fmt.Sprintf("/var/log/pods/%s_%s_%s/%s/%d.log", md.GetNamespace(), md.GetName(), md.GetUid(), name, attempt)
}

// writeLog writes a file under the host root.
func (n *fakeNode) writeLog(hostPath, content string) {
	n.t.Helper()
	p := filepath.Join(n.root, hostPath)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		n.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		n.t.Fatal(err)
	}
}

func criLines(from, to int, stream string) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s %s F line %d\n", testNow.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), stream, i)
	}
	return b.String()
}

// seed is the standard node: a ready pod with a running container and a
// restarted one (attempt 2, exited 3), a pod in kube-system, logs for all.
type seeded struct {
	web, dns           *runtimeapi.PodSandbox
	nginx, migrate, co *runtimeapi.Container
}

func (n *fakeNode) seed() *seeded {
	s := &seeded{}
	s.web = crifake.KubeletPod("web-5wpwzq2zt6-rg7jx", "default", 0, ago(2*time.Hour), true)
	s.dns = crifake.KubeletPod("coredns-5d78c9869d-x2kqv", "kube-system", 0, ago(3*time.Hour), true)
	n.srv.AddPod(s.web)
	n.srv.AddPod(s.dns)
	run := runtimeapi.ContainerState_CONTAINER_RUNNING
	s.nginx = crifake.KubeletContainer(s.web, "nginx", 0, "docker.io/library/nginx:1.27", run, ago(time.Hour))
	s.migrate = crifake.KubeletContainer(s.web, "migrate", 2, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, ago(30*time.Minute))
	s.co = crifake.KubeletContainer(s.dns, "coredns", 0, "registry.k8s.io/coredns/coredns:v1.11.1", run, ago(3*time.Hour))
	n.srv.AddContainer(s.nginx)
	n.srv.AddContainer(s.migrate, crifake.WithExitCode(3), crifake.WithReason("Error", "boom"), crifake.WithFinishedAt(ago(29*time.Minute)))
	n.srv.AddContainer(s.co)
	n.srv.AddImage(crifake.KubeletImage("docker.io/library/nginx:1.27", 72_000_000))
	n.srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 2_000_000))
	n.srv.AddImage(crifake.KubeletImage("registry.k8s.io/coredns/coredns:v1.11.1", 18_000_000))
	n.writeLog(logPath(s.web, "nginx", 0), criLines(0, 5, "stdout"))
	n.writeLog(logPath(s.web, "migrate", 2), criLines(10, 12, "stderr"))
	n.writeLog(logPath(s.web, "migrate", 1), criLines(5, 8, "stdout"))
	n.writeLog(logPath(s.dns, "coredns", 0), criLines(0, 3, "stdout"))
	return s
}

func (n *fakeNode) collector(o Options) *Collector {
	n.t.Helper()
	if o.Root == nil {
		root, err := hostroot.New(n.root)
		if err != nil {
			n.t.Fatal(err)
		}
		o.Root = root
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.Node == "" {
		o.Node = "node-a"
	}
	if o.CrictlVersion == "" {
		o.CrictlVersion = "v0.0.0-test"
	}
	o.Endpoint = n.endpoint
	return &Collector{Runtime: n.conn.Runtime(), Images: n.conn.Image(), Options: o}
}

// take collects a bundle into DIR/bundle.tar.gz and returns it opened.
func (n *fakeNode) take(o Options) (*archive, *Result) {
	n.t.Helper()
	dest := filepath.Join(n.t.TempDir(), "bundle.tar.gz")
	sink, err := NewFileSink(dest, false, testNow)
	if err != nil {
		n.t.Fatal(err)
	}
	res, err := n.collector(o).Collect(context.Background(), sink)
	if err != nil {
		n.t.Fatalf("Collect: %v", err)
	}
	return readArchive(n.t, dest), res
}

// archive is a bundle read back: members in order.
type archive struct {
	raw     []byte // the tar.gz as it is
	names   []string
	headers map[string]*tar.Header
	files   map[string][]byte
}

func readArchive(t testing.TB, p string) *archive {
	t.Helper()
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return readArchiveBytes(t, raw)
}

func readArchiveBytes(t testing.TB, raw []byte) *archive {
	t.Helper()
	a := &archive{raw: raw, headers: map[string]*tar.Header{}, files: map[string][]byte{}}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		a.names = append(a.names, h.Name)
		a.headers[h.Name] = h
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			a.files[h.Name] = b
		}
	}
	return a
}

func (a *archive) manifest(t testing.TB) *Manifest {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(a.files["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, a.files["manifest.json"])
	}
	return &m
}

// checkSums checks that the manifest lists every file but itself with its
// size and sha256, and nothing else.
func (a *archive) checkSums(t testing.TB) {
	t.Helper()
	m := a.manifest(t)
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
		b, ok := a.files[f.Path]
		if !ok {
			t.Errorf("manifest lists %s, not in the archive", f.Path)
			continue
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: %d bytes, sha256 %x; the manifest says %d, %s", f.Path, len(b), sum, f.Bytes, f.SHA256)
		}
	}
	for name := range a.files {
		if name != "manifest.json" && !listed[name] {
			t.Errorf("%s is not in the manifest", name)
		}
	}
}

func (a *archive) errorsOf(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, e := range a.manifest(t).Errors {
		fmt.Fprintf(&b, "%s %s: %s\n", e.Object, e.Source, e.Error)
	}
	return b.String()
}
