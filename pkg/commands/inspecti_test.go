package commands

import (
	"strings"
	"testing"
)

func TestInspecti(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	golden(t, "inspecti/json", e.ok("inspecti -q busybox:1.36"))
	golden(t, "inspecti/table", e.ok("inspecti -q -o table docker.io/library/nginx:1.27"))
	r := e.run("inspecti -q nosuch/image:1")
	if r.code != 1 || !strings.Contains(r.stderr, `image "nosuch/image:1" not found`) {
		t.Errorf("missing image: exit %d stderr %q", r.code, r.stderr)
	}
}
