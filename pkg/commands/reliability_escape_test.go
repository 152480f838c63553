package commands

import (
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The runtime's own strings in version (the reference printed them raw)
// are escaped: no control character reaches the terminal and a newline
// cannot add a line. A template is escaped on a terminal and gets the
// bytes into a pipe; JSON keeps them exact (reliability matrix #43, #44).
func TestVersionEscaped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	evil := "fake\x1b]0;PWNED\x07\nRuntimeVersion:  forged\u009b\u202e"
	e.srv.VersionInfo = &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: evil, RuntimeVersion: "1.0\x1b[2J", RuntimeApiVersion: "v1"}

	out := e.ok("version")
	if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
		t.Errorf("a control character reached the terminal: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || strings.Count(out, "RuntimeVersion:") != 2 || !strings.HasPrefix(lines[2], "RuntimeVersion:  1.0^[[2J") {
		t.Errorf("version: want the 5 lines, the forged one kept inside RuntimeName:\n%s", out)
	}

	tmpl := []string{"version", "-o", "go-template", "--template", "{{.runtimeName}}"}
	if got := e.runArgs(tmpl...); got.code != 0 || got.stdout != evil+"\n" {
		t.Errorf("template into a pipe: %q, want the bytes", got.stdout)
	}
	e.outTTY = true
	if got := e.runArgs(tmpl...).stdout; strings.ContainsAny(got, "\x1b\x07\u009b\u202e") || !strings.Contains(got, "fake^[]0;PWNED") {
		t.Errorf("template on a terminal: %q", got)
	}
	e.outTTY = false
	if js := e.ok("version -o json"); !strings.Contains(js, `fake\u001b]0;PWNED\u0007\nRuntimeVersion`) {
		t.Errorf("JSON lost the exact name: %s", js)
	}
}
