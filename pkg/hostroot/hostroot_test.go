package hostroot

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	outsideCanary = "OUTSIDE-CANARY"
	logLine       = "2026-01-01T00:00:00.000000000Z stdout F hello\n"
)

// tree builds DIR/outside (files a resolution must never reach) and
// DIR/root, a host tree with planted links, and returns the Root.
func tree(t *testing.T) (string, *Root) {
	t.Helper()
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	root := filepath.Join(base, "root")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, content string) {
		t.Helper()
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, []byte(content), 0o644))
	}
	link := func(target, p string) {
		t.Helper()
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.Symlink(target, p))
	}
	write(filepath.Join(outside, "secret"), outsideCanary)
	write(filepath.Join(outside, "etc", "shadow"), outsideCanary)
	write(filepath.Join(root, "etc", "crictl.yaml"), "runtime-endpoint: unix:///run/containerd/containerd.sock\n")
	write(filepath.Join(root, "etc", "shadow"), "in-root shadow\n")
	write(filepath.Join(root, "run", "containerd", "containerd.sock"), "")
	link("/run", filepath.Join(root, "var", "run"))
	ctr := filepath.Join(root, "var", "log", "pods", "ns_pod_uid", "ctr")
	write(filepath.Join(ctr, "0.log"), logLine)
	write(filepath.Join(ctr, "0.log.20260101-000000"), logLine)
	link("/etc/shadow", filepath.Join(ctr, "abs.log"))
	link("../../../../../../../../outside/secret", filepath.Join(ctr, "rel.log"))
	link("0.log", filepath.Join(ctr, "same.log"))
	link("/var/lib/docker/containers/abc/abc-json.log", filepath.Join(ctr, "docker.log"))
	write(filepath.Join(root, "var", "lib", "docker", "containers", "abc", "abc-json.log"), `{"log":"hi\n","stream":"stdout","time":"2026-01-01T00:00:00Z"}`+"\n")
	link("loop.log", filepath.Join(ctr, "loop.log"))
	must(os.Mkdir(filepath.Join(ctr, "dir.log"), 0o755))
	must(syscall.Mkfifo(filepath.Join(ctr, "fifo.log"), 0o644))
	// A directory link out of the tree: resolves inside it.
	link("../../../../../outside", filepath.Join(root, "var", "log", "pods", "esc"))
	link(outside, filepath.Join(root, "var", "log", "pods", "abs-esc"))
	r, err := New(root)
	must(err)
	return base, r
}

// both runs f with openat2 and with the walk.
func both(t *testing.T, f func(t *testing.T)) {
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			noOpenat2.Store(walk)
			defer noOpenat2.Store(false)
			f(t)
		})
	}
}

func read(t *testing.T, f *os.File) string {
	t.Helper()
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolve(t *testing.T) {
	base, r := tree(t)
	root := filepath.Join(base, "root")
	for _, tc := range []struct{ in, want string }{
		{"/var/run/containerd/containerd.sock", root + "/run/containerd/containerd.sock"},
		{"/run/crio/crio.sock", root + "/run/crio/crio.sock"},
		{"/../../../outside/secret", root + "/outside/secret"},
		{"/var/log/pods/esc/secret", root + "/outside/secret"},
		{"/var/log/pods/abs-esc/secret", root + base + "/outside/secret"},
		{"/", root},
	} {
		got, err := r.Resolve(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := r.Resolve("relative/path"); err == nil {
		t.Errorf("a relative path resolved")
	}
	if _, err := r.Resolve("/var/log/pods/ns_pod_uid/ctr/loop.log"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("a link loop: %v", err)
	}
	if _, err := r.Resolve("/etc/crictl.yaml/x"); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("a path through a file: %v", err)
	}
}

func TestOpen(t *testing.T) {
	_, r := tree(t)
	both(t, func(t *testing.T) {
		f, err := r.Open("/etc/crictl.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := read(t, f); !strings.Contains(got, "runtime-endpoint") {
			t.Errorf("Open read %q", got)
		}
		// Links out of the tree land inside it.
		for _, p := range []string{"/var/log/pods/esc/secret", "/var/log/pods/abs-esc/secret", "/../outside/secret"} {
			f, err := r.Open(p)
			if err == nil {
				content := read(t, f)
				t.Errorf("Open(%q) read %q: it escaped the root", p, content)
			} else if !errors.Is(err, syscall.ENOENT) || strings.Contains(err.Error(), outsideCanary) {
				t.Errorf("Open(%q): %v", p, err)
			}
		}
		if _, err := r.Open("/var/log/pods/ns_pod_uid/ctr/fifo.log"); err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("a FIFO: %v", err)
		}
		if _, err := r.Open("/var/log"); err == nil || !strings.Contains(err.Error(), "directory") {
			t.Errorf("a directory: %v", err)
		}
		if _, err := r.Open("/var/log/pods/ns_pod_uid/ctr/loop.log"); err == nil {
			t.Errorf("a link loop opened")
		}
	})
}

func TestOpenLog(t *testing.T) {
	_, r := tree(t)
	const dir = "/var/log/pods/ns_pod_uid/ctr/"
	both(t, func(t *testing.T) {
		for _, name := range []string{"0.log", "same.log", "docker.log"} {
			f, err := r.OpenLog(dir + name)
			if err != nil {
				t.Errorf("OpenLog(%s): %v", name, err)
				continue
			}
			if got := read(t, f); got == "" {
				t.Errorf("OpenLog(%s) read nothing", name)
			}
		}
		for name, want := range map[string]string{
			"abs.log":  "outside its directory",
			"rel.log":  "no such file",
			"loop.log": "too many levels",
			"dir.log":  "a directory",
			"fifo.log": "named pipe",
			"none.log": "no such file",
		} {
			start := time.Now()
			_, err := r.OpenLog(dir + name)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("OpenLog(%s) = %v, want an error containing %q", name, err, want)
			}
			if err != nil && (strings.Contains(err.Error(), outsideCanary) || strings.Contains(err.Error(), "in-root shadow")) {
				t.Errorf("OpenLog(%s): content in the error: %v", name, err)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("OpenLog(%s) took %v", name, time.Since(start))
			}
		}
		for _, p := range []string{"relative.log", "/var/log/../log/pods/x.log", "/"} {
			if _, err := r.OpenLog(p); err == nil {
				t.Errorf("OpenLog(%q) accepted", p)
			}
		}
	})
}

func TestLogDir(t *testing.T) {
	_, r := tree(t)
	d, err := r.LogDir("/var/log/pods/ns_pod_uid/ctr/0.log")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for range 2 { // afresh each time
		ents, err := d.ReadDir()
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, e := range ents {
			names[e.Name()] = true
		}
		if !names["0.log"] || !names["0.log.20260101-000000"] {
			t.Errorf("ReadDir = %v", names)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b"} {
		if _, err := d.Open(bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	// A link in the directory to a file in it: Open follows it,
	// OpenNoFollow refuses it with ELOOP; a regular file opens either way.
	if f, err := d.Open("same.log"); err != nil {
		t.Errorf("Open(same.log): %v", err)
	} else {
		f.Close()
	}
	if _, err := d.OpenNoFollow("same.log"); !errors.Is(err, unix.ELOOP) {
		t.Errorf("OpenNoFollow(same.log) = %v, want ELOOP", err)
	}
	if f, err := d.OpenNoFollow("0.log"); err != nil {
		t.Errorf("OpenNoFollow(0.log): %v", err)
	} else {
		f.Close()
	}
	if d.Path("0.log") != "/var/log/pods/ns_pod_uid/ctr/0.log" {
		t.Errorf("Path = %q", d.Path("0.log"))
	}
}

// On the machine's own root, a log link out of its directory is refused
// as well (matrix case 53: a pod with a writable /var/log mount).
func TestHostOpenLog(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte(outsideCanary), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "0.log")); err != nil {
		t.Fatal(err)
	}
	r, err := New("/")
	if err != nil || !r.IsHost() {
		t.Fatalf("New(/) = %v, %v", r, err)
	}
	_, err = r.OpenLog(filepath.Join(dir, "0.log"))
	if err == nil || !strings.Contains(err.Error(), "outside its directory") || strings.Contains(err.Error(), outsideCanary) {
		t.Errorf("OpenLog of a link to a secret: %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if r, err := New(""); err != nil || r != Host {
		t.Errorf("New(\"\") = %v, %v", r, err)
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("New(file): %v", err)
	}
	if _, err := New(filepath.Join(f, "none")); err == nil {
		t.Errorf("New(missing) accepted")
	}
	r, err := New(filepath.Dir(f))
	if err != nil || r.Path("/etc/x") != filepath.Dir(f)+"/etc/x" || r.Path("/") != filepath.Dir(f) {
		t.Errorf("Path: %v %v", r, err)
	}
}
