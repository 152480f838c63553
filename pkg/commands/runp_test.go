package commands

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func podRequest(t *testing.T, srv *crifake.Server, i int) *runtimeapi.RunPodSandboxRequest {
	t.Helper()
	reqs := srv.Requests("RunPodSandbox")
	if len(reqs) <= i {
		t.Fatalf("%d RunPodSandbox requests, want more than %d", len(reqs), i)
	}
	return reqs[i].(*runtimeapi.RunPodSandboxRequest)
}

func TestRunp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", podYAML, "pod.json", podJSON)
	out := e.ok("runp " + p[0])
	pods := e.srv.Pods()
	if len(pods) != 1 || out != pods[0].Id+"\n" {
		t.Fatalf("runp printed %q; pods %v", out, pods)
	}
	if got := e.srv.Calls(); !slices.Equal(got, []string{"RunPodSandbox"}) {
		t.Errorf("RPCs = %v", got)
	}
	snake := podRequest(t, e.srv, 0)
	if snake.GetRuntimeHandler() != "" || snake.GetConfig().GetLinux().GetSecurityContext().GetNamespaceOptions().GetNetwork() != runtimeapi.NamespaceMode_NODE {
		t.Errorf("request: %v", snake)
	}
	// The camelCase file (inspect's spelling, enum names) is the same pod;
	// -r sets the runtime handler.
	e.srv.Inject("RunPodSandbox", crifake.Fault{Code: codes.AlreadyExists, Message: "name reserved", Times: 1})
	oneError(t, e.run("runp -r kata "+p[1]), "running the pod web", "name reserved")
	camel := podRequest(t, e.srv, 1)
	if !proto.Equal(camel.GetConfig(), snake.GetConfig()) || camel.GetRuntimeHandler() != "kata" {
		t.Errorf("camelCase request differs: %v\nvs %v", camel, snake)
	}
	if js := e.ok("runp jsonschema"); !strings.Contains(js, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) || js != e.ok("runp js") {
		t.Errorf("runp jsonschema: %.100q", js)
	}
}

func TestRunpUIDDefault(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", "metadata: {name: a, namespace: b}\n")
	e.ok("runp " + p[0])
	if uid := podRequest(t, e.srv, 0).GetConfig().GetMetadata().GetUid(); len(uid) != 36 {
		t.Errorf("uid %q, want a random UUID", uid)
	}
}

func TestRunpErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t,
		"unknown.yaml", "metadata: {name: a, namespace: b}\nlinux: {security_context: {bogus: 1}}\n",
		"number.json", `{"metadata":{"name":5,"namespace":"b"}}`,
		"enum.yaml", "metadata: {name: a, namespace: b}\nlinux: {security_context: {namespace_options: {network: 9}}}\n",
		"nons.yaml", "metadata: {name: a}\n",
	)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"runp", []string{"runp takes one pod config file", "crictl runp --help"}},
		{"runp a b", []string{"got 2 arguments"}},
		{"runp " + p[0], []string{p[0] + ": .linux.security_context.bogus: unknown field"}},
		{"runp " + p[1], []string{p[1] + ": .metadata.name: want a string, got the number 5"}},
		{"runp " + p[2], []string{".linux.security_context.namespace_options.network: 9 is not a NamespaceMode"}},
		{"runp " + p[3], []string{".metadata.namespace: required field is missing"}},
		{"runp " + filepath.Join(t.TempDir(), "none.yaml"), []string{"config at ", "none.yaml not found"}},
		{"runp -T -1s " + p[0], []string{"--cancel-timeout"}},
		{"runp -T soon " + p[0], []string{"--cancel-timeout"}},
		{"runp jsonschema extra", []string{"takes no arguments"}},
	} {
		oneError(t, e.run(tc.cmd), tc.want...)
	}
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("invalid input made RPCs: %v", calls)
	}
}

// RunPodSandbox gets twice --timeout, or --cancel-timeout when given.
func TestRunpTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", podYAML, "pod2.yaml", strings.Replace(podYAML, "web-uid", "other", 1))
	e.srv.Inject("RunPodSandbox", crifake.Fault{Delay: 1500 * time.Millisecond, Times: 2})
	if r := e.run("--timeout 1s runp " + p[0]); r.code != 0 {
		t.Errorf("RunPodSandbox taking 1.5s with --timeout 1s (bound 2s) failed: %q", r.stderr)
	}
	oneError(t, e.run("--timeout 1s runp -T 500ms "+p[1]), "did not answer within 500ms")
}
