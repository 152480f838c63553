package commands

import (
	"strings"
	"testing"
)

func TestImages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	for _, tc := range []struct{ name, cmd string }{
		{"images/table", "images"},
		{"images/repo", "images busybox"},
		{"images/repo-tag", "images docker.io/library/nginx:1.27"},
		{"images/digests", "images --digests --pinned --no-trunc"},
		{"images/quiet", "images -q"},
		{"images/json", "images nginx -o json"},
		{"images/verbose", "images -v busybox"},
		{"images/dangling", "images -f dangling=false -f reference=coredns"},
	} {
		golden(t, tc.name, e.ok(tc.cmd))
	}
	if out := e.ok("images -q nonexistent/image"); out != "" {
		t.Errorf("images of a missing repository printed %q; the runtime ignores the filter, crictl must not", out)
	}
	e.srv.ResetCalls()
	e.ok("images")
	if got := strings.Join(e.srv.Calls(), " "); got != "ListImages" {
		t.Errorf("images made RPCs %q, want ListImages only", got)
	}
}
