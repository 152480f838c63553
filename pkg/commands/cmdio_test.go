package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ioOpts are the streams and context of one run through runIO.
type ioOpts struct {
	ctx          context.Context
	stdin        string
	inTTY        bool
	errTTY       bool
	readPassword func(context.Context) ([]byte, error)
}

// runIO is runArgs with terminals, stdin and a context of the test's
// choosing.
func (e *env) runIO(o ioOpts, args ...string) result {
	e.t.Helper()
	if o.ctx == nil {
		o.ctx = context.Background()
	}
	var out, errOut bytes.Buffer
	f := &Factory{
		// The spinner writes stderr from its own goroutine.
		IO: IOStreams{In: strings.NewReader(o.stdin), Out: &out, ErrOut: &syncBuffer{b: &errOut},
			InTTY: o.inTTY, ErrTTY: o.errTTY},
		Now:          func() time.Time { return testNow },
		Getenv:       func(k string) string { return e.vars[k] },
		Version:      "v0.0.0-test",
		ReadPassword: o.readPassword,
	}
	done := make(chan int, 1)
	go func() { done <- Run(o.ctx, f, append([]string{"crictl"}, args...)) }()
	select {
	case code := <-done:
		return result{stdout: out.String(), stderr: errOut.String(), code: code}
	case <-time.After(30 * time.Second):
		e.t.Fatalf("crictl %s: did not return within 30s", strings.Join(args, " "))
	}
	return result{}
}

func errorStatus(c codes.Code, msg string) error { return status.Error(c, msg) }

// files writes config files into a fresh directory and returns their paths.
func files(t *testing.T, nameContent ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i+1 < len(nameContent); i += 2 {
		p := filepath.Join(dir, nameContent[i])
		if err := os.WriteFile(p, []byte(nameContent[i+1]), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

const (
	podYAML = `metadata:
  name: web
  namespace: default
  uid: web-uid
log_directory: /var/log/pods/web
linux:
  security_context:
    namespace_options:
      network: 2
`
	podJSON = `{"metadata": {"name": "web", "namespace": "default", "uid": "web-uid"},
 "logDirectory": "/var/log/pods/web",
 "linux": {"securityContext": {"namespaceOptions": {"network": "NODE"}}}}`
	ctrYAML = `metadata:
  name: app
image:
  image: docker.io/library/busybox:1.36
  annotations: {pull-note: x}
command: [sh, -c, sleep 3600]
envs:
  - {key: GREETING, value: hello}
log_path: app/0.log
`
)
