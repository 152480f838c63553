package crifake_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestVersion(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	got := must[*runtimeapi.VersionResponse](t)(c.rt.Version(ctx, &runtimeapi.VersionRequest{}))
	want := &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "fakeruntime", RuntimeVersion: "0.1.0", RuntimeApiVersion: "v1"}
	if !proto.Equal(got, want) {
		t.Errorf("Version = %v, want %v", got, want)
	}
	s.VersionInfo = &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "v1.6.20", RuntimeApiVersion: "v1", Version: "0.1.0"}
	got = must[*runtimeapi.VersionResponse](t)(c.rt.Version(ctx, &runtimeapi.VersionRequest{}))
	if got.RuntimeName != "containerd" || got.RuntimeVersion != "v1.6.20" {
		t.Errorf("configured Version = %v", got)
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	got := must[*runtimeapi.StatusResponse](t)(c.rt.Status(ctx, &runtimeapi.StatusRequest{}))
	conds := got.GetStatus().GetConditions()
	if len(conds) != 2 || conds[0].Type != runtimeapi.RuntimeReady || !conds[0].Status || conds[1].Type != runtimeapi.NetworkReady || !conds[1].Status {
		t.Errorf("default conditions = %v", conds)
	}
	if got.Info != nil {
		t.Errorf("non-verbose Info = %v, want nil", got.Info)
	}

	s.SandboxImage = "registry.k8s.io/pause:3.10"
	s.Conditions = []*runtimeapi.RuntimeCondition{{Type: runtimeapi.NetworkReady, Status: false, Reason: "NetworkPluginNotReady", Message: "cni plugin not initialized"}}
	s.StatusInfo = map[string]string{"extra": "x"}
	got = must[*runtimeapi.StatusResponse](t)(c.rt.Status(ctx, &runtimeapi.StatusRequest{Verbose: true}))
	if c := got.GetStatus().GetConditions(); len(c) != 1 || c[0].Reason != "NetworkPluginNotReady" {
		t.Errorf("configured conditions = %v", c)
	}
	var cfg struct {
		SandboxImage string `json:"sandboxImage"`
	}
	if err := json.Unmarshal([]byte(got.Info["config"]), &cfg); err != nil || cfg.SandboxImage != "registry.k8s.io/pause:3.10" {
		t.Errorf("config = %q (%v), want sandboxImage registry.k8s.io/pause:3.10", got.Info["config"], err)
	}
	var golang string
	if err := json.Unmarshal([]byte(got.Info["golang"]), &golang); err != nil || !strings.HasPrefix(golang, "go1.") {
		t.Errorf("golang = %q", got.Info["golang"])
	}
	if got.Info["lastCNILoadStatus"] != "OK" || got.Info["extra"] != "x" || !json.Valid([]byte(got.Info["cniconfig"])) {
		t.Errorf("info = %v", got.Info)
	}
}

func TestRuntimeConfigAndUpdateRuntimeConfig(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	got := must[*runtimeapi.RuntimeConfigResponse](t)(c.rt.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{}))
	if got.GetLinux().GetCgroupDriver() != runtimeapi.CgroupDriver_SYSTEMD {
		t.Errorf("cgroup driver = %v", got.GetLinux().GetCgroupDriver())
	}
	req := &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: "10.0.0.0/24"}}}
	must[*runtimeapi.UpdateRuntimeConfigResponse](t)(c.rt.UpdateRuntimeConfig(ctx, req))
	if r := s.Requests("UpdateRuntimeConfig"); len(r) != 1 || !proto.Equal(r[0], req) {
		t.Errorf("recorded %v", r)
	}
}

func podConfig(name string) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "default", Uid: "uid-" + name},
		LogDirectory: "/var/log/pods/default_" + name,
		Labels:       map[string]string{"app": name},
	}
}

func TestPodAndContainerLifecycle(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)

	run := must[*runtimeapi.RunPodSandboxResponse](t)(c.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podConfig("a"), RuntimeHandler: "runc"}))
	if !hex64.MatchString(run.PodSandboxId) {
		t.Fatalf("pod ID %q is not 64 hex", run.PodSandboxId)
	}
	_, err := c.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podConfig("a")})
	wantCode(t, err, codes.Unknown, "is reserved for")

	ps := must[*runtimeapi.PodSandboxStatusResponse](t)(c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: run.PodSandboxId[:8]}))
	st := ps.GetStatus()
	if st.State != runtimeapi.PodSandboxState_SANDBOX_READY || st.GetNetwork().GetIp() != "10.88.0.2" || st.CreatedAt != crifake.FixedTime.UnixNano() || st.RuntimeHandler != "runc" || st.Labels["app"] != "a" {
		t.Errorf("pod status = %v", st)
	}

	ccReq := &runtimeapi.CreateContainerRequest{
		PodSandboxId: run.PodSandboxId,
		Config: &runtimeapi.ContainerConfig{
			Metadata: &runtimeapi.ContainerMetadata{Name: "app"},
			Image:    &runtimeapi.ImageSpec{Image: "busybox"},
			LogPath:  "app/0.log",
			Envs:     []*runtimeapi.KeyValue{{Key: "A", Value: []byte("1")}},
		},
	}
	_, err = c.rt.CreateContainer(ctx, ccReq)
	wantCode(t, err, codes.NotFound, `failed to resolve image "busybox": not found`)

	s.AddImage(crifake.KubeletImage("docker.io/library/busybox:latest", 4<<20))
	cc := must[*runtimeapi.CreateContainerResponse](t)(c.rt.CreateContainer(ctx, ccReq))
	status := func() *runtimeapi.ContainerStatus {
		return must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: cc.ContainerId})).GetStatus()
	}
	cs := status()
	if cs.State != runtimeapi.ContainerState_CONTAINER_CREATED || cs.LogPath != "/var/log/pods/default_a/app/0.log" ||
		cs.CreatedAt != crifake.FixedTime.Add(time.Second).UnixNano() || cs.StartedAt != 0 ||
		cs.GetImage().GetImage() != "docker.io/library/busybox:latest" || !strings.HasPrefix(cs.ImageRef, "docker.io/library/busybox@sha256:") {
		t.Errorf("created status = %v", cs)
	}

	must[*runtimeapi.StartContainerResponse](t)(c.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: cc.ContainerId}))
	_, err = c.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: cc.ContainerId})
	wantCode(t, err, codes.Unknown, "container is in CONTAINER_RUNNING state")
	if cs := status(); cs.State != runtimeapi.ContainerState_CONTAINER_RUNNING || cs.StartedAt != crifake.FixedTime.Add(2*time.Second).UnixNano() {
		t.Errorf("running status = %v", cs)
	}

	must[*runtimeapi.StopPodSandboxResponse](t)(c.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: run.PodSandboxId}))
	if cs := status(); cs.State != runtimeapi.ContainerState_CONTAINER_EXITED || cs.FinishedAt != crifake.FixedTime.Add(3*time.Second).UnixNano() || cs.Reason != "Completed" {
		t.Errorf("status after StopPodSandbox = %v", cs)
	}
	if p := s.Pods(); len(p) != 1 || p[0].State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		t.Errorf("pods after stop = %v", p)
	}

	must[*runtimeapi.RemovePodSandboxResponse](t)(c.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: run.PodSandboxId}))
	if len(s.Pods()) != 0 || len(s.Containers()) != 0 {
		t.Errorf("left after RemovePodSandbox: %v %v", s.Pods(), s.Containers())
	}
	// Removals are idempotent, as in containerd.
	must[*runtimeapi.RemovePodSandboxResponse](t)(c.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: run.PodSandboxId}))
	must[*runtimeapi.RemoveContainerResponse](t)(c.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: cc.ContainerId}))
}

func TestStopAndRemoveContainer(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	id := s.AddContainer(crifake.KubeletContainer(web, "nginx", 0, "nginx:1.25", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	must[*runtimeapi.StopContainerResponse](t)(c.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 10}))
	if got := s.Containers()[0].State; got != runtimeapi.ContainerState_CONTAINER_EXITED {
		t.Errorf("state after stop = %v", got)
	}
	must[*runtimeapi.StopContainerResponse](t)(c.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id}))
	must[*runtimeapi.RemoveContainerResponse](t)(c.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id[:12]}))
	if n := len(s.Containers()); n != 0 {
		t.Errorf("%d containers left", n)
	}
}

func TestDeterministicIDsAndTimes(t *testing.T) {
	t.Parallel()
	var ids [2][]string
	for i := range ids {
		_, c := start(t)
		ctx := testCtx(t)
		for _, name := range []string{"a", "b"} {
			r := must[*runtimeapi.RunPodSandboxResponse](t)(c.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podConfig(name)}))
			ids[i] = append(ids[i], r.PodSandboxId)
		}
		list := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}))
		if len(list.Items) != 2 || list.Items[1].CreatedAt-list.Items[0].CreatedAt != int64(time.Second) {
			t.Errorf("CreatedAt not one second apart: %v", list.Items)
		}
	}
	if !slices.Equal(ids[0], ids[1]) || ids[0][0] == ids[0][1] {
		t.Errorf("IDs differ between runs or collide: %v", ids)
	}

	p1 := crifake.KubeletPod("x", "ns", 0, created, true)
	p2 := crifake.KubeletPod("x", "ns", 0, created, true)
	p3 := crifake.KubeletPod("x", "ns", 1, created, true)
	if p1.Id != p2.Id || p1.Id == p3.Id || !hex64.MatchString(p1.Id) {
		t.Errorf("KubeletPod IDs: %s %s %s", p1.Id, p2.Id, p3.Id)
	}
}

func TestListPodSandboxFilters(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, db, old := seedPods(s)
	list := func(f *runtimeapi.PodSandboxFilter) []string {
		t.Helper()
		r := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: f}))
		var names []string
		for _, p := range r.Items {
			names = append(names, p.GetMetadata().GetName())
		}
		return names
	}
	ready := &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}
	tests := []struct {
		name   string
		filter *runtimeapi.PodSandboxFilter
		want   []string
	}{
		{"none, insertion order", nil, []string{"web", "db", "old"}},
		{"exact id", &runtimeapi.PodSandboxFilter{Id: db.Id}, []string{"db"}},
		{"unique prefix", &runtimeapi.PodSandboxFilter{Id: old.Id[:5]}, []string{"old"}},
		{"no match", &runtimeapi.PodSandboxFilter{Id: "zzzz"}, nil},
		{"state", &runtimeapi.PodSandboxFilter{State: ready}, []string{"web", "db"}},
		{"label", &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{crifake.LabelPodNamespace: "default"}}, []string{"web", "old"}},
		{"labels AND", &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{crifake.LabelPodNamespace: "default", crifake.LabelPodName: "web"}}, []string{"web"}},
		{"label and state", &runtimeapi.PodSandboxFilter{State: ready, LabelSelector: map[string]string{crifake.LabelPodNamespace: "default"}}, []string{"web"}},
		{"id and mismatched state", &runtimeapi.PodSandboxFilter{Id: web.Id, State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY}}, nil},
	}
	for _, tt := range tests {
		if got := list(tt.filter); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}

	// Two IDs sharing a prefix: the prefix resolves to neither, as in containerd.
	a := &runtimeapi.PodSandbox{Id: "abcd" + strings.Repeat("0", 60), Metadata: &runtimeapi.PodSandboxMetadata{Name: "a0"}}
	b := &runtimeapi.PodSandbox{Id: "abcd" + strings.Repeat("0", 59) + "1", Metadata: &runtimeapi.PodSandboxMetadata{Name: "a1"}}
	s.AddPod(a)
	s.AddPod(b)
	if got := list(&runtimeapi.PodSandboxFilter{Id: "abcd"}); got != nil {
		t.Errorf("ambiguous prefix listed %v", got)
	}
	_, err := c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: "abcd"})
	wantCode(t, err, codes.Unknown, "Multiple IDs found with provided prefix: abcd")
}

func TestListContainersFilters(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, db, _ := seedPods(s)
	running, exited := runtimeapi.ContainerState_CONTAINER_RUNNING, runtimeapi.ContainerState_CONTAINER_EXITED
	nginx := crifake.KubeletContainer(web, "nginx", 0, "nginx:1.25", running, created)
	sidecar := crifake.KubeletContainer(web, "sidecar", 2, "busybox", exited, created)
	pg := crifake.KubeletContainer(db, "pg", 0, "postgres:16", running, created)
	for _, x := range []*runtimeapi.Container{nginx, sidecar, pg} {
		s.AddContainer(x)
	}
	list := func(f *runtimeapi.ContainerFilter) []string {
		t.Helper()
		r := must[*runtimeapi.ListContainersResponse](t)(c.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: f}))
		var names []string
		for _, x := range r.Containers {
			names = append(names, x.GetMetadata().GetName())
		}
		return names
	}
	tests := []struct {
		name   string
		filter *runtimeapi.ContainerFilter
		want   []string
	}{
		{"none", nil, []string{"nginx", "sidecar", "pg"}},
		{"id prefix", &runtimeapi.ContainerFilter{Id: sidecar.Id[:6]}, []string{"sidecar"}},
		{"pod exact", &runtimeapi.ContainerFilter{PodSandboxId: db.Id}, []string{"pg"}},
		{"pod prefix", &runtimeapi.ContainerFilter{PodSandboxId: web.Id[:6]}, []string{"nginx", "sidecar"}},
		{"state", &runtimeapi.ContainerFilter{State: &runtimeapi.ContainerStateValue{State: running}}, []string{"nginx", "pg"}},
		{"label", &runtimeapi.ContainerFilter{LabelSelector: map[string]string{crifake.LabelContainerName: "pg"}}, []string{"pg"}},
		{"pod and state", &runtimeapi.ContainerFilter{PodSandboxId: web.Id, State: &runtimeapi.ContainerStateValue{State: exited}}, []string{"sidecar"}},
		{"unknown pod", &runtimeapi.ContainerFilter{PodSandboxId: "zzzz"}, nil},
	}
	for _, tt := range tests {
		if got := list(tt.filter); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNotFoundAndBadIDs(t *testing.T) {
	t.Parallel()
	_, c := start(t)
	ctx := testCtx(t)
	_, err := c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "zzzz"})
	wantCode(t, err, codes.NotFound, `an error occurred when try to find container "zzzz": not found`)
	_, err = c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: "zzzz"})
	wantCode(t, err, codes.NotFound, `an error occurred when try to find sandbox "zzzz": not found`)
	_, err = c.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: "zzzz"})
	wantCode(t, err, codes.NotFound, "not found")
	_, err = c.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: "zzzz"})
	wantCode(t, err, codes.NotFound, "not found")
	_, err = c.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: "zzzz"})
	wantCode(t, err, codes.NotFound, "not found")
	_, err = c.rt.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: "zzzz"})
	wantCode(t, err, codes.NotFound, "not found")
	_, err = c.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: "zzzz"})
	wantCode(t, err, codes.NotFound, `failed to find sandbox id "zzzz"`)
	_, err = c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ""})
	wantCode(t, err, codes.Unknown, "Prefix can't be empty")
}

func TestSeedArbitraryValues(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	evil := "evil\x1b]0;pwned\x07\nname\u202e\t\u009b"
	pod := crifake.KubeletPod(evil, "ns\r\n", 0, created, true)
	pod.State = runtimeapi.PodSandboxState(7)
	s.AddPod(pod)
	ctr := crifake.KubeletContainer(pod, evil, 0, "img\x1b[31m", runtimeapi.ContainerState(99), created)
	ctr.Annotations["note"] = "\x00\x7f"
	s.AddContainer(ctr)

	pods := must[*runtimeapi.ListPodSandboxResponse](t)(c.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})).Items
	if len(pods) != 1 || !proto.Equal(pods[0], pod) {
		t.Errorf("pod did not round-trip: %v", pods)
	}
	ctrs := must[*runtimeapi.ListContainersResponse](t)(c.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})).Containers
	if len(ctrs) != 1 || !proto.Equal(ctrs[0], ctr) {
		t.Errorf("container did not round-trip: %v", ctrs)
	}
	st := must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctr.Id})).GetStatus()
	if st.State != 99 || st.GetMetadata().GetName() != evil {
		t.Errorf("status = %v", st)
	}
}

func TestSeededContainerStatus(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	status := func(id string) *runtimeapi.ContainerStatus {
		return must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})).GetStatus()
	}

	running := s.AddContainer(crifake.KubeletContainer(web, "nginx", 3, "nginx:1.25", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	st := status(running)
	wantLog := "/var/log/pods/default_web_" + crifake.PodUID("default", "web") + "/nginx/3.log"
	if st.LogPath != wantLog || st.StartedAt != created.Add(time.Second).UnixNano() || st.FinishedAt != 0 || st.Reason != "" {
		t.Errorf("running status = %v, want log path %s", st, wantLog)
	}
	if st.GetImage().GetImage() != "nginx:1.25" || st.ImageRef != crifake.ImageID("nginx:1.25") {
		t.Errorf("image without a stored image = %v / %s", st.GetImage(), st.ImageRef)
	}
	s.AddImage(crifake.KubeletImage("nginx:1.25", 1))
	if st := status(running); st.GetImage().GetImage() != "docker.io/library/nginx:1.25" || !strings.HasPrefix(st.ImageRef, "docker.io/library/nginx@sha256:") {
		t.Errorf("image with a stored image = %v / %s", st.GetImage(), st.ImageRef)
	}

	logFile := t.TempDir() + "/0.log"
	exited := s.AddContainer(crifake.KubeletContainer(web, "job", 0, "busybox", runtimeapi.ContainerState_CONTAINER_EXITED, created),
		crifake.WithLogPath(logFile), crifake.WithExitCode(3), crifake.WithReason("OOMKilled", "out of memory"),
		crifake.WithStartedAt(created.Add(time.Minute)), crifake.WithFinishedAt(created.Add(2*time.Minute)))
	st = status(exited)
	if st.LogPath != logFile || st.ExitCode != 3 || st.Reason != "OOMKilled" || st.Message != "out of memory" ||
		st.StartedAt != created.Add(time.Minute).UnixNano() || st.FinishedAt != created.Add(2*time.Minute).UnixNano() {
		t.Errorf("exited status = %v", st)
	}
	failed := s.AddContainer(crifake.KubeletContainer(web, "failed", 0, "busybox", runtimeapi.ContainerState_CONTAINER_EXITED, created), crifake.WithExitCode(1))
	if st := status(failed); st.Reason != "Error" || st.FinishedAt != created.Add(2*time.Second).UnixNano() {
		t.Errorf("failed status = %v", st)
	}

	given := &runtimeapi.ContainerStatus{Id: "given", State: runtimeapi.ContainerState_CONTAINER_RUNNING, Reason: "as-is"}
	s.AddContainer(&runtimeapi.Container{Id: "given", State: runtimeapi.ContainerState_CONTAINER_RUNNING}, crifake.WithContainerStatus(given))
	if st := status("given"); !proto.Equal(st, given) {
		t.Errorf("given status = %v", st)
	}
	must[*runtimeapi.StopContainerResponse](t)(c.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: "given"}))
	if st := status("given"); st.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.Reason != "as-is" {
		t.Errorf("given status after stop = %v", st)
	}
}

func TestSeededPodStatus(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	pod := crifake.KubeletPod("host", "kube-system", 0, created, true)
	ns := &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE, Pid: runtimeapi.NamespaceMode_NODE}
	s.AddPod(pod, crifake.WithPodIP("192.168.1.10", "fd00::10"), crifake.WithNamespaceOptions(ns))
	st := must[*runtimeapi.PodSandboxStatusResponse](t)(c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod.Id})).GetStatus()
	if st.GetNetwork().GetIp() != "192.168.1.10" || len(st.GetNetwork().GetAdditionalIps()) != 1 || st.GetNetwork().GetAdditionalIps()[0].Ip != "fd00::10" ||
		!proto.Equal(st.GetLinux().GetNamespaces().GetOptions(), ns) || st.Labels[crifake.LabelPodName] != "host" || st.CreatedAt != created.UnixNano() {
		t.Errorf("pod status = %v", st)
	}
	plain := crifake.KubeletPod("plain", "default", 0, created, false)
	s.AddPod(plain)
	st = must[*runtimeapi.PodSandboxStatusResponse](t)(c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: plain.Id})).GetStatus()
	if st.State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY || st.GetLinux().GetNamespaces().GetOptions().GetPid() != runtimeapi.NamespaceMode_CONTAINER {
		t.Errorf("plain pod status = %v", st)
	}
}

func TestVerboseInfo(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	id := s.AddContainer(crifake.KubeletContainer(web, "app", 0, "app:1", runtimeapi.ContainerState_CONTAINER_RUNNING, created),
		crifake.WithEnv("DB_PASSWORD=canary1"), crifake.WithPID(4242))

	resp := must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true}))
	var info struct {
		SandboxID   string         `json:"sandboxID"`
		Pid         int            `json:"pid"`
		Config      map[string]any `json:"config"`
		RuntimeSpec struct {
			Process struct {
				Env []string `json:"env"`
			} `json:"process"`
		} `json:"runtimeSpec"`
	}
	if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil {
		t.Fatalf("container info %q: %v", resp.Info["info"], err)
	}
	if info.SandboxID != web.Id || info.Pid != 4242 || !slices.Contains(info.RuntimeSpec.Process.Env, "DB_PASSWORD=canary1") || info.Config["metadata"] == nil {
		t.Errorf("container info = %+v", info)
	}
	if r := must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})); r.Info != nil {
		t.Errorf("non-verbose info = %v", r.Info)
	}

	pinfo := must[*runtimeapi.PodSandboxStatusResponse](t)(c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: web.Id, Verbose: true})).Info
	var sb struct {
		Pid    int            `json:"pid"`
		Image  string         `json:"image"`
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal([]byte(pinfo["info"]), &sb); err != nil || sb.Pid == 0 || sb.Image != crifake.DefaultSandboxImage || sb.Config["log_directory"] == nil {
		t.Errorf("pod info %q: %+v %v", pinfo["info"], sb, err)
	}

	custom := map[string]string{"info": "not json \x1b[0m"}
	s.AddContainer(&runtimeapi.Container{Id: "custom"}, crifake.WithContainerInfo(custom))
	if r := must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "custom", Verbose: true})); r.Info["info"] != custom["info"] {
		t.Errorf("custom info = %v", r.Info)
	}
}

func TestUpdateContainerResources(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	id := s.AddContainer(crifake.KubeletContainer(web, "app", 0, "app:1", runtimeapi.ContainerState_CONTAINER_RUNNING, created),
		crifake.WithResources(&runtimeapi.ContainerResources{Linux: &runtimeapi.LinuxContainerResources{CpuShares: 2, MemoryLimitInBytes: 1 << 30}}))
	req := &runtimeapi.UpdateContainerResourcesRequest{ContainerId: id, Linux: &runtimeapi.LinuxContainerResources{CpuQuota: 50000, CpuPeriod: 100000}}
	must[*runtimeapi.UpdateContainerResourcesResponse](t)(c.rt.UpdateContainerResources(ctx, req))
	if r := s.Requests("UpdateContainerResources"); len(r) != 1 || !proto.Equal(r[0], req) {
		t.Errorf("recorded %v", r)
	}
	got := must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})).GetStatus().GetResources().GetLinux()
	want := &runtimeapi.LinuxContainerResources{CpuShares: 2, MemoryLimitInBytes: 1 << 30, CpuQuota: 50000, CpuPeriod: 100000}
	if !proto.Equal(got, want) {
		t.Errorf("resources = %v, want %v", got, want)
	}
	stopped := s.AddContainer(crifake.KubeletContainer(web, "done", 0, "app:1", runtimeapi.ContainerState_CONTAINER_EXITED, created))
	_, err := c.rt.UpdateContainerResources(ctx, &runtimeapi.UpdateContainerResourcesRequest{ContainerId: stopped})
	wantCode(t, err, codes.Unknown, "CONTAINER_EXITED")
}

func TestExecSyncAndStreamingURLs(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, old := seedPods(s)
	run := s.AddContainer(crifake.KubeletContainer(web, "app", 0, "app:1", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	done := s.AddContainer(crifake.KubeletContainer(web, "done", 0, "app:1", runtimeapi.ContainerState_CONTAINER_EXITED, created))

	r := must[*runtimeapi.ExecSyncResponse](t)(c.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: run, Cmd: []string{"true"}}))
	if r.ExitCode != 0 || len(r.Stdout) != 0 {
		t.Errorf("default ExecSync = %v", r)
	}
	s.SetExecSync(func(req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
		return &runtimeapi.ExecSyncResponse{Stdout: []byte(strings.Join(req.Cmd, " ")), Stderr: []byte("warn"), ExitCode: 3}, nil
	})
	r = must[*runtimeapi.ExecSyncResponse](t)(c.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: run, Cmd: []string{"echo", "hi"}}))
	if string(r.Stdout) != "echo hi" || string(r.Stderr) != "warn" || r.ExitCode != 3 {
		t.Errorf("ExecSync = %v", r)
	}
	_, err := c.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: done})
	wantCode(t, err, codes.Unknown, "CONTAINER_EXITED")

	e := must[*runtimeapi.ExecResponse](t)(c.rt.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: run, Cmd: []string{"sh"}, Stdout: true}))
	if !strings.HasPrefix(e.Url, "http://127.0.0.1:0/Exec/") {
		t.Errorf("default exec URL = %q", e.Url)
	}
	s.SetStreamURL("Exec", "http://127.0.0.1:1/blackhole")
	s.SetStreamURL("Attach", "http://127.0.0.1:2/attach")
	s.SetStreamURL("PortForward", "http://127.0.0.1:3/pf")
	if e := must[*runtimeapi.ExecResponse](t)(c.rt.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: run, Stdin: true, Tty: true})); e.Url != "http://127.0.0.1:1/blackhole" {
		t.Errorf("exec URL = %q", e.Url)
	}
	_, err = c.rt.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: run})
	wantCode(t, err, codes.InvalidArgument, "one of stdin, stdout, or stderr must be set")
	_, err = c.rt.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: run, Tty: true, Stderr: true})
	wantCode(t, err, codes.InvalidArgument, "tty and stderr")
	if a := must[*runtimeapi.AttachResponse](t)(c.rt.Attach(ctx, &runtimeapi.AttachRequest{ContainerId: run, Stdout: true})); a.Url != "http://127.0.0.1:2/attach" {
		t.Errorf("attach URL = %q", a.Url)
	}
	if p := must[*runtimeapi.PortForwardResponse](t)(c.rt.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: web.Id, Port: []int32{80}})); p.Url != "http://127.0.0.1:3/pf" {
		t.Errorf("port-forward URL = %q", p.Url)
	}
	_, err = c.rt.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: old.Id})
	wantCode(t, err, codes.Unknown, "not running")
}

func TestReopenContainerLog(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, _, _ := seedPods(s)
	run := s.AddContainer(crifake.KubeletContainer(web, "app", 0, "app:1", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	done := s.AddContainer(crifake.KubeletContainer(web, "done", 0, "app:1", runtimeapi.ContainerState_CONTAINER_EXITED, created))
	must[*runtimeapi.ReopenContainerLogResponse](t)(c.rt.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: run}))
	_, err := c.rt.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: done})
	wantCode(t, err, codes.Unknown, "container is not running")
}

func TestStats(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	web, db, _ := seedPods(s)
	a := s.AddContainer(crifake.KubeletContainer(web, "a", 0, "app:1", runtimeapi.ContainerState_CONTAINER_RUNNING, created))
	s.AddContainer(crifake.KubeletContainer(web, "b", 0, "app:1", runtimeapi.ContainerState_CONTAINER_EXITED, created))
	given := &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: "pg"}, Cpu: &runtimeapi.CpuUsage{UsageNanoCores: &runtimeapi.UInt64Value{Value: 7}}}
	s.AddContainer(&runtimeapi.Container{Id: "pg", PodSandboxId: db.Id}, crifake.WithContainerStats(given))

	s1 := must[*runtimeapi.ContainerStatsResponse](t)(c.rt.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: a})).GetStats()
	s2 := must[*runtimeapi.ContainerStatsResponse](t)(c.rt.ContainerStats(ctx, &runtimeapi.ContainerStatsRequest{ContainerId: a})).GetStats()
	if s1.GetAttributes().GetId() != a || s1.GetCpu().GetUsageNanoCores().GetValue() == 0 || s1.GetMemory().GetWorkingSetBytes().GetValue() == 0 {
		t.Errorf("stats = %v", s1)
	}
	dt := s2.GetCpu().GetTimestamp() - s1.GetCpu().GetTimestamp()
	dcpu := s2.GetCpu().GetUsageCoreNanoSeconds().GetValue() - s1.GetCpu().GetUsageCoreNanoSeconds().GetValue()
	if dt != int64(time.Second) || dcpu != s1.GetCpu().GetUsageNanoCores().GetValue() {
		t.Errorf("samples: dt %d, dcpu %d, nano cores %d", dt, dcpu, s1.GetCpu().GetUsageNanoCores().GetValue())
	}

	list := must[*runtimeapi.ListContainerStatsResponse](t)(c.rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{PodSandboxId: web.Id[:7]}})).GetStats()
	if len(list) != 2 || list[1].GetCpu().GetUsageNanoCores().GetValue() != 0 {
		t.Errorf("ListContainerStats by pod = %v", list)
	}
	list = must[*runtimeapi.ListContainerStatsResponse](t)(c.rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{Id: "pg"}})).GetStats()
	if len(list) != 1 || !proto.Equal(list[0], given) {
		t.Errorf("ListContainerStats given = %v", list)
	}

	ps := must[*runtimeapi.PodSandboxStatsResponse](t)(c.rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: web.Id})).GetStats()
	if ps.GetAttributes().GetId() != web.Id || len(ps.GetLinux().GetContainers()) != 2 || ps.GetLinux().GetCpu().GetUsageNanoCores().GetValue() == 0 {
		t.Errorf("PodSandboxStats = %v", ps)
	}
	pl := must[*runtimeapi.ListPodSandboxStatsResponse](t)(c.rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{
		Filter: &runtimeapi.PodSandboxStatsFilter{LabelSelector: map[string]string{crifake.LabelPodNamespace: "prod"}},
	})).GetStats()
	if len(pl) != 1 || pl[0].GetAttributes().GetId() != db.Id {
		t.Errorf("ListPodSandboxStats = %v", pl)
	}
}

func TestUnimplementedRPCs(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	_, err := c.rt.UpdatePodSandboxResources(ctx, &runtimeapi.UpdatePodSandboxResourcesRequest{PodSandboxId: "x"})
	wantCode(t, err, codes.Unimplemented, "")
	// containerd 1.6 has no event stream: a fault says so.
	s.Inject("GetContainerEvents", crifake.Fault{Code: codes.Unimplemented})
	stream, err := c.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	wantCode(t, err, codes.Unimplemented, "")
	if got := s.Calls(); !slices.Equal(got, []string{"UpdatePodSandboxResources", "GetContainerEvents"}) {
		t.Errorf("Calls = %v", got)
	}
}
