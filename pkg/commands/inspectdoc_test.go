package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// canaryNode seeds a pod, a container and an image carrying secrets where
// matrix case 47 plants them: a container env, a pod annotation, an image
// env and the registry auth in info.
func canaryNode(e *env) (pod *runtimeapi.PodSandbox, ctr *runtimeapi.Container) {
	e.srv.StatusInfo = map[string]string{"config": `{"registry":{"configs":{"reg.example":{"auth":{"username":"u","password":"canary4"}}}},"sandboxImage":"p"}`}
	pod = crifake.KubeletPod("db-0", "prod", 0, ago(time.Hour), true)
	pod.Annotations = map[string]string{"token": "canary2", "team": "data"}
	e.srv.AddPod(pod)
	ctr = crifake.KubeletContainer(pod, "postgres", 0, "docker.io/library/postgres:16", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour))
	e.srv.AddContainer(ctr, crifake.WithEnv("DB_PASSWORD=canary1", "PGDATA=/data"))
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/postgres:16", 1000), crifake.WithImageEnv("API_KEY=canary3", "LANG=C"))
	return pod, ctr
}

func TestRedactFlag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _ = canaryNode(e)
	for _, tc := range []struct{ cmd, canary string }{
		{"inspect postgres", "canary1"},
		{"inspectp db-0", "canary2"},
		{"inspecti docker.io/library/postgres:16", "canary3"},
		{"info", "canary4"},
	} {
		for _, format := range []string{"json", "yaml", "table"} {
			if tc.cmd == "info" && format == "table" {
				continue
			}
			cmd := tc.cmd + " -o " + format
			// Interactive commands print secrets unless asked (documented).
			if out := e.ok(cmd); !strings.Contains(out, tc.canary) {
				t.Errorf("%s: the canary is not shown without --redact:\n%s", cmd, out)
			}
			out := e.ok(cmd + " --redact")
			if strings.Contains(out, "canary") {
				t.Errorf("%s --redact: a canary leaked:\n%s", cmd, out)
			}
			if !strings.Contains(out, "<redacted>") {
				t.Errorf("%s --redact: no <redacted> marker:\n%s", cmd, out)
			}
		}
	}
	// What is not secret stays.
	out := e.ok("inspect postgres --redact")
	for _, keep := range []string{"PGDATA=/data", `"DB_PASSWORD=<redacted>"`, "postgres"} {
		if !strings.Contains(out, keep) {
			t.Errorf("inspect --redact lost %q:\n%s", keep, out)
		}
	}
}
