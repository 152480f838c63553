package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestBundleLayout(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	s := n.seed()
	a, res := n.take(Options{})
	if res.Errors() != 0 {
		t.Fatalf("errors:\n%s", a.errorsOf(t))
	}
	if a.names[0] != "summary.txt" || a.names[1] != "summary.json" || a.names[len(a.names)-1] != "manifest.json" {
		t.Errorf("summary.txt first, summary.json second and manifest.json last: %q", a.names)
	}
	web := "pods/default/web-5wpwzq2zt6-rg7jx"
	for _, want := range []string{
		"version.json", "info.json", "runtime-config.json", "imagefsinfo.json", "images.json", "pods.json", "containers.json", "stats.json", "statsp.json",
		web + "/pod.json", web + "/nginx/container.json", web + "/nginx/current.log",
		web + "/migrate/container.json", web + "/migrate/current.log", web + "/migrate/previous.log",
		"pods/kube-system/coredns-5d78c9869d-x2kqv/coredns/current.log",
		"images/" + component(crifake.ImageID("docker.io/library/nginx:1.27")) + ".json",
	} {
		if _, ok := a.files[want]; !ok {
			t.Errorf("no %s in %q", want, a.names)
		}
	}
	// Modes, owners, no links.
	for name, h := range a.headers {
		switch h.Typeflag {
		case tar.TypeReg:
			if h.Mode != 0o600 {
				t.Errorf("%s: mode %o", name, h.Mode)
			}
		case tar.TypeDir:
			if h.Mode != 0o700 || !strings.HasSuffix(name, "/") {
				t.Errorf("%s: directory mode %o", name, h.Mode)
			}
		default:
			t.Errorf("%s: type %c: only files and directories belong in a bundle", name, h.Typeflag)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !validMember(strings.TrimSuffix(name, "/")) {
			t.Errorf("%s: owner %d:%d %q", name, h.Uid, h.Gid, h.Uname)
		}
	}
	a.checkSums(t)

	// The documents are the commands' -o json documents.
	var ctr map[string]any
	if err := json.Unmarshal(a.files[web+"/nginx/container.json"], &ctr); err != nil {
		t.Fatal(err)
	}
	if ctr["status"].(map[string]any)["id"] != s.nginx.Id || ctr["info"] == nil {
		t.Errorf("container.json: %s", a.files[web+"/nginx/container.json"])
	}
	if got, want := string(a.files[web+"/migrate/previous.log"]), testNow.Add(5*time.Second).Format("2006-01-02T15:04:05.000000000Z")+" stdout line 5\n"; !strings.HasPrefix(got, want) {
		t.Errorf("previous.log = %q, want lines starting %q", got, want)
	}
	if got := string(a.files[web+"/migrate/current.log"]); !strings.Contains(got, " stderr line 11\n") {
		t.Errorf("current.log = %q", got)
	}

	// The summary tells the story.
	sum := string(a.files["summary.txt"])
	for _, want := range []string{"node node-a", "fakeruntime 0.1.0 (CRI v1)", "RuntimeReady=true, NetworkReady=true",
		"Pods:       2 (2 ready, 0 not ready)", "Containers: 3: 1 exited, 2 running", "Images:     3",
		"Containers not running (1):", "migrate", "Exited", "Error", "Restarted containers (1):", web + "/migrate"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, sum)
		}
	}
	m := a.manifest(t)
	if !m.Complete || m.Counts != (Counts{Pods: 2, Containers: 3, Images: 3, Logs: 4}) || m.Node != "node-a" {
		t.Errorf("manifest: complete %v counts %+v", m.Complete, m.Counts)
	}
	for _, f := range m.Files {
		if f.Source == "" {
			t.Errorf("%s has no source", f.Path)
		}
	}

	// The same state taken twice differs only in times: here (a fixed
	// clock) only the stats, whose samples the fake stamps afresh, and
	// their sums in the manifest.
	b, _ := n.take(Options{})
	if !slices.Equal(a.names, b.names) {
		t.Errorf("two bundles of the same state have different members:\n%q\n%q", a.names, b.names)
	}
	for name, content := range a.files {
		if !bytes.Equal(content, b.files[name]) && name != "stats.json" && name != "statsp.json" && name != "manifest.json" {
			t.Errorf("two bundles of the same state differ in %s", name)
		}
	}
}

// Matrix cases 47 and 48: canaries planted where secrets live are absent
// from every byte of the bundle, and the manifest counts the redactions.
func TestBundleRedactsCanaries(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	n.srv.StatusInfo = map[string]string{"config": `{"registry":{"configs":{"reg.example":{"auth":{"username":"u","password":"canary4"}}},"mirrors":{"docker.io":{"endpoint":["https://u:canary5@mirror.example"]}}}}`}
	pod := crifake.KubeletPod("db-0", "prod", 0, ago(time.Hour), true)
	pod.Annotations = map[string]string{"api-token": "canary2", "team": "data"}
	n.srv.AddPod(pod)
	ctr := crifake.KubeletContainer(pod, "postgres", 0, "docker.io/library/postgres:16", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour))
	n.srv.AddContainer(ctr, crifake.WithEnv("DB_PASSWORD=canary1", "PGDATA=/data"))
	n.srv.AddImage(crifake.KubeletImage("docker.io/library/postgres:16", 1000), crifake.WithImageEnv("API_KEY=canary3"))
	// The application logs its password, and a credential of the user's
	// docker config.json, split across two log files.
	n.writeLog(logPath(pod, "postgres", 0)+".20260101-000000", criLines(0, 1, "stdout")+
		testNow.Format(time.RFC3339Nano)+" stdout F connecting with password canary1\n")
	n.writeLog(logPath(pod, "postgres", 0), testNow.Format(time.RFC3339Nano)+" stderr F auth canary6-from-config.json failed\n")

	a, res := n.take(Options{Secrets: []string{"canary6-from-config.json"}})
	if res.Errors() != 0 {
		t.Fatalf("errors:\n%s", a.errorsOf(t))
	}
	raw, err := gunzip(a.raw)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(raw, []byte("canary")); i >= 0 {
		t.Errorf("a canary is in the archive: ...%s...", raw[max(0, i-200):min(len(raw), i+50)])
	}
	for name, b := range a.files {
		if bytes.Contains(b, []byte("canary")) {
			t.Errorf("%s holds a canary", name)
		}
	}
	ctrDoc := string(a.files["pods/prod/db-0/postgres/container.json"])
	for _, keep := range []string{`"DB_PASSWORD=<redacted>"`, "PGDATA=/data"} {
		if !strings.Contains(ctrDoc, keep) {
			t.Errorf("container.json lacks %s", keep)
		}
	}
	if log := string(a.files["pods/prod/db-0/postgres/current.log"]); !strings.Contains(log, "password <redacted>") || !strings.Contains(log, "auth <redacted> failed") {
		t.Errorf("current.log: %q", log)
	}
	m := a.manifest(t)
	if !m.Redaction.Enabled || m.Redaction.Marker != "<redacted>" || m.Redaction.Total == 0 ||
		m.Redaction.ByRule["env"] == 0 || m.Redaction.ByRule["key"] == 0 || m.Redaction.ByRule["literal"] < 2 || m.Redaction.ByRule["url"] != 1 {
		t.Errorf("redaction report: %+v", m.Redaction)
	}
	perFile := 0
	for _, f := range m.Files {
		perFile += f.Redactions
	}
	if perFile != m.Redaction.Total {
		t.Errorf("files count %d redactions, the total is %d", perFile, m.Redaction.Total)
	}

	// --no-redact is the only way out.
	b, _ := n.take(Options{NoRedact: true})
	raw, _ = gunzip(b.raw)
	for _, c := range []string{"canary1", "canary2", "canary3", "canary4", "canary6"} {
		if !bytes.Contains(raw, []byte(c)) {
			t.Errorf("--no-redact: %s missing", c)
		}
	}
	if bm := b.manifest(t); bm.Redaction.Enabled || bm.Redaction.Total != 0 {
		t.Errorf("--no-redact manifest: %+v", bm.Redaction)
	}
}

func gunzip(b []byte) ([]byte, error) {
	a := &bytes.Buffer{}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	_, err = a.ReadFrom(zr)
	return a.Bytes(), err
}

// Matrix case 52: a runtime that stops answering, and RPCs it does not
// have, give a bundle with the failures listed, within the deadline.
func TestBundleFailingRuntime(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 300*time.Millisecond)
	n.seed()
	for i := range 5 {
		n.srv.AddImage(crifake.KubeletImage(fmt.Sprintf("docker.io/library/extra:%d", i), 1000))
	}
	for _, m := range []string{"ListContainerStats", "ListPodSandboxStats", "RuntimeConfig"} {
		n.srv.Inject(m, crifake.Fault{Code: codes.Unimplemented})
	}
	n.srv.Inject("ImageStatus", crifake.Fault{Block: true})
	n.srv.Inject("PodSandboxStatus", crifake.Fault{Block: true})
	start := time.Now()
	a, res := n.take(Options{Parallel: 2, Now: time.Now})
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the bundle took %v", d)
	}
	m := a.manifest(t)
	if res.Errors() == 0 || m.Complete {
		t.Fatalf("no errors for a hung runtime")
	}
	errs := a.errorsOf(t)
	for _, want := range []string{"rpc PodSandboxStatus", "rpc ImageStatus", "not attempted: the runtime left 3 calls in a row unanswered"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q:\n%s", want, errs)
		}
	}
	for _, s := range []string{"ListContainerStats", "ListPodSandboxStats", "RuntimeConfig"} {
		if strings.Contains(errs, s) || !slices.ContainsFunc(m.Skipped, func(k Skip) bool { return k.Source == "rpc "+s }) {
			t.Errorf("%s: Unimplemented must be a skip, not an error", s)
		}
	}
	// What answered is there: the lists, the containers, their logs.
	for _, want := range []string{"pods.json", "containers.json", "pods/default/web-5wpwzq2zt6-rg7jx/nginx/container.json", "pods/default/web-5wpwzq2zt6-rg7jx/nginx/current.log"} {
		if _, ok := a.files[want]; !ok {
			t.Errorf("%s missing", want)
		}
	}
	a.checkSums(t)
}

// The deadline bounds the whole bundle even when every call is slow.
func TestBundleDeadline(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 5*time.Second)
	n.seed()
	n.srv.Inject("ContainerStatus", crifake.Fault{Delay: 2 * time.Second})
	start := time.Now()
	a, _ := n.take(Options{Deadline: 500 * time.Millisecond, Now: time.Now})
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("a 500ms deadline took %v", d)
	}
	if errs := a.errorsOf(t); !strings.Contains(errs, "the deadline (500ms) passed") {
		t.Errorf("errors:\n%s", errs)
	}
	if _, ok := a.files["summary.txt"]; !ok {
		t.Errorf("no summary")
	}
}

// No runtime at all: a bundle that says so.
func TestBundleNoRuntime(t *testing.T) {
	t.Parallel()
	dest := filepath.Join(t.TempDir(), "b.tar.gz")
	sink, err := NewFileSink(dest, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	c := &Collector{ConnectError: errors.New("no runtime endpoint is configured"), Options: Options{Node: "n", Now: func() time.Time { return testNow }}}
	res, err := c.Collect(context.Background(), sink)
	if err != nil {
		t.Fatal(err)
	}
	a := readArchive(t, dest)
	if res.Errors() != 1 || !strings.Contains(string(a.files["summary.txt"]), "connecting to the runtime: no runtime endpoint") {
		t.Errorf("errors %d, summary:\n%s", res.Errors(), a.files["summary.txt"])
	}
}

// Matrix case 72: the current file and its rotations (kubelet's
// timestamped and compressed ones, .tmp skipped) in time order, under the
// byte caps, with the path checks of case 53.
func TestBundleRotatedLogs(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	pod := crifake.KubeletPod("app-1", "default", 0, ago(time.Hour), true)
	n.srv.AddPod(pod)
	ctr := crifake.KubeletContainer(pod, "app", 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour))
	n.srv.AddContainer(ctr)
	lp := logPath(pod, "app", 0)
	n.writeLog(lp, criLines(20, 25, "stdout"))
	n.writeLog(lp+".20260101-000000", criLines(10, 20, "stdout"))
	n.writeLog(lp+".20251231-000000.gz", gz(t, criLines(0, 10, "stderr")))
	n.writeLog(lp+".20260101-000000.tmp", "TMP-CONTENT\n")
	// A rotated sibling that is a link (here out of the directory): skipped, never read.
	n.writeLog("/etc/shadow", criLines(100, 101, "stdout")+"SHADOW-CANARY\n")
	if err := os.Symlink("/etc/shadow", filepath.Join(n.root, lp+".20260101-000001")); err != nil {
		t.Fatal(err)
	}
	a, _ := n.take(Options{LogLines: -1})
	got := string(a.files["pods/default/app-1/app/current.log"])
	var want strings.Builder
	for i := range 25 {
		stream := "stdout"
		if i < 10 {
			stream = "stderr"
		}
		fmt.Fprintf(&want, "%s %s line %d\n", testNow.Add(time.Duration(i)*time.Second).Format("2006-01-02T15:04:05.000000000Z"), stream, i)
	}
	if got != want.String() {
		t.Errorf("current.log:\n%s\nwant\n%s", got, want.String())
	}
	m := a.manifest(t)
	f := m.Files[slices.IndexFunc(m.Files, func(f File) bool { return f.Path == "pods/default/app-1/app/current.log" })]
	if !slices.ContainsFunc(f.Warnings, func(w string) bool { return strings.Contains(w, "is a symbolic link; rotated logs never are") }) || f.Truncated {
		t.Errorf("the link's warning: %+v", f)
	}
	raw, _ := gunzip(a.raw)
	if bytes.Contains(raw, []byte("SHADOW-CANARY")) || bytes.Contains(raw, []byte("TMP-CONTENT")) {
		t.Errorf("the bundle holds a linked or .tmp file's content")
	}

	// --log-lines, --log-bytes: the newest lines, whole.
	a, _ = n.take(Options{LogLines: 7})
	if got := string(a.files["pods/default/app-1/app/current.log"]); strings.Count(got, "\n") != 7 || !strings.HasSuffix(got, " line 24\n") {
		t.Errorf("--log-lines 7:\n%s", got)
	}
	a, _ = n.take(Options{LogLines: -1, LogBytes: 200})
	got = string(a.files["pods/default/app-1/app/current.log"])
	if len(got) > 200 || !strings.HasSuffix(got, " line 24\n") || !strings.HasPrefix(got, "2026-") {
		t.Errorf("--log-bytes 200 (%d bytes):\n%s", len(got), got)
	}
	m = a.manifest(t)
	if i := slices.IndexFunc(m.Files, func(f File) bool { return f.Path == "pods/default/app-1/app/current.log" }); !m.Files[i].Truncated {
		t.Errorf("a cut log is not marked truncated")
	}
}

func TestBundleMaxBytes(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	n.seed()
	full, _ := n.take(Options{})
	docs := int64(0)
	for name, b := range full.files {
		if !strings.HasSuffix(name, ".log") && name != "manifest.json" {
			docs += int64(len(b))
		}
	}
	// Room for the documents and 100 bytes of logs.
	a, _ := n.take(Options{MaxBytes: docs + 100})
	m := a.manifest(t)
	logBytes := int64(0)
	for _, f := range m.Files {
		if strings.HasSuffix(f.Path, ".log") {
			logBytes += f.Bytes
		}
	}
	if logBytes > 100 || !slices.ContainsFunc(m.Skipped, func(s Skip) bool { return strings.Contains(s.Reason, "--max-bytes") }) {
		t.Errorf("--max-bytes: %d bytes of logs, skipped %+v", logBytes, m.Skipped)
	}
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBundleSelection(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	s := n.seed()
	ns, _ := kube.NamespaceMatcher("kube-system", false)
	a, _ := n.take(Options{Select: kube.Selector{Namespace: ns}})
	if _, ok := a.files["pods/kube-system/coredns-5d78c9869d-x2kqv/coredns/container.json"]; !ok || hasPrefix(a, "pods/default/") {
		t.Errorf("--namespace kube-system: %q", a.names)
	}
	if img := imagesIn(a); len(img) != 1 {
		t.Errorf("--namespace: images %q, want coredns's only", img)
	}
	name, _ := kube.NameMatcher("migr", false)
	a, _ = n.take(Options{Select: kube.Selector{Name: name}})
	if _, ok := a.files["pods/default/web-5wpwzq2zt6-rg7jx/migrate/container.json"]; !ok || hasPrefix(a, "pods/default/web-5wpwzq2zt6-rg7jx/nginx/") || hasPrefix(a, "pods/kube-system/") {
		t.Errorf("--name migr: %q", a.names)
	}
	a, _ = n.take(Options{Pod: s.web.Id[:8]})
	if _, ok := a.files["pods/default/web-5wpwzq2zt6-rg7jx/pod.json"]; !ok || hasPrefix(a, "pods/kube-system/") {
		t.Errorf("--pod PREFIX: %q", a.names)
	}
	labels, _ := kube.ParseLabels(nil, "io.kubernetes.pod.namespace=kube-system")
	a, _ = n.take(Options{Select: kube.Selector{Labels: labels}})
	if hasPrefix(a, "pods/default/") || !hasPrefix(a, "pods/kube-system/") {
		t.Errorf("--selector: %q", a.names)
	}
	a, res := n.take(Options{Pod: "nothing-like-it"})
	if res.Errors() != 1 || !strings.Contains(a.errorsOf(t), "nothing-like-it") {
		t.Errorf("--pod that names nothing: %s", a.errorsOf(t))
	}
}

func hasPrefix(a *archive, p string) bool {
	return slices.ContainsFunc(a.names, func(n string) bool { return strings.HasPrefix(n, p) })
}

func imagesIn(a *archive) []string {
	var out []string
	for _, n := range a.names {
		if strings.HasPrefix(n, "images/") && strings.HasSuffix(n, ".json") {
			out = append(out, n)
		}
	}
	return out
}

// Matrix case 50: names from the runtime never leave pods/, never hold
// odd bytes, and stay unique.
func TestBundleMemberNames(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	evil := []*runtimeapi.PodSandbox{
		crifake.KubeletPod("../../etc/passwd", "../..", 0, ago(time.Hour), true),
		crifake.KubeletPod("a\nb\x00c/d", "ns/x", 0, ago(time.Hour), true),
		crifake.KubeletPod(strings.Repeat("x", 300), "", 0, ago(time.Hour), true),
		crifake.KubeletPod(strings.Repeat("x", 300), "", 1, ago(time.Minute), true),
		crifake.KubeletPod("..", "..", 0, ago(time.Hour), true),
	}
	for _, p := range evil {
		n.srv.AddPod(p)
		n.srv.AddContainer(crifake.KubeletContainer(p, "../ctr\x1b[31m", 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour)))
		n.srv.AddContainer(crifake.KubeletContainer(p, "../ctr\x1b[31m", 1, "busybox", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Hour)))
	}
	a, _ := n.take(Options{})
	dirs := map[string]bool{}
	for _, name := range a.names {
		clean := strings.TrimSuffix(name, "/")
		if !validMember(clean) || strings.ContainsAny(clean, "\n\x00\x1b\\") {
			t.Errorf("member %q", name)
		}
		for _, c := range strings.Split(clean, "/") {
			if len(c) > maxComponent {
				t.Errorf("member %q: a component of %d bytes", name, len(c))
			}
		}
		if strings.HasSuffix(name, "/container.json") {
			dirs[filepath.Dir(name)] = true
		}
	}
	if len(dirs) != 2*len(evil) {
		t.Errorf("%d container directories for %d containers: %q", len(dirs), 2*len(evil), a.names)
	}
}

// ordered keeps the order and at most 2*limit results ahead of the writer.
func TestOrdered(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int64
	var got []int
	err := ordered(context.Background(), 100, 4, func(i int) int {
		v := inFlight.Add(1)
		for {
			p := peak.Load()
			if v <= p || peak.CompareAndSwap(p, v) {
				break
			}
		}
		time.Sleep(time.Duration(100-i) * 10 * time.Microsecond)
		return i
	}, func(i, v int) error {
		inFlight.Add(-1)
		got = append(got, v)
		return nil
	})
	if err != nil || len(got) != 100 || !slices.IsSorted(got) {
		t.Errorf("ordered: %v %v", err, got)
	}
	if peak.Load() > 8 {
		t.Errorf("%d results held at once, want at most 8", peak.Load())
	}
	// A write error stops it; a cancelled context starts nothing more.
	calls := atomic.Int64{}
	err = ordered(context.Background(), 100, 2, func(i int) int { calls.Add(1); return i }, func(i, _ int) error {
		if i == 3 {
			return errors.New("disk full")
		}
		return nil
	})
	if err == nil || calls.Load() > 10 {
		t.Errorf("after a write error: %v, %d fetched", err, calls.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ordered(ctx, 100, 2, func(i int) int { return i }, func(int, int) error { return errors.New("written") }); err != nil {
		t.Errorf("a cancelled context wrote: %v", err)
	}
}

// Ctrl-C ends the collection; what was collected is written, and the
// manifest says it was interrupted.
func TestBundleInterrupted(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 10*time.Second)
	n.seed()
	n.srv.Inject("PodSandboxStatus", crifake.Fault{Block: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	dest := filepath.Join(t.TempDir(), "b.tar.gz")
	sink, err := NewFileSink(dest, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := n.collector(Options{}).Collect(ctx, sink); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v after Ctrl-C", d)
	}
	a := readArchive(t, dest)
	if errs := a.errorsOf(t); !strings.Contains(errs, "interrupted") {
		t.Errorf("errors:\n%s", errs)
	}
}

// Matrix case 13, the bundle's part: a reply that cannot be decoded
// (invalid UTF-8 on the wire) is an error naming the RPC in the manifest,
// and the bundle goes on with everything else.
func TestBundleInvalidUTF8Reply(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	s := n.seed()
	// One container's status holds invalid UTF-8 (its list entry does not).
	bad := crifake.KubeletContainer(s.web, "sidecar", 0, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Hour))
	n.srv.AddContainer(bad, crifake.WithExitCode(1), crifake.WithReason("Error", "bad byte "+crifake.BadUTF8))
	// And a pod's list entry does: ListPodSandbox as a whole fails.
	odd := crifake.KubeletPod("odd-0", "default", 0, ago(time.Hour), true)
	odd.Annotations["note"] = "bad byte " + crifake.BadUTF8
	n.srv.AddPod(odd)

	a, res := n.take(Options{})
	// One error per undecodable reply (the pod stats carry the pod's
	// annotations too), each once, naming the RPC.
	errs := a.errorsOf(t)
	for _, want := range []string{
		"pods/default/web-5wpwzq2zt6-rg7jx/sidecar rpc ContainerStatus: ",
		"node rpc ListPodSandbox: ",
		"node rpc ListPodSandboxStats: ",
	} {
		i := strings.Index(errs, want)
		if i < 0 || !strings.Contains(strings.SplitN(errs[i:], "\n", 2)[0], "invalid UTF-8") || strings.Count(errs, want) != 1 {
			t.Errorf("errors lack %q ... invalid UTF-8, once:\n%s", want, errs)
		}
	}
	if res.Errors() != 3 || a.manifest(t).Complete {
		t.Errorf("%d errors, want the 3 undecodable replies:\n%s", res.Errors(), errs)
	}
	// Everything else is there: the containers (placed by kubelet's labels
	// without the pod list), their documents and logs, the images.
	for _, want := range []string{
		"containers.json", "images.json", "version.json",
		"pods/default/web-5wpwzq2zt6-rg7jx/nginx/container.json", "pods/default/web-5wpwzq2zt6-rg7jx/nginx/current.log",
		"pods/kube-system/coredns-5d78c9869d-x2kqv/coredns/container.json",
		"images/" + component(crifake.ImageID("docker.io/library/nginx:1.27")) + ".json",
	} {
		if _, ok := a.files[want]; !ok {
			t.Errorf("%s missing: %q", want, a.names)
		}
	}
	if _, ok := a.files["pods/default/web-5wpwzq2zt6-rg7jx/sidecar/container.json"]; ok {
		t.Errorf("a container.json for the status that could not be decoded")
	}
	if sum := string(a.files["summary.txt"]); !strings.Contains(sum, "ListPodSandbox") {
		t.Errorf("summary.txt does not say the pod list failed:\n%s", sum)
	}
	a.checkSums(t)
}

// Matrix case 46, the bundle's part: log content is kept byte for byte,
// escape sequences, control characters and invalid UTF-8 included (the
// bundle is data, not a terminal); only the time and stream are rewritten.
func TestBundleLogBytesKept(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	pod := crifake.KubeletPod("evil-0", "default", 0, ago(time.Hour), true)
	n.srv.AddPod(pod)
	n.srv.AddContainer(crifake.KubeletContainer(pod, "app", 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour)))
	contents := []string{
		"\x1b[2J\x1b[H\x1b]0;owned\x07title",
		"bell\x07 tab\t cr\r back\b del\x7f c1\u009b bidi\u202e",
		"invalid \xff\xfe utf-8 \xc3",
		"nul \x00 byte",
	}
	var log, want strings.Builder
	for i, c := range contents {
		ts := testNow.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&log, "%s stdout F %s\n", ts.Format(time.RFC3339Nano), c)
		fmt.Fprintf(&want, "%s stdout %s\n", ts.Format("2006-01-02T15:04:05.000000000Z"), c)
	}
	n.writeLog(logPath(pod, "app", 0), log.String())
	for _, o := range []Options{{}, {NoRedact: true}} {
		a, res := n.take(o)
		if res.Errors() != 0 {
			t.Fatalf("errors:\n%s", a.errorsOf(t))
		}
		if got := string(a.files["pods/default/evil-0/app/current.log"]); got != want.String() {
			t.Errorf("NoRedact %v: current.log\n%q\nwant\n%q", o.NoRedact, got, want.String())
		}
	}
}
