package commands

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
)

func TestDefaultEndpointProbe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "CONTAINER_RUNTIME_ENDPOINT")
	dir := crifake.ShortTempDir(t)
	missing := "unix://" + filepath.Join(dir, "none.sock")
	stale, stop, _ := crifake.StaleSocket(dir)
	t.Cleanup(stop)

	run := func(defaults ...string) result {
		var out, errOut strings.Builder
		f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
			Now: testNowFunc, Getenv: func(k string) string { return e.vars[k] }, DefaultEndpoints: defaults}
		code := Run(context.Background(), f, []string{"crictl", "version"})
		return result{out.String(), errOut.String(), code}
	}
	if r := run(missing, stale, e.endpoint); r.code != 0 || r.stderr != "" {
		t.Errorf("probe with one live endpoint: exit %d, stderr %q (must be silent)", r.code, r.stderr)
	}
	r := run(missing, stale)
	oneError(t, r, "no runtime endpoint is configured", "none.sock: no such file", "connection refused", "--runtime-endpoint")
}

func TestImageServiceDialedOnlyWhenUsed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.vars["IMAGE_SERVICE_ENDPOINT"] = "unix:///nonexistent/image.sock"
	for _, cmd := range []string{"pods", "ps -a", "inspect coredns", "version", "info"} {
		if r := e.run(cmd); r.code != 0 {
			t.Errorf("%s used the image endpoint: %q", cmd, r.stderr)
		}
	}
	oneError(t, e.run("images"), "unix:///nonexistent/image.sock", "no such file")
}

func TestOneConnectionForBothServices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	var out, errOut strings.Builder
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Now: testNowFunc, Getenv: func(k string) string { return e.vars[k] }}
	f.IO.Out = newOutWriter(&out)
	app := newApp(f)
	if err := app.RunContext(context.Background(), []string{"crictl", "ps", "-r"}); err != nil {
		t.Fatal(err)
	}
	if f.runtime == nil || f.runtime != f.image {
		t.Errorf("ps -r used two connections for one endpoint")
	}
	f.Close()
}

func TestClosedPipeEndsQuietly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 3000 {
		e.srv.AddPod(crifake.KubeletPod("pod-"+strings.Repeat("x", 40)+string(rune('a'+i%26))+time.Duration(i).String(), "default", 0, ago(time.Hour), true))
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var errOut strings.Builder
	f := &Factory{IO: IOStreams{In: strings.NewReader(""), Out: w, ErrOut: &errOut},
		Now: testNowFunc, Getenv: func(k string) string { return e.vars[k] }}
	if code := Run(context.Background(), f, []string{"crictl", "pods"}); code != 0 || errOut.String() != "" {
		t.Errorf("pods into a closed pipe: exit %d, stderr %q; want a quiet 0", code, errOut.String())
	}
}
