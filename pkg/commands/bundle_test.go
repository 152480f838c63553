package commands

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
)

// untar reads a tar.gz into name -> content (files) and lists all members.
func untar(t *testing.T, b []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a tar.gz: %v", err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Typeflag == tar.TypeReg {
			c, _ := io.ReadAll(tr)
			files[h.Name] = c
		}
	}
}

func TestBundleCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	root := t.TempDir()
	lp := filepath.Join(root, "var/log/pods", "default_web-5wpwzq2zt6-rg7jx_"+n.web.Metadata.Uid, "nginx", "0.log")
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lp, []byte(testNow.Format(time.RFC3339Nano)+" stdout F GET / 200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "node.tar.gz")
	r := e.run("--host-root " + root + " bundle -o " + out + " --node node-1")
	if r.code != 0 || r.stdout != "" || !strings.HasPrefix(r.stderr, "crictl: bundle written to "+out+" (") || !strings.HasSuffix(r.stderr, ", no errors)\n") {
		t.Fatalf("bundle: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the bundle: %v, %v", fi, err)
	}
	b, _ := os.ReadFile(out)
	files, names := untar(t, b)
	if names[0] != "summary.txt" || !strings.Contains(string(files["summary.txt"]), "node node-1") {
		t.Errorf("summary first, naming the node: %q\n%s", names[:2], files["summary.txt"])
	}
	if got := string(files["pods/default/web-5wpwzq2zt6-rg7jx/nginx/current.log"]); !strings.HasSuffix(got, " stdout GET / 200\n") {
		t.Errorf("the log under --host-root: %q", got)
	}
	// The documents are -o json's.
	want := e.ok("inspect -o json " + n.webC.Id)
	var doc string
	for name, c := range files {
		if strings.HasSuffix(name, "/nginx/container.json") {
			doc = string(c)
		}
	}
	if doc != want {
		t.Errorf("container.json differs from inspect -o json:\n%s\nwant\n%s", doc, want)
	}

	// An existing output is refused before anything is collected.
	r = e.run("bundle -o " + out)
	oneError(t, r, "exists; remove it or use --force")
	if r = e.run("bundle --force -o " + out); r.code != 0 {
		t.Errorf("--force: exit %d %q", r.code, r.stderr)
	}
}

func TestBundleStdout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	r := e.run("bundle -o -")
	if r.code != 0 || !strings.Contains(r.stderr, "written to stdout") {
		t.Fatalf("-o -: exit %d %q", r.code, r.stderr)
	}
	files, _ := untar(t, []byte(r.stdout))
	if _, ok := files["manifest.json"]; !ok {
		t.Errorf("no manifest in the stream")
	}
	// --base64: text for a pod's log, which merge reads back.
	r = e.run("bundle -o - --base64 --node n2")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || lines[0] != "-----BEGIN CRICTL BUNDLE-----" || lines[len(lines)-1] != "-----END CRICTL BUNDLE-----" {
		t.Fatalf("--base64: exit %d, %q...", r.code, lines[0])
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(lines[1:len(lines)-1], ""))
	if err != nil {
		t.Fatal(err)
	}
	untar(t, raw)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "n2.log")
	if err := os.WriteFile(logFile, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "cluster.tar.gz")
	r = e.run("bundle merge -o " + merged + " " + logFile)
	if r.code != 0 || !strings.Contains(r.stderr, "bundle of 1 nodes written to "+merged) {
		t.Fatalf("merge: exit %d %q", r.code, r.stderr)
	}
	b, _ := os.ReadFile(merged)
	if files, _ := untar(t, b); !strings.Contains(string(files["cluster-summary.txt"]), "n2 ") {
		t.Errorf("cluster summary:\n%s", files["cluster-summary.txt"])
	}
	// A tar.gz is not written to a terminal.
	e.outTTY = true
	oneError(t, e.run("bundle -o -"), "refusing to write a tar.gz to a terminal")
}

// Exit 4 when written with errors; 1 with --strict.
func TestBundleExitCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.Inject("ImageStatus", crifake.Fault{Code: codes.Internal, Message: "disk on fire"})
	dir := t.TempDir()
	r := e.run("bundle --dir " + filepath.Join(dir, "b"))
	if r.code != 4 || !strings.Contains(r.stderr, "errors: see manifest.json)") {
		t.Errorf("with errors: exit %d %q", r.code, r.stderr)
	}
	if m, err := os.ReadFile(filepath.Join(dir, "b", "manifest.json")); err != nil || !strings.Contains(string(m), "disk on fire") {
		t.Errorf("the manifest lacks the error: %v", err)
	}
	r = e.run("bundle --strict --dir " + filepath.Join(dir, "c"))
	if r.code != 1 {
		t.Errorf("--strict: exit %d", r.code)
	}
	// Nothing could be written: exit 1, no success line.
	r = e.run("bundle -o " + filepath.Join(dir, "none", "x.tar.gz"))
	if r.code != 1 || strings.Contains(r.stderr, "written") {
		t.Errorf("unwritable output: exit %d %q", r.code, r.stderr)
	}
}

func TestBundleRedactsCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _ = canaryNode(e)
	dockerDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), []byte(`{"auths":{"reg.example":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("me:canary5-pw"))+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.vars["DOCKER_CONFIG"] = dockerDir
	r := e.run("bundle -o -")
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	zr, _ := gzip.NewReader(strings.NewReader(r.stdout))
	raw, _ := io.ReadAll(zr)
	if bytes.Contains(raw, []byte("canary")) {
		t.Errorf("a canary is in the bundle")
	}
	r = e.run("bundle -o - --no-redact")
	zr, _ = gzip.NewReader(strings.NewReader(r.stdout))
	raw, _ = io.ReadAll(zr)
	if !bytes.Contains(raw, []byte("canary1")) {
		t.Errorf("--no-redact lost the env value")
	}
}

func TestBundleUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for args, want := range map[string]string{
		"bundle -o x --dir y":     "cannot be used together",
		"bundle -o x --base64":    "--base64 needs -o -",
		"bundle --log-lines 0":    "--log-lines 0",
		"bundle --log-bytes lots": `--log-bytes "lots"`,
		"bundle --max-bytes 0":    "must be more than 0",
		"bundle --deadline soon":  `--deadline "soon"`,
		"bundle --name [":         "invalid regular expression",
		"bundle extra":            "takes no arguments",
		"bundle merge":            "give the node bundles",
		"bundle -o - --force":     "--force applies to an output file only",
	} {
		oneError(t, e.run(args), want)
	}
	oneError(t, e.runArgs("bundle", "--selector", "a in (b"), "--selector")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made calls: %v", calls)
	}
}

// The runtime is down: the bundle says so, exit 4.
func TestBundleNoRuntime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["CONTAINER_RUNTIME_ENDPOINT"] = "unix://" + filepath.Join(t.TempDir(), "none.sock")
	r := e.run("--timeout 200ms bundle -o -")
	if r.code != 4 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	files, _ := untar(t, []byte(r.stdout))
	if s := string(files["summary.txt"]); !strings.Contains(s, "Failed:") || !strings.Contains(s, "none.sock") {
		t.Errorf("summary:\n%s", s)
	}
}

// A broken image endpoint leaves out the image calls, not the rest.
func TestBundleImageEndpointBroken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.vars["IMAGE_SERVICE_ENDPOINT"] = "tcp://127.0.0.1:1"
	r := e.run("bundle -o -")
	if r.code != 4 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	files, _ := untar(t, []byte(r.stdout))
	if _, ok := files["pods.json"]; !ok {
		t.Errorf("no pods.json")
	}
	if _, ok := files["images.json"]; ok {
		t.Errorf("images.json without an image service")
	}
	if m := string(files["manifest.json"]); !strings.Contains(m, "tcp://127.0.0.1:1") {
		t.Errorf("the manifest does not name the image endpoint:\n%s", m)
	}
}
