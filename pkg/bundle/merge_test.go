package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n%s", name, p, got)
	}
}

// Three fake runtimes as three nodes, their bundles in the three forms a
// fleet run leaves: a tar.gz, a directory, and a DaemonSet pod's log
// (base64 between BEGIN/END lines, stderr lines in between) in
// troubleshoot's <collector>/<node>.log layout.
func TestMerge(t *testing.T) {
	t.Parallel()
	work := t.TempDir()

	a := newFakeNode(t, 2*time.Second)
	a.seed()
	a.srv.VersionInfo = &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "containerd", RuntimeVersion: "v1.7.20", RuntimeApiVersion: "v1"}
	fileA := filepath.Join(work, "node-a.tar.gz")
	sink, err := NewFileSink(fileA, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.collector(Options{Node: "node-a"}).Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}

	b := newFakeNode(t, 2*time.Second)
	b.srv.VersionInfo = &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "cri-o", RuntimeVersion: "1.31.0", RuntimeApiVersion: "v1"}
	pod := crifake.KubeletPod("api-7d9f-abcde", "shop", 0, ago(time.Hour), true)
	b.srv.AddPod(pod)
	b.srv.AddContainer(crifake.KubeletContainer(pod, "api", 7, "reg.example/api:2", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Minute)),
		crifake.WithExitCode(137), crifake.WithReason("OOMKilled", ""))
	b.writeLog(logPath(pod, "api", 7), criLines(0, 2, "stderr"))
	dirB := filepath.Join(work, "b-bundle")
	sink, err = NewDirSink(dirB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.collector(Options{Node: "node-b"}).Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}

	c := newFakeNode(t, 2*time.Second)
	c.srv.Conditions = []*runtimeapi.RuntimeCondition{{Type: "RuntimeReady", Status: true}, {Type: "NetworkReady", Status: false, Reason: "NetworkPluginNotReady", Message: "cni config uninitialized"}}
	ts := filepath.Join(work, "troubleshoot", "crictl-bundle")
	if err := os.MkdirAll(ts, 0o755); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	aw := NewArmorWriter(&text)
	// No node name: merge names it after its file.
	col := c.collector(Options{})
	col.Options.Node = ""
	if _, err := col.Collect(context.Background(), NewStreamSink(aw, testNow)); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	// The pod's log: stderr lines come between the stdout lines.
	lines := strings.SplitAfter(text.String(), "\n")
	var podLog strings.Builder
	podLog.WriteString("crictl: warning: something on stderr\n")
	for i, l := range lines {
		podLog.WriteString(l)
		if i == 3 {
			podLog.WriteString("crictl: bundle: progress on stderr\n")
		}
	}
	podLog.WriteString("crictl: bundle written to stdout (1 KiB, 0 errors)\n")
	if err := os.WriteFile(filepath.Join(ts, "node-c.log"), []byte(podLog.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ts, "not-a-bundle.log"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(work, "cluster.tar.gz")
	sink, err = NewFileSink(out, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Merge([]string{fileA, dirB, filepath.Join(work, "troubleshoot")}, sink, MergeOptions{CrictlVersion: "v0.0.0-test", Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Nodes != 3 || res.Errors != 1 {
		t.Errorf("merge: %+v", res)
	}
	m := readArchive(t, out)
	if m.names[0] != "cluster-summary.txt" || m.names[1] != "cluster-summary.json" || m.names[len(m.names)-1] != "manifest.json" {
		t.Errorf("order: %q", m.names)
	}
	golden(t, "merge/cluster-summary", strings.ReplaceAll(string(m.files["cluster-summary.txt"]), work, "WORK"))
	for _, want := range []string{
		"nodes/node-a/summary.txt", "nodes/node-a/pods/default/web-5wpwzq2zt6-rg7jx/migrate/previous.log", "nodes/node-a/manifest.json",
		"nodes/node-b/pods/shop/api-7d9f-abcde/api/current.log", "nodes/node-c/info.json",
	} {
		if _, ok := m.files[want]; !ok {
			t.Errorf("%s missing from %q", want, m.names)
		}
	}
	// The merged manifest lists every file with its sum.
	var mm MergeManifest
	if err := json.Unmarshal(m.files["manifest.json"], &mm); err != nil {
		t.Fatal(err)
	}
	if len(mm.Files) != len(m.files)-1 || strings.Join(mm.Nodes, ",") != "node-a,node-b,node-c" || len(mm.Errors) != 1 || !strings.Contains(mm.Errors[0].Error, "not a tar.gz bundle nor its base64 text") {
		t.Errorf("merged manifest: %d files of %d, nodes %q, errors %+v", len(mm.Files), len(m.files), mm.Nodes, mm.Errors)
	}
	// Each node's own bundle is intact: its manifest's sums hold.
	for _, node := range []string{"node-a", "node-b", "node-c"} {
		sub := &archive{files: map[string][]byte{}}
		for name, content := range m.files {
			if rest, ok := strings.CutPrefix(name, "nodes/"+node+"/"); ok {
				sub.files[rest] = content
			}
		}
		sub.checkSums(t)
	}
	var cs ClusterSummary
	if err := json.Unmarshal(m.files["cluster-summary.json"], &cs); err != nil {
		t.Fatal(err)
	}
	if len(cs.Nodes) != 3 || cs.Nodes[1].NotRunning[0].Path != "nodes/node-b/pods/shop/api-7d9f-abcde/api" || cs.Nodes[1].NotRunning[0].Reason != "OOMKilled" {
		t.Errorf("cluster-summary.json: %+v", cs.Nodes)
	}
}

func TestMergeNameCollisionsAndBadInputs(t *testing.T) {
	t.Parallel()
	work := t.TempDir()
	n := newFakeNode(t, 2*time.Second)
	n.seed()
	var paths []string
	for _, name := range []string{"x1.tar.gz", "x2.tar.gz"} {
		p := filepath.Join(work, name)
		sink, err := NewFileSink(p, false, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.collector(Options{Node: "same"}).Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// A hostile archive: a member out of the tree and a link, beside a
	// real bundle's files.
	evil := filepath.Join(work, "evil.tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	src := readArchive(t, paths[0])
	for _, name := range src.names {
		h := *src.headers[name]
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(src.files[name]); err != nil {
			t.Fatal(err)
		}
	}
	_ = tw.WriteHeader(&tar.Header{Name: "../../escape", Typeflag: tar.TypeReg, Size: 1, Mode: 0o600})
	_, _ = tw.Write([]byte("x"))
	_ = tw.WriteHeader(&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/shadow"})
	_ = tw.Close()
	_ = zw.Close()
	if err := os.WriteFile(evil, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	sink, err := NewDirSink(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Merge(append(paths, evil, filepath.Join(work, "missing")), sink, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"same", "same_1", "same_2"} {
		if _, err := os.Stat(filepath.Join(out, "nodes", dir, "summary.txt")); err != nil {
			t.Errorf("node %s: %v", dir, err)
		}
	}
	if res.Errors != 3 {
		t.Errorf("%d errors, want 3 (the missing input, the escaping member, the link)", res.Errors)
	}
	if _, err := os.Lstat(filepath.Join(work, "escape")); err == nil {
		t.Errorf("a member escaped")
	}
	// Nothing to merge at all: an error, nothing written.
	out2 := filepath.Join(work, "out2.tar.gz")
	sink, err = NewFileSink(out2, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge([]string{filepath.Join(work, "missing")}, sink, MergeOptions{}); err == nil {
		t.Errorf("merging nothing succeeded")
	}
	if ents, _ := os.ReadDir(work); len(ents) != 4 {
		t.Errorf("left behind: %v", ents)
	}
}

func TestArmor(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 100)
	var text bytes.Buffer
	w := NewArmorWriter(&text)
	for i := 0; i < len(payload); i += 33 {
		if _, err := w.Write(payload[i:min(i+33, len(payload))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(text.String()), "\n") {
		if len(l) > armorWidth && !strings.HasPrefix(l, "-----") {
			t.Fatalf("a line of %d characters", len(l))
		}
	}
	noisy := "before\r\n" + strings.Replace(text.String(), "\n", "\ncrictl: noise: on stderr\n", 3) + "after\n"
	got, err := readAllArmor(noisy)
	if err != nil || !bytes.Equal(got, payload) {
		t.Errorf("armor round trip: %v", err)
	}
	if _, err := readAllArmor("no armor here\n"); err == nil {
		t.Errorf("text without the BEGIN line decoded")
	}
}

func readAllArmor(s string) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(base64.NewDecoder(base64.StdEncoding, &armorReader{r: bufio.NewReader(strings.NewReader(s))}))
	return out.Bytes(), err
}
