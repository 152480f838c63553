package bundle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Matrix case 49: whatever the umask, the archive is 0600 and a directory
// bundle's folders 0700 and files 0600; a link or an existing file at the
// output path is refused; the archive appears whole, by rename.
// Not parallel: the umask is the process's.
func TestSinkModesWhateverTheUmask(t *testing.T) {
	n := newFakeNode(t, 2*time.Second)
	n.seed()
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, umask := range []int{0, 0o022, 0o777} {
		syscall.Umask(umask)
		dir := t.TempDir()
		dest := filepath.Join(dir, "node.tar.gz")
		sink, err := NewFileSink(dest, false, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.collector(Options{}).Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("umask %o: archive %v, %v", umask, fi.Mode(), err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("umask %o: left %d files next to the archive", umask, len(ents))
		}
		out := filepath.Join(dir, "tree")
		sink, err = NewDirSink(out)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.collector(Options{}).Collect(context.Background(), sink); err != nil {
			t.Fatal(err)
		}
		files := 0
		_ = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Lstat(p)
			switch {
			case d.IsDir() && fi.Mode().Perm() != 0o700:
				t.Errorf("umask %o: %s is %v", umask, p, fi.Mode())
			case !d.IsDir() && (fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular()):
				t.Errorf("umask %o: %s is %v", umask, p, fi.Mode())
			case !d.IsDir():
				files++
			}
			return nil
		})
		if files < 10 {
			t.Errorf("umask %o: %d files in the directory bundle", umask, files)
		}
	}
}

func TestFileSinkRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.tar.gz")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, force := range []bool{false, true} {
		if _, err := NewFileSink(link, force, testNow); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("a link at the output (force %v): %v", force, err)
		}
	}
	if _, err := NewFileSink(target, false, testNow); err == nil || !strings.Contains(err.Error(), "exists; remove it or use --force") {
		t.Errorf("an existing file: %v", err)
	}
	if _, err := NewFileSink(dir, true, testNow); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory as the output: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the link's target was changed")
	}
	// --force replaces a regular file, by rename.
	s, err := NewFileSink(target, true, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("a", 1, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me" {
		t.Errorf("the output changed before the bundle was complete")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if a := readArchive(t, target); string(a.files["a"]) != "x" {
		t.Errorf("--force: %q", a.names)
	}
	if _, err := NewFileSink(filepath.Join(dir, "none", "b.tar.gz"), false, testNow); err == nil {
		t.Errorf("a missing directory was accepted")
	}
}

func TestDirSinkRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewDirSink(dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a non-empty directory: %v", err)
	}
	if _, err := NewDirSink(filepath.Join(dir, "f")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a file: %v", err)
	}
	s, err := NewDirSink(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add("../escape", 1, strings.NewReader("x")); err == nil {
		t.Errorf("a member out of the directory was written")
	}
	if err := s.Add("a/b/c.txt", 3, strings.NewReader("abc")); err != nil {
		t.Fatal(err)
	}
	s.Abort()
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Abort left the directory it made: %v", err)
	}
}

// Matrix case 51: a full disk (or a closed pipe) fails the bundle: an
// error, no success, and no partial file left.
func TestBundleWriteFailure(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	n.seed()
	dir := t.TempDir()
	dest := filepath.Join(dir, "node.tar.gz")
	sink, err := NewFileSink(dest, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	// The disk fills up: the temporary file's writes fail.
	if err := syscall.Dup2(int(devFull(t).Fd()), int(sink.(*tarSink).tmp.Fd())); err != nil {
		t.Fatal(err)
	}
	res, err := n.collector(Options{}).Collect(context.Background(), sink)
	if err == nil || res != nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("a full disk: %v, %v", res, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	// A stream that fails (-o - into a full disk or a closed pipe).
	_, err = n.collector(Options{}).Collect(context.Background(), NewStreamSink(failAfter{n: 100}, testNow))
	if err == nil {
		t.Errorf("a failing stream gave no error")
	}
}

func devFull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

type failAfter struct{ n int }

func (f failAfter) Write(p []byte) (int, error) {
	return 0, syscall.EPIPE
}

func TestStreamSink(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	s := NewStreamSink(&b, testNow)
	if err := s.Add("x/y/z.json", 2, strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("x/w.json", 2, strings.NewReader("[]")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	a := readArchiveBytes(t, b.Bytes())
	if want := []string{"x/", "x/y/", "x/y/z.json", "x/w.json"}; strings.Join(a.names[:4], ",") != strings.Join(want, ",") {
		t.Errorf("members %q, want %q first", a.names, want)
	}
	if s.Location() != "stdout" || s.Size() != int64(b.Len()) {
		t.Errorf("Location %q Size %d (%d written)", s.Location(), s.Size(), b.Len())
	}
	if err := NewStreamSink(&b, testNow).Add("short", 5, strings.NewReader("ab")); err == nil || !strings.Contains(err.Error(), "2 bytes instead of 5") {
		t.Errorf("a short body: %v", err)
	}
}

// peekSink calls peek before each file is added.
type peekSink struct {
	Sink
	peek func(name string)
}

func (s peekSink) Add(name string, size int64, r io.Reader) error {
	s.peek(name)
	return s.Sink.Add(name, size, r)
}

// openLogTails reads the log tails' temporary files this process holds
// open (unlinked, so only /proc/self/fd reaches them).
func openLogTails(t *testing.T) [][]byte {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var out [][]byte
	for _, e := range ents {
		fd := filepath.Join("/proc/self/fd", e.Name())
		target, err := os.Readlink(fd)
		if err != nil || !strings.Contains(target, "crictl-bundle-log-") {
			continue
		}
		if b, err := os.ReadFile(fd); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// Matrix case 48: no unredacted copy anywhere. Not in the temporary file
// that holds a log tail over 4 MiB (unlinked, looked at while the bundle is
// written), not next to the archive, not in any file of a directory
// bundle, and no member twice.
func TestBundleNoUnredactedLeftovers(t *testing.T) {
	t.Parallel()
	n := newFakeNode(t, 2*time.Second)
	pod := crifake.KubeletPod("big-0", "default", 0, ago(time.Hour), true)
	n.srv.AddPod(pod)
	n.srv.AddContainer(crifake.KubeletContainer(pod, "app", 0, "busybox", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour)),
		crifake.WithEnv("DB_PASSWORD=canary-leftover-env"))
	var log strings.Builder
	line := testNow.Format(time.RFC3339Nano) + " stdout F password canary-leftover-env, token canary-leftover-cfg " + strings.Repeat("x", 200) + "\n"
	for log.Len() < memRing+1<<20 {
		log.WriteString(line)
	}
	n.writeLog(logPath(pod, "app", 0), log.String())
	opts := Options{LogLines: -1, LogBytes: memRing + 2<<20, Secrets: []string{"canary-leftover-cfg"}}
	canary := []byte("canary-leftover")

	dir := t.TempDir()
	dest := filepath.Join(dir, "node.tar.gz")
	file, err := NewFileSink(dest, false, testNow)
	if err != nil {
		t.Fatal(err)
	}
	tails := 0
	sink := peekSink{Sink: file, peek: func(name string) {
		if name != "pods/default/big-0/app/current.log" {
			return
		}
		for _, b := range openLogTails(t) {
			if bytes.Contains(b, []byte("password <redacted>, token <redacted> ")) {
				tails++
			}
			if bytes.Contains(b, canary) {
				t.Errorf("the log tail's temporary file holds a canary")
			}
		}
	}}
	if _, err := n.collector(opts).Collect(context.Background(), sink); err != nil {
		t.Fatal(err)
	}
	if tails == 0 {
		t.Fatalf("no log tail in a temporary file was seen: the test checks nothing")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left next to the archive: %v", ents)
	}
	a := readArchive(t, dest)
	raw, err := gunzip(a.raw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, canary) {
		t.Errorf("a canary is in the archive")
	}
	seen := map[string]bool{}
	for _, name := range a.names {
		if seen[name] {
			t.Errorf("%s is in the archive twice", name)
		}
		seen[name] = true
	}
	if got := a.files["pods/default/big-0/app/current.log"]; int64(len(got)) < memRing {
		t.Errorf("current.log: %d bytes, want the whole tail", len(got))
	}

	// A directory bundle: every byte of every file.
	out := filepath.Join(t.TempDir(), "tree")
	ds, err := NewDirSink(out)
	if err != nil {
		t.Fatal(err)
	}
	res, err := n.collector(opts).Collect(context.Background(), ds)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if bytes.Contains(b, canary) {
			t.Errorf("%s holds a canary", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != len(res.Manifest.Files)+1 {
		t.Errorf("%d files in the directory, the manifest lists %d and itself", files, len(res.Manifest.Files))
	}
}
