package harness

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// A dependency is a Debian package and the file that proves it is installed.
type dependency struct {
	pkg   string
	probe string // a command name (looked up in PATH and the sbin dirs) or an absolute path
}

var dependencies = []dependency{
	{"containerd", "containerd"},
	{"containerd", "ctr"},
	{"containerd", "containerd-shim-runc-v2"},
	{"runc", "runc"},
	{"containernetworking-plugins", cniBinDir + "/bridge"},
	{"containernetworking-plugins", cniBinDir + "/host-local"},
	{"containernetworking-plugins", cniBinDir + "/portmap"},
	{"containernetworking-plugins", cniBinDir + "/loopback"},
	{"docker-registry", "docker-registry"},
	{"iproute2", "ip"},
	{"iptables", "iptables"}, // the portmap plugin runs it on CNI DEL
}

const cniBinDir = "/usr/lib/cni"

// optionalDependencies are installed only when an option asks for them.
var optionalDependencies = map[string]dependency{
	"criu": {"criu", "criu"}, // Options.CRIU: checkpoint/restore
}

// busyboxPaths are where busybox-static puts its binary.
var busyboxPaths = []string{"/bin/busybox", "/usr/bin/busybox"}

// lookPath is exec.LookPath that also searches the sbin directories, which a
// root shell has but `go test` under sudo or a CI environment may not.
func lookPath(name string) (string, error) {
	if filepath.IsAbs(name) {
		if _, err := os.Stat(name); err != nil {
			return "", err
		}
		return name, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found", name)
}

// staticBusybox returns the path of a statically linked busybox: the app
// image's only binary, so it must not need a libc.
func staticBusybox() (string, error) {
	for _, p := range busyboxPaths {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		_ = f.Close()
		if static {
			return p, nil
		}
	}
	return "", errors.New("no statically linked busybox (package busybox-static)")
}

// missingPackages lists the Debian packages whose probe file is missing,
// of the dependencies and the optional ones named in extra.
func missingPackages(extra ...string) []string {
	seen := map[string]bool{}
	var pkgs []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	deps := dependencies
	for _, name := range extra {
		deps = append(deps[:len(deps):len(deps)], optionalDependencies[name])
	}
	for _, d := range deps {
		if _, err := lookPath(d.probe); err != nil {
			add(d.pkg)
		}
	}
	if _, err := staticBusybox(); err != nil {
		add("busybox-static")
	}
	return pkgs
}

// Requirements tells whether this machine can run the environment: Linux,
// root, and either every needed binary installed or apt-get to install them.
// The error is one line meant to be shown as the reason for a skip.
func Requirements() error {
	if runtime.GOOS != "linux" {
		return errors.New("needs Linux (root on Debian/Ubuntu with apt-get)")
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root on Debian/Ubuntu with apt-get")
	}
	if missing := missingPackages(); len(missing) > 0 {
		if _, err := lookPath("apt-get"); err != nil {
			return fmt.Errorf("needs apt-get (Debian/Ubuntu) to install %s", strings.Join(missing, " "))
		}
	}
	if _, err := goTool(); err != nil {
		return errors.New("needs the go command (it builds the pause image and containerd 2)")
	}
	return nil
}

var installMu sync.Mutex

// ensurePackages installs the missing Debian packages (of the dependencies
// and the optional ones named in extra) with one apt-get update and one
// apt-get install. A file lock under the base dir keeps two test binaries
// from running apt-get at once (dpkg's own lock would make the second one
// fail instead of wait).
func ensurePackages(base string, logf func(string, ...any), extra ...string) error {
	for _, name := range extra {
		if _, ok := optionalDependencies[name]; !ok {
			return fmt.Errorf("no optional package %q", name)
		}
	}
	installMu.Lock()
	defer installMu.Unlock()
	if len(missingPackages(extra...)) == 0 {
		return nil
	}
	unlock, err := lockFile(filepath.Join(base, "apt.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	missing := missingPackages(extra...)
	if len(missing) == 0 {
		return nil
	}
	aptGet, err := lookPath("apt-get")
	if err != nil {
		return fmt.Errorf("packages %s are missing and there is no apt-get", strings.Join(missing, " "))
	}
	logf("installing %s with apt-get", strings.Join(missing, " "))
	run := func(what string, args ...string) error {
		cmd := exec.Command(aptGet, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s: %w: %s", what, err, lastLines(out.String(), 3))
		}
		return nil
	}
	if err := run("update", "-qq", "-o", "DPkg::Lock::Timeout=300", "update"); err != nil {
		return err
	}
	args := append([]string{"-qq", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "install"}, missing...)
	if err := run("install", args...); err != nil {
		return err
	}
	if still := missingPackages(extra...); len(still) > 0 {
		return fmt.Errorf("still missing after apt-get install: %s", strings.Join(still, " "))
	}
	return nil
}

// goTool finds the go command: `go test` and `go run` put GOROOT/bin first
// in PATH; /usr/local/go is where the official tarball installs.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	return lookPath("/usr/local/go/bin/go")
}

// goVersion returns the go command and its version ("go1.26.8"), which
// keys the caches of what the harness builds.
func goVersion(ctx context.Context) (goCmd, version string, err error) {
	if goCmd, err = goTool(); err != nil {
		return "", "", err
	}
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOVERSION").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return goCmd, strings.TrimSpace(string(out)), nil
}

// lastLines returns the last n non-empty lines of s joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
