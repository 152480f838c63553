package harness

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The layout tarballs must be byte-identical for the same inputs (stable
// image IDs across runs) and carry the names `ctr images import` needs.
func TestImageLayoutDeterministic(t *testing.T) {
	build := func() ([]byte, *ociImage) {
		im, err := newImage("localhost/x/y:1.0", busyboxEntries([]byte("not really busybox"), map[string]string{"etc/marker": "m\n"}),
			imageConfig{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "y.tar")
		if err := im.writeLayout(p); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b, im
	}
	a, im := build()
	b, _ := build()
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same image differ")
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(a))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(files["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %s, %v", files["index.json"], err)
	}
	m := index.Manifests[0]
	if m.Annotations["io.containerd.image.name"] != "localhost/x/y:1.0" || m.Annotations["org.opencontainers.image.ref.name"] != "1.0" {
		t.Errorf("annotations %v", m.Annotations)
	}
	if m.Digest != im.manifestDigest || digestOf(files["blobs/sha256/"+m.Digest[7:]]) != m.Digest {
		t.Errorf("manifest blob does not match its digest %s", m.Digest)
	}
	if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout %q", files["oci-layout"])
	}
	for d := range im.blobs {
		if files["blobs/sha256/"+d[7:]] == nil {
			t.Errorf("blob %s missing", d)
		}
	}
}

func TestLastColon(t *testing.T) {
	for ref, want := range map[string]string{
		"localhost/a/b:1.0":            "localhost/a/b",
		"127.0.0.1:5000/e2e/busybox:1": "127.0.0.1:5000/e2e/busybox",
		"127.0.0.1:5000/e2e/busybox":   "127.0.0.1:5000/e2e/busybox",
	} {
		if got := ref[:lastColon(ref)]; got != want {
			t.Errorf("%s: %s, want %s", ref, got, want)
		}
	}
}
