package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStartup measures process start-up in isolation: `crictl
// --version` (no RPC, no socket) built as `make build` builds it, against a
// static Go binary that does nothing, each exec'd and reaped in a loop.
// The difference is crictl's own start-up: loading a larger binary, the
// package initialisers and building the command tree. cpu-ms/op is the
// child's user+system time from its rusage. (Peak RSS is not reported: a
// child started by a large process is charged that process's peak; `make
// bench` measures it through crirusage.)
//
//	go test ./cmd/crictl -run '^$' -bench Startup
//
// To see which package initialisers cost the time:
//
//	GODEBUG=inittrace=1 bin/crictl --version 2>&1 | sort -k5 -n -r | head
func BenchmarkStartup(b *testing.B) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go toolchain: %v", err)
	}
	dir := b.TempDir()
	// build builds the package in srcDir ("": this one) as `make build` does
	build := func(out, srcDir string, extra ...string) {
		args := append([]string{"build", "-trimpath", "-ldflags", "-s -w", "-o", out}, extra...)
		cmd := exec.Command(goBin, append(args, ".")...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = srcDir
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", out, err, msg)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty", "go.mod"), []byte("module empty\n\ngo 1.26\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	crictl, empty := filepath.Join(dir, "crictl"), filepath.Join(dir, "empty-bin")
	build(crictl, "", "-tags", "urfave_cli_no_docs")
	build(empty, filepath.Join(dir, "empty"))

	for _, c := range []struct {
		name string
		argv []string
	}{
		{"crictl-version", []string{crictl, "--version"}},
		{"empty-go", []string{empty}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(c.argv[0], c.argv[1:]...)
				cmd.Env = []string{"CRI_CONFIG_FILE=/dev/null"}
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				}
			}
			b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}
