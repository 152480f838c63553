package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// lifecycle runs a pod with one container through its life on the fake
// runtime: the events containerd would send for it.
func lifecycle(t *testing.T, srv *crifake.Server, ns string) {
	t.Helper()
	ctx := context.Background()
	srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1))
	pod, err := srv.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "job-" + ns, Namespace: ns, Uid: "u-" + ns}}})
	if err != nil {
		t.Error(err)
		return
	}
	ctr, err := srv.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod.PodSandboxId, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "task"}, Image: &runtimeapi.ImageSpec{Image: "busybox:1.36"}}})
	if err != nil {
		t.Error(err)
		return
	}
	if _, err := srv.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: ctr.ContainerId}); err != nil {
		t.Error(err)
	}
	srv.ExitContainer(ctr.ContainerId, 0)
	if _, err := srv.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod.PodSandboxId}); err != nil {
		t.Error(err)
	}
}

// waitUnsubscribed waits until the event streams of earlier commands are
// closed on the server, so that the next command's is the one there.
func waitUnsubscribed(t *testing.T, srv *crifake.Server) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); srv.Subscribers() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an event stream stays open after its command ended")
		}
	}
}

// listening: the command is ready (its table header is out) and its
// event stream is open on the server.
func listening(srv *crifake.Server) func(string) bool {
	return func(out string) bool { return strings.HasPrefix(out, "TIME") && srv.Subscribers() > 0 }
}

// once runs act the first time ready is true.
func once(ready func(string) bool, act func()) func(string) bool {
	done := false
	return func(out string) bool {
		if !done && ready(out) {
			done = true
			act()
		}
		return false
	}
}

func TestEventsTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	acted := once(listening(e.srv), func() { lifecycle(t, e.srv, "batch") })
	r := e.watch(false, func(out string) bool {
		acted(out)
		return strings.Count(out, "\n") >= 8
	}, "events", "-o", "table")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	golden(t, "events/table", r.stdout)

	// filters: a namespace, a type, a container name
	waitUnsubscribed(t, e.srv)
	acted = once(listening(e.srv), func() {
		lifecycle(t, e.srv, "other")
		lifecycle(t, e.srv, "wanted")
	})
	r = e.watch(false, func(out string) bool {
		acted(out)
		return strings.Count(out, "\n") >= 3
	}, "events", "-o", "table", "--namespace", "wanted", "--type", "started,stopped", "--name", "^task$")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "   started   ") || !strings.Contains(lines[2], "   stopped   ") ||
		strings.Contains(r.stdout, "other") {
		t.Errorf("filtered:\n%s", r.stdout)
	}
}

// JSON by default, one document per event as the reference prints them.
func TestEventsJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	emit := once(func(string) bool { return e.srv.Subscribers() > 0 }, func() {
		for _, typ := range []runtimeapi.ContainerEventType{runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT} {
			e.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: typ, CreatedAt: 7,
				PodSandboxStatus: &runtimeapi.PodSandboxStatus{Id: "p1", Metadata: &runtimeapi.PodSandboxMetadata{Name: "web", Namespace: "default"}}})
		}
	})
	r := e.watch(false, func(out string) bool {
		emit(out)
		return strings.Count(out, `"containerEventType"`) >= 2
	}, "events")
	if r.code != 0 {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for _, want := range []string{"CONTAINER_CREATED_EVENT", "CONTAINER_STARTED_EVENT"} {
		var ev map[string]any
		if err := dec.Decode(&ev); err != nil || ev["containerEventType"] != want || ev["containerId"] != "c1" {
			t.Errorf("event %v %v, want %s", ev, err, want)
		}
	}
	if !strings.HasPrefix(r.stdout, "{\n  \"containerId\": \"c1\",\n") {
		t.Errorf("not the reference's indented document: %q", r.stdout)
	}
	// yaml: documents separated by ---
	waitUnsubscribed(t, e.srv)
	emit = once(func(string) bool { return e.srv.Subscribers() > 0 }, func() {
		for _, typ := range []runtimeapi.ContainerEventType{runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT} {
			e.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "c2", ContainerEventType: typ})
		}
	})
	r = e.watch(false, func(out string) bool { emit(out); return strings.Count(out, "containerId: c2") >= 2 }, "events", "-o", "yaml")
	if strings.Count(r.stdout, "---\n") != 1 {
		t.Errorf("yaml %q", r.stdout)
	}
	// a go-template per event
	waitUnsubscribed(t, e.srv)
	emit = once(func(string) bool { return e.srv.Subscribers() > 0 }, func() {
		e.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "c3", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT})
	})
	r = e.watch(false, func(out string) bool { emit(out); return strings.Contains(out, "\n") }, "events", "-o", "go-template", "--template", "{{.containerId}} {{.containerEventType}}")
	if r.stdout != "c3 CONTAINER_CREATED_EVENT\n" {
		t.Errorf("go-template %q", r.stdout)
	}
}

// The reference's words for options it refuses, before any RPC.
func TestEventsOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oneError(t, e.run("events -o xml"), `crictl: don't support "xml" format (see 'crictl events --help')`)
	oneError(t, e.runArgs("events", "--template", "{{.}}"), `template can't be used with "json" format`)
	oneError(t, e.runArgs("events", "-o", "yaml", "--template", "{{.}}"), `template can't be used with "yaml" format`)
	oneError(t, e.runArgs("events", "-o", "go-template", "--template", "{{.x"), "failed to parse go-template: template: output:1: unclosed action")
	oneError(t, e.run("events --type exploded"), `--type "exploded": use created, started, stopped or deleted`)
	oneError(t, e.run("events extra"), `unexpected argument "extra"`)
	oneError(t, e.run("events --interval 5ms"), "--interval")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("refused options made RPCs: %v", calls)
	}
	// the alias
	oneError(t, e.run("event -o xml"), `don't support "xml" format`)
}

// containerd 1.6: no event stream; the lists every --interval stand in,
// said once on stderr.
func TestEventsPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	e.srv.Inject("GetContainerEvents", crifake.Fault{Code: codes.Unimplemented, Message: "method GetContainerEvents not implemented"})
	act := once(func(out string) bool { return strings.HasPrefix(out, "TIME") }, func() { e.srv.ExitContainer(n.webC.Id, 0) })
	r := e.watch(false, func(out string) bool { act(out); return strings.Count(out, "\n") >= 2 }, "events", "-o", "table", "--interval", "100ms")
	if r.code != 0 || r.stderr != "crictl: fakeruntime 0.1.0 does not implement GetContainerEvents: listing every 100ms instead\n" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "2026-01-02T05:04:05Z        stopped   "+n.webC.Id[:13]+"   nginx") ||
		!strings.HasSuffix(lines[1], "web-5wpwzq2zt6-rg7jx       default") {
		t.Errorf("lines %q", lines)
	}
	// JSON: the event containerd would have sent, with the pod and its
	// containers (acted on once a round of listing has followed the first)
	e.srv.ResetCalls()
	act = once(func(string) bool { return countCalls(e.srv.Calls(), "ListContainers") >= 2 }, func() { e.srv.ExitContainer(n.sidecar.Id, 2) })
	r = e.watch(false, func(out string) bool { act(out); return strings.Contains(out, "}\n") }, "events", "--interval", "100ms")
	doc := decodeJSON(t, r.stdout)
	if doc["containerId"] != n.sidecar.Id || doc["containerEventType"] != "CONTAINER_STOPPED_EVENT" {
		t.Errorf("event %v", doc)
	}
	if ps, _ := doc["podSandboxStatus"].(map[string]any); ps["id"] != n.web.Id {
		t.Errorf("pod status %v", doc["podSandboxStatus"])
	}
	if cs, _ := doc["containersStatuses"].([]any); len(cs) != 3 {
		t.Errorf("the pod's containers: %v", doc["containersStatuses"])
	}
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.NewDecoder(strings.NewReader(s)).Decode(&m); err != nil {
		t.Fatalf("%v in %q", err, s)
	}
	return m
}

// The runtime ending its stream is an error; Ctrl-C is the normal end.
func TestEventsStreamEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	end := once(listening(e.srv), e.srv.EndEvents)
	r := e.watch(false, func(out string) bool { end(out); return false }, "events", "-o", "table")
	if r.code != 1 || r.stderr != "crictl: the runtime ended its event stream (it may have restarted)\n" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
	r = e.watch(false, func(out string) bool { return strings.HasPrefix(out, "TIME") }, "events", "-o", "table")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("Ctrl-C: exit %d stderr %q", r.code, r.stderr)
	}
}

// A template that does not fit one event is reported and the stream goes
// on, as the reference does.
func TestEventsTemplateMisfit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	emit := once(func(string) bool { return e.srv.Subscribers() > 0 }, func() {
		e.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "nopod", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT})
		e.srv.Emit(&runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT,
			PodSandboxStatus: &runtimeapi.PodSandboxStatus{Id: "p1", Metadata: &runtimeapi.PodSandboxMetadata{Name: "web"}}})
	})
	r := e.watch(false, func(out string) bool { emit(out); return strings.Contains(out, "\n") },
		"events", "-o", "go-template", "--template", "{{.podSandboxStatus.metadata.name}}")
	if r.code != 0 || r.stdout != "web\n" || !strings.HasPrefix(r.stderr, "crictl: warning: event of nopod: executing template:") {
		t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
