package commands

import (
	"strings"
	"testing"
)

func TestCreateRunSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pod, ctr := e.ok("create jsonschema --pod"), e.ok("run js -c")
	if !strings.Contains(pod, `"title": "PodSandboxConfig"`) || !strings.Contains(ctr, `"title": "ContainerConfig"`) {
		t.Errorf("schemas: %.80q %.80q", pod, ctr)
	}
	if both := e.ok("create js -pc"); both != pod+ctr {
		t.Errorf("create js -pc is not the pod schema then the container schema")
	}
	if len(e.srv.Calls()) != 0 {
		t.Errorf("jsonschema made RPCs")
	}
}
