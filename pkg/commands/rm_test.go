package commands

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestRm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.ResetCalls()
	if out := e.ok("rm -k migrate"); out != n.webOld.Id+"\n" {
		t.Errorf("stdout %q", out)
	}
	if _, ok := ctrStateOf(t, e.srv, n.webOld.Id); ok {
		t.Error("the container is still there")
	}
	// A running container is refused without --force and kept.
	oneError(t, e.run("rm nginx"), `container "`+n.webC.Id+`" is running, please stop it first (or use --force)`)
	if _, ok := ctrStateOf(t, e.srv, n.webC.Id); !ok {
		t.Error("a running container was removed without --force")
	}
	// --force stops it (killed at once), removes it, prints the ID once.
	e.srv.ResetCalls()
	if out := e.ok("rm -f -k nginx"); out != n.webC.Id+"\n" {
		t.Errorf("rm -f printed %q, want the ID once", out)
	}
	calls := e.srv.Calls()
	if i, j := slices.Index(calls, "StopContainer"), slices.Index(calls, "RemoveContainer"); i < 0 || j < i {
		t.Errorf("calls %v: want StopContainer before RemoveContainer", calls)
	}
	if r := e.srv.Requests("StopContainer"); len(r) != 1 || r[0].(*runtimeapi.StopContainerRequest).Timeout != 0 {
		t.Errorf("StopContainer requests %v, want one with timeout 0", r)
	}
	// A full ID that does not exist: not found (the runtime's remove would
	// succeed silently).
	missing := strings.Repeat("f", 64)
	oneError(t, e.run("rm "+missing), `container "`+missing+`" not found`)
}

func TestRmAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	// without --force: the stopped ones go, each running one is refused
	r := e.run("rm -a -k")
	if got, want := lines(r.stdout), lines(n.webOld.Id+"\n"+n.bareC.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("rm -a removed %q, want the two that do not run", got)
	}
	if r.code != 1 || strings.Count(r.stderr, "is running, please stop it first") != 5 {
		t.Errorf("exit %d, stderr %q: want 5 refusals", r.code, r.stderr)
	}
	// --keep-logs with states from the list: no ContainerStatus at all
	e.srv.ResetCalls()
	out := e.ok("rm -a -f -k")
	if len(lines(out)) != 5 {
		t.Errorf("rm -a -f printed %q", out)
	}
	if c := countCalls(e.srv.Calls(), "ContainerStatus"); c != 0 {
		t.Errorf("%d ContainerStatus calls with -k, want 0", c)
	}
	// Pause containers are not containers to rm.
	for _, c := range e.srv.Containers() {
		if !kube.IsSandboxContainer(c) {
			t.Errorf("container %s left", c.Id)
		}
	}
	r = e.run("rm -a")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No containers to remove\n" {
		t.Errorf("rm -a with nothing: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRmNarrowedByNamespaceAndPod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	out := e.ok("rm -a -f -k --namespace default")
	if got, want := lines(out), lines(n.webC.Id+"\n"+n.sidecar.Id+"\n"+n.webOld.Id+"\n"); !slices.Equal(got, want) {
		t.Errorf("rm -a --namespace default removed %q", got)
	}
	// a name narrowed by --pod
	e.srv.AddContainer(crifake.KubeletContainer(n.coredns, "agent", 0, "busybox", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Hour)))
	oneError(t, e.run("rm -k agent"), `container name "agent" is ambiguous`)
	if out := e.ok("rm -k agent --pod metrics-agent -f"); out != n.extraC.Id+"\n" {
		t.Errorf("rm agent --pod metrics-agent removed %q", out)
	}
}

func TestRmPartialFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("RemoveContainer", crifake.Fault{Code: codes.Unknown, Message: "device busy", Times: 1})
	missing := strings.Repeat("e", 64)
	r := e.run("rm -k -f " + n.webOld.Id + " " + missing + " " + n.bareC.Id + " nosuch")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	errs := lines(r.stderr)
	if len(errs) != 3 {
		t.Fatalf("stderr %q: want 3 lines (the fault, the missing ID, the unknown name)", r.stderr)
	}
	for _, w := range []string{"RemoveContainer: device busy", `container "` + missing + `" not found`, `container "nosuch" not found`} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	if len(lines(r.stdout)) != 1 {
		t.Errorf("stdout %q: want the one container removed", r.stdout)
	}
	left := 0
	for _, id := range []string{n.webOld.Id, n.bareC.Id} {
		if _, ok := ctrStateOf(t, e.srv, id); ok {
			left++
		}
	}
	if left != 1 {
		t.Errorf("%d of the two containers left, want 1", left)
	}
}

// TestRmLogFiles removes the log file and its regular rotations, and
// leaves a symlink (and its target), a FIFO, a directory and unrelated
// files alone.
func TestRmLogFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "pods", "ns_web_uid", "nginx")
	os.MkdirAll(logs, 0o755)
	secret := filepath.Join(dir, "secret")
	write := func(p string) {
		t.Helper()
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"0.log", "0.log.20240101-000000", "0.log.20240101-000000.gz", "0.logx", "1.log", "10.log"} {
		write(filepath.Join(logs, name))
	}
	write(secret)
	os.Symlink(secret, filepath.Join(logs, "0.log.20240102-000000"))
	if err := syscall.Mkfifo(filepath.Join(logs, "0.log.fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(logs, "0.log.d"), 0o755)
	pod := crifake.KubeletPod("web", "ns", 0, ago(time.Hour), false)
	e.srv.AddPod(pod, crifake.WithPodLogDirectory(logs))
	id := e.srv.AddContainer(crifake.KubeletContainer(pod, "nginx", 0, "nginx", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Hour)),
		crifake.WithLogPath(filepath.Join(logs, "0.log")))

	r := e.run("rm " + id)
	if r.code != 0 || r.stdout != id+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	wantWarn := []string{
		"crictl: warning: container " + id + ": left " + filepath.Join(logs, "0.log.20240102-000000") + " alone: it is a symbolic link, not a regular file",
		"crictl: warning: container " + id + ": left " + filepath.Join(logs, "0.log.d") + " alone: it is a directory, not a regular file",
		"crictl: warning: container " + id + ": left " + filepath.Join(logs, "0.log.fifo") + " alone: it is a FIFO, not a regular file",
	}
	slices.Sort(wantWarn)
	if got := lines(r.stderr); !slices.Equal(got, wantWarn) {
		t.Errorf("stderr:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantWarn, "\n"))
	}
	var left []string
	entries, _ := os.ReadDir(logs)
	for _, en := range entries {
		left = append(left, en.Name())
	}
	want := []string{"0.log.20240102-000000", "0.log.d", "0.log.fifo", "0.logx", "1.log", "10.log"}
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("the symlink's target is gone: %v", err)
	}
}

func TestRmLogFilesKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.MkdirAll(real, 0o755)
	os.Symlink(real, filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(real, "0.log"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(real, "app.txt"), []byte("x"), 0o600)
	os.Symlink(filepath.Join(real, "app.txt"), filepath.Join(real, "2.log"))
	for _, tc := range []struct {
		name, logPath, flags string
		warn                 string
	}{
		{"keep-logs", filepath.Join(real, "0.log"), "-k", ""},
		{"directory is a symlink", filepath.Join(dir, "link", "0.log"), "", filepath.Join(dir, "link") + " is a symbolic link"},
		{"log file is a symlink", filepath.Join(real, "2.log"), "", "left " + filepath.Join(real, "2.log") + " alone: it is a symbolic link"},
		{"not a .log file", filepath.Join(real, "app.txt"), "", "does not name a .log file"},
		{"relative", "real/0.log", "", "not a clean absolute path"},
		{"not clean", real + "/../real/0.log", "", "not a clean absolute path"},
		{"no such directory", filepath.Join(dir, "gone", "0.log"), "", ""},
		{"no log path", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			pod := crifake.KubeletPod("web", "ns", 0, ago(time.Hour), false)
			e.srv.AddPod(pod, crifake.WithPodLogDirectory(dir))
			id := e.srv.AddContainer(crifake.KubeletContainer(pod, "nginx", 0, "nginx", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Hour)),
				crifake.WithLogPath(tc.logPath))
			r := e.run("rm " + tc.flags + " " + id)
			if r.code != 0 || r.stdout != id+"\n" {
				t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			if tc.warn == "" && r.stderr != "" || tc.warn != "" && (strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.warn)) {
				t.Errorf("stderr %q, want one warning containing %q", r.stderr, tc.warn)
			}
			for _, f := range []string{"0.log", "app.txt", "2.log"} {
				if _, err := os.Lstat(filepath.Join(real, f)); err != nil {
					t.Errorf("%s is gone", f)
				}
			}
		})
	}
}

// --namespace narrows rm --all as a regular expression when it is not a
// namespace name.
func TestRmAllNamespaceRegex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	out := e.ok("rm -a -f -k --namespace ^kube-system-")
	if strings.TrimSpace(out) != n.extraC.Id {
		t.Errorf("rm -a --namespace ^kube-system- removed %q, want only %s", out, n.extraC.Id)
	}
}
