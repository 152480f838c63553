// Package e2e runs the built crictl binary against a real containerd (see
// the harness package) and checks what it prints.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
)

var (
	samples *harness.Samples
	suite   = harness.Suite{Setup: func(ctx context.Context, env *harness.Env) (err error) {
		samples, err = env.SamplePods(ctx)
		return err
	}}

	// the crictl under test, built once (or named by CRICTL_BINARY)
	crictlBuilt    = make(chan struct{})
	crictlPath     string
	crictlErr      error
	crictlCommands map[string]bool
)

// runTimeout bounds every crictl run: a command that has not returned by
// then fails its test (this is a hang check, not a speed target).
const runTimeout = 30 * time.Second

func TestMain(m *testing.M) {
	flagsOff := os.Getenv("CRICTL_E2E")
	var tmp string
	if harness.Requirements() == nil && flagsOff != "0" && flagsOff != "off" && flagsOff != "false" {
		// build while the runtime starts
		var err error
		if tmp, err = os.MkdirTemp("", "crictl-e2e-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			os.Exit(1)
		}
		go prepareCrictl(tmp)
		suite.Cleanup = func() {
			<-crictlBuilt
			_ = os.RemoveAll(tmp)
		}
	} else {
		close(crictlBuilt)
	}
	os.Exit(suite.Main(m))
}

// prepareCrictl builds ./cmd/crictl into dir (unless CRICTL_BINARY names a
// binary) and reads the commands its --help lists.
func prepareCrictl(dir string) {
	defer close(crictlBuilt)
	if p := os.Getenv("CRICTL_BINARY"); p != "" {
		abs, err := filepath.Abs(p)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			crictlErr = fmt.Errorf("CRICTL_BINARY=%s: %w", p, err)
			return
		}
		crictlPath = abs
	} else {
		root, err := moduleRoot()
		if err != nil {
			crictlErr = err
			return
		}
		crictlPath = filepath.Join(dir, "crictl")
		cmd := exec.Command("go", "build", "-o", crictlPath, "./cmd/crictl")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			crictlErr = fmt.Errorf("go build ./cmd/crictl: %w\n%s", err, out)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, crictlPath, "--help")
	cmd.Env = crictlEnv()
	out, _ := cmd.Output() // a usage exit code is fine, the text is what counts
	crictlCommands = parseCommands(string(out))
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

// parseCommands reads the COMMANDS section of urfave/cli's help: indented
// lines "name, alias   Usage", possibly under indented "category:" lines.
func parseCommands(help string) map[string]bool {
	cmds := map[string]bool{}
	in := false
	for _, line := range strings.Split(help, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "COMMANDS:"):
			in = true
			continue
		case !in:
			continue
		case trimmed == "":
			continue
		case line[0] != ' ' && line[0] != '\t':
			in = false
			continue
		}
		head := strings.Fields(trimmed)[0]
		if strings.HasSuffix(head, ":") {
			continue // a category heading
		}
		names := strings.SplitN(trimmed, "  ", 2)[0]
		for _, n := range strings.Split(names, ",") {
			if n = strings.TrimSpace(n); n != "" {
				cmds[n] = true
			}
		}
	}
	return cmds
}

// crictlEnv is the environment of crictl runs: no endpoint or config from
// the developer's environment leaks in.
func crictlEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CONTAINER_RUNTIME_ENDPOINT", "IMAGE_SERVICE_ENDPOINT", "CRI_CONFIG_FILE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "CRI_CONFIG_FILE=/dev/null")
}

// needCommand returns the environment, or skips t when crictl does not list
// the command yet. A crictl that does not build fails t.
func needCommand(t *testing.T, name string) *harness.Env {
	t.Helper()
	env := suite.Env(t)
	<-crictlBuilt
	if crictlErr != nil {
		t.Fatalf("crictl binary: %v", crictlErr)
	}
	if !crictlCommands[name] {
		t.Skipf("crictl %s: not implemented yet (not listed by crictl --help)", name)
	}
	return env
}

// run runs crictl with exactly args and returns its output and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return runIO(t, nil, nil, args...)
}

// runIO is run with extra environment variables and, when not nil, stdin.
func runIO(t *testing.T, extraEnv []string, stdin io.Reader, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, crictlPath, args...)
	cmd.Env = append(crictlEnv(), extraEnv...)
	cmd.Stdin = stdin
	cmd.WaitDelay = 2 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("crictl %s: no exit within %v", strings.Join(args, " "), runTimeout)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		exitCode = ee.ExitCode()
	default:
		t.Fatalf("crictl %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), exitCode
}

// crictl runs crictl -r ENDPOINT args.
func crictl(t *testing.T, env *harness.Env, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return run(t, append([]string{"-r", env.Endpoint}, args...)...)
}

// mustCrictl runs crictl -r ENDPOINT args and fails t unless it exits 0.
func mustCrictl(t *testing.T, env *harness.Env, args ...string) string {
	t.Helper()
	out, errOut, code := crictl(t, env, args...)
	if code != 0 {
		t.Fatalf("crictl %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}
