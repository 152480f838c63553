package dockerauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crictl/crictl/pkg/output"
)

const (
	// HelperTimeout bounds one run of a credential helper unless
	// Env.Timeout says otherwise; the caller's context bounds it too.
	HelperTimeout = 10 * time.Second
	// MaxHelperOutput bounds a helper's stdout; a helper that prints more
	// is killed.
	MaxHelperOutput = 64 << 10

	helperPrefix = "docker-credential-"
	// notFoundMessage is the answer of docker's helpers that have no
	// credentials for the server URL (docker-credential-helpers'
	// credentials.errCredentialsNotFoundMessage).
	notFoundMessage = "credentials not found in native keychain"
	// tokenUsername as the user name means the secret is an identity token.
	tokenUsername = "<token>"
	// maxHelperStderr is how much of a helper's stderr is kept, for the
	// excerpt in an error; the rest is dropped.
	maxHelperStderr = 4 << 10
	// maxExcerpt bounds the excerpt of a failing helper's output in an error.
	maxExcerpt = 200
	// helperWaitDelay is how long a killed helper's children may hold its
	// output pipes open before they are closed under them.
	helperWaitDelay = time.Second
)

// HelperError is a credential helper that is missing, failed, did not
// answer in time, or answered what is not credentials. Its message is one
// line naming the helper and the setting that chose it, never a secret.
type HelperError struct {
	// Program is the helper, e.g. "docker-credential-pass".
	Program string
	// Setting names the config entry that chose it, e.g. "credsStore in
	// /root/.docker/config.json".
	Setting string
	// Problem is what went wrong, e.g. "not found on PATH".
	Problem string
	// Err is the cause, if any: an *exec.ExitError, or the context's error
	// when the caller gave up.
	Err error
}

func (e *HelperError) Error() string {
	return fmt.Sprintf("docker credential helper %q (%s) %s", e.Program, e.Setting, e.Problem)
}

func (e *HelperError) Unwrap() error { return e.Err }

// helper is one credential helper to run.
type helper struct {
	program string // docker-credential-NAME
	setting string // "credsStore in /path/config.json"
}

func (h helper) errorf(cause error, format string, args ...any) *HelperError {
	return &HelperError{Program: h.program, Setting: h.setting, Problem: fmt.Sprintf(format, args...), Err: cause}
}

// helperAnswer is the JSON a helper prints for "get".
type helperAnswer struct {
	ServerURL string
	Username  string
	Secret    string
}

// runHelper runs "h get" with url on stdin, as docker does, and returns
// its credentials; nil when it has none.
func (e Env) runHelper(parent context.Context, h helper, url string) (*Credentials, error) {
	pathEnv := e.getenv("PATH")
	path, err := lookPath(h.program, pathEnv)
	if err != nil {
		return nil, h.errorf(nil, "not found on PATH: install it, or remove the setting")
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = HelperTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()

	stdout := &boundedBuffer{max: MaxHelperOutput, overflow: cancel}
	stderr := &boundedBuffer{max: maxHelperStderr}
	cmd := exec.CommandContext(ctx, path, "get")
	cmd.Stdin = strings.NewReader(url)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = helperEnv(e.Environ, pathEnv)
	cmd.WaitDelay = helperWaitDelay
	runErr := cmd.Run()
	if errors.Is(runErr, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// It answered and exited; a child of it kept stdout open.
		runErr = nil
	}

	var ee *exec.ExitError
	switch {
	case stdout.over():
		return nil, h.errorf(nil, "printed more than %d KiB on stdout and was stopped", MaxHelperOutput>>10)
	case notFound(stdout.Bytes()) || runErr != nil && notFound(stderr.Bytes()):
		return nil, nil
	case runErr == nil:
	case parent.Err() != nil:
		return nil, h.errorf(parent.Err(), "was stopped: %v", parent.Err())
	case ctx.Err() != nil:
		return nil, h.errorf(ctx.Err(), "gave no answer within %v and was stopped", timeout)
	case errors.As(runErr, &ee):
		msg := fmt.Sprintf("failed: %v", ee)
		if ex := excerpt(stderr.Bytes(), stdout.Bytes()); ex != "" {
			msg += ": " + ex
		}
		return nil, h.errorf(runErr, "%s", msg)
	default:
		return nil, h.errorf(runErr, "could not be run: %v", runErr)
	}

	// Only the first JSON value counts, as in docker: a helper may log
	// after it.
	var a helperAnswer
	if err := json.NewDecoder(bytes.NewReader(stdout.Bytes())).Decode(&a); err != nil {
		return nil, h.errorf(nil, `printed no credentials: want JSON {"Username": ..., "Secret": ...} on stdout`)
	}
	c := &Credentials{Username: a.Username, Password: a.Secret}
	if a.Username == tokenUsername {
		c = &Credentials{IdentityToken: a.Secret}
	}
	if c.empty() {
		return nil, nil
	}
	return c, nil
}

// lookPath finds program in the absolute directories of pathEnv. Empty and
// relative entries are skipped: a helper is never run from the current
// directory (exec.LookPath refuses such results too).
func lookPath(program, pathEnv string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p, err := exec.LookPath(filepath.Join(dir, program)); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// helperEnv is environ() with PATH set to pathEnv, the PATH the helper was
// found on.
func helperEnv(environ func() []string, pathEnv string) []string {
	if environ == nil {
		environ = os.Environ
	}
	var env []string
	for _, kv := range environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "PATH="+pathEnv)
}

// notFound reports whether a helper's output is docker's "no credentials"
// answer.
func notFound(out []byte) bool {
	return string(bytes.TrimSpace(out)) == notFoundMessage
}

// excerpt is the first line of a failing helper's stderr, else of its
// stdout (docker's helpers print their errors there) unless that looks
// like JSON, which may hold a secret; shortened and escaped.
func excerpt(stderr, stdout []byte) string {
	s := firstLine(stderr)
	if s == "" {
		if s = firstLine(stdout); strings.HasPrefix(s, "{") {
			s = ""
		}
	}
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return output.Escape(s)
}

// firstLine is the first non-blank line of b, trimmed.
func firstLine(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// boundedBuffer keeps the first max bytes written to it and drops the
// rest, calling overflow once when more arrives. It never fails a write,
// so the writer is never blocked on a full pipe.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int
	total    int
	overflow func()
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	wasOver := b.over()
	b.total += len(p)
	if !wasOver && b.over() && b.overflow != nil {
		b.overflow()
	}
	return len(p), nil
}

// over reports whether more than max bytes were written.
func (b *boundedBuffer) over() bool { return b.total > b.max }

// Bytes are the bytes kept.
func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }
