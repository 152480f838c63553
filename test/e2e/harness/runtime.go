package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A RuntimeKind selects the CRI runtime an environment runs.
type RuntimeKind string

const (
	// Containerd is Debian's containerd package (1.6 on Debian 12).
	Containerd RuntimeKind = "containerd"
	// Containerd2 is containerd Containerd2Version, built from the Go
	// module proxy once per Go version and cached under BASE/cache.
	Containerd2 RuntimeKind = "containerd2"
)

// RuntimeKinds lists every kind, in the order the Suite runs them.
var RuntimeKinds = []RuntimeKind{Containerd, Containerd2}

// Containerd2Version is the containerd release Containerd2 builds.
const Containerd2Version = "v2.4.2"

// containerd2Module is the module the Containerd2 binaries are built from.
const containerd2Module = "github.com/containerd/containerd/v2"

func (k RuntimeKind) orDefault() RuntimeKind {
	if k == "" {
		return Containerd
	}
	return k
}

func (k RuntimeKind) valid() error {
	for _, v := range RuntimeKinds {
		if k == v {
			return nil
		}
	}
	return fmt.Errorf("unknown runtime %q: want %s", string(k), joinKinds(RuntimeKinds))
}

// String names the kind the way its option is spelled ("containerd2").
func (k RuntimeKind) String() string { return string(k.orDefault()) }

// ParseRuntimes reads a comma-separated list of runtime kinds ("containerd",
// "containerd2", or "all"); empty means all of them.
func ParseRuntimes(s string) ([]RuntimeKind, error) {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "all" {
		return append([]RuntimeKind(nil), RuntimeKinds...), nil
	}
	var out []RuntimeKind
	seen := map[RuntimeKind]bool{}
	for _, f := range strings.Split(s, ",") {
		k := RuntimeKind(strings.TrimSpace(f))
		if err := k.valid(); err != nil {
			return nil, err
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func joinKinds(ks []RuntimeKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// runtimeBins are the programs of one runtime kind.
type runtimeBins struct {
	containerd string
	shim       string // containerd-shim-runc-v2
	// pathDir goes first in PATH of containerd, so it finds its own shim
	// ("" for the system's containerd)
	pathDir string
}

// systemBins are Debian's containerd and shim.
func systemBins() (*runtimeBins, error) {
	ctd, err := lookPath("containerd")
	if err != nil {
		return nil, err
	}
	shim, err := lookPath("containerd-shim-runc-v2")
	if err != nil {
		return nil, err
	}
	return &runtimeBins{containerd: ctd, shim: shim}, nil
}

// containerd2Commands are the module's commands built for Containerd2.
var containerd2Commands = []string{"containerd", "containerd-shim-runc-v2"}

// containerd2BuildArgs are the go install flags: no cgo (static binaries),
// no btrfs snapshotter (it needs cgo headers), no devmapper and zfs
// snapshotters and no tracing plugin (unused here; they cost about a sixth
// of the build), and the release's version string, as `containerd
// --version` and the CRI Version call report it.
var containerd2BuildArgs = []string{
	"-tags=no_btrfs,no_devmapper,no_zfs,no_tracing", "-trimpath",
	"-ldflags=-s -w -X " + containerd2Module + "/version.Version=" + Containerd2Version,
}

// containerd2CacheDir is where the binaries built with goVersion are kept:
// keyed by the containerd version, the Go version and the build flags.
func containerd2CacheDir(cacheDir, goVersion string) string {
	recipe := digestOf([]byte(strings.Join(containerd2BuildArgs, "\x00") + runtime.GOARCH))[len("sha256:"):][:8]
	return filepath.Join(cacheDir, "containerd-"+Containerd2Version+"-"+goVersion+"-"+recipe)
}

// containerd2Bins returns the cached Containerd2 binaries, building them
// first (go install from the module proxy, about 70 s of CPU on 2 cores
// after the download) when they are not cached yet. A file lock makes
// concurrent callers wait for one build.
func containerd2Bins(ctx context.Context, cacheDir string, logf func(string, ...any)) (*runtimeBins, error) {
	goCmd, goVer, err := goVersion(ctx)
	if err != nil {
		return nil, err
	}
	dir := containerd2CacheDir(cacheDir, goVer)
	bins := &runtimeBins{
		containerd: filepath.Join(dir, "containerd"),
		shim:       filepath.Join(dir, "containerd-shim-runc-v2"),
		pathDir:    dir,
	}
	if bins.complete() {
		return bins, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(cacheDir, "containerd2.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if bins.complete() {
		return bins, nil
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	t := time.Now()
	logf("building containerd %s with %s (go install from the module proxy; cached in %s)", Containerd2Version, goVer, dir)
	args := append([]string{"install"}, containerd2BuildArgs...)
	for _, c := range containerd2Commands {
		args = append(args, containerd2Module+"/cmd/"+c+"@"+Containerd2Version)
	}
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = tmp // outside any module: the project's go.mod must not matter
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOBIN="+tmp, "GOFLAGS=", "GOWORK=off", "GO111MODULE=on",
		"GOOS=linux", "GOARCH="+runtime.GOARCH)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err = cmd.Start()
	if err == nil {
		// niced: it runs while tests on another runtime do (the compilers
		// it starts inherit the priority)
		_ = unix.Setpriority(unix.PRIO_PROCESS, cmd.Process.Pid, 10)
		err = cmd.Wait()
	}
	if b := output.Bytes(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("build containerd %s: %w", Containerd2Version, ctx.Err())
		}
		return nil, fmt.Errorf("build containerd %s (go %s): %w: %s", Containerd2Version, strings.Join(args, " "), err, lastLines(string(b), 5))
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	logf("built containerd %s in %v", Containerd2Version, time.Since(t).Round(time.Second))
	if !bins.complete() {
		return nil, errors.New("build containerd " + Containerd2Version + ": binaries missing after go install")
	}
	return bins, nil
}

func (b *runtimeBins) complete() bool {
	for _, p := range []string{b.containerd, b.shim} {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// runtimeBinaries returns the programs of kind, building Containerd2 when
// needed.
func runtimeBinaries(ctx context.Context, kind RuntimeKind, cacheDir string, logf func(string, ...any)) (*runtimeBins, error) {
	if kind.orDefault() == Containerd2 {
		return containerd2Bins(ctx, cacheDir, logf)
	}
	return systemBins()
}

// BuildContainerd2 builds and caches the Containerd2 binaries under base
// (DefaultBaseDir when empty), unless they are cached already, and returns
// their directory. Start does this by itself; CI calls it early (crienv
// build) so that the download and build overlap other work.
func BuildContainerd2(ctx context.Context, base string, logf func(string, ...any)) (string, error) {
	if base == "" {
		base = DefaultBaseDir
	}
	if logf == nil {
		logf = nop
	}
	bins, err := containerd2Bins(ctx, filepath.Join(base, "cache"), logf)
	if err != nil {
		return "", err
	}
	return bins.pathDir, nil
}
