package commands

import (
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// protoDiff is "" when the messages are equal, else both, for the error.
func protoDiff(want, got proto.Message) string {
	if proto.Equal(want, got) {
		return ""
	}
	return "want: " + prototext.Format(want) + "\ngot:  " + prototext.Format(got)
}

func updateEnv(t *testing.T, res *runtimeapi.ContainerResources) (*env, string) {
	t.Helper()
	e := newEnv(t)
	pod := crifake.KubeletPod("web", "default", 0, ago(time.Hour), true)
	e.srv.AddPod(pod)
	var opts []crifake.ContainerOption
	if res != nil {
		opts = append(opts, crifake.WithResources(res))
	}
	id := e.srv.AddContainer(crifake.KubeletContainer(pod, "nginx", 0, "nginx", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour)), opts...)
	return e, id
}

var currentLinux = &runtimeapi.LinuxContainerResources{
	CpuPeriod:              100000,
	CpuQuota:               50000,
	CpuShares:              512,
	MemoryLimitInBytes:     256 << 20,
	MemorySwapLimitInBytes: 256 << 20,
	OomScoreAdj:            900,
	CpusetCpus:             "0-1",
	CpusetMems:             "0",
	Unified:                map[string]string{"memory.high": "200000000"},
	HugepageLimits:         []*runtimeapi.HugepageLimit{{PageSize: "2MB", Limit: 0}},
}

func lastUpdate(t *testing.T, s *crifake.Server) *runtimeapi.UpdateContainerResourcesRequest {
	t.Helper()
	reqs := s.Requests("UpdateContainerResources")
	if len(reqs) == 0 {
		t.Fatal("no UpdateContainerResources request")
	}
	return reqs[len(reqs)-1].(*runtimeapi.UpdateContainerResourcesRequest)
}

// TestUpdateChangesOnlyGivenFields sends the current resources with only
// the given fields changed.
func TestUpdateChangesOnlyGivenFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		flags  string
		change func(l *runtimeapi.LinuxContainerResources)
	}{
		{"--memory 512Mi", func(l *runtimeapi.LinuxContainerResources) {
			l.MemoryLimitInBytes, l.MemorySwapLimitInBytes = 512<<20, 512<<20
		}},
		{"--memory 1073741824 --cpu-quota -1", func(l *runtimeapi.LinuxContainerResources) {
			l.MemoryLimitInBytes, l.MemorySwapLimitInBytes, l.CpuQuota = 1<<30, 1<<30, -1
		}},
		{"--cpu-period 200000 --cpu-share 1024", func(l *runtimeapi.LinuxContainerResources) { l.CpuPeriod, l.CpuShares = 200000, 1024 }},
		{"--cpuset-cpus 2,3 --cpuset-mems 0-1", func(l *runtimeapi.LinuxContainerResources) { l.CpusetCpus, l.CpusetMems = "2,3", "0-1" }},
		{"--oom-score-adj -5", func(l *runtimeapi.LinuxContainerResources) { l.OomScoreAdj = -5 }},
		{"--oom-score-adj 0", func(l *runtimeapi.LinuxContainerResources) { l.OomScoreAdj = 0 }},
	} {
		t.Run(tc.flags, func(t *testing.T) {
			t.Parallel()
			e, id := updateEnv(t, &runtimeapi.ContainerResources{Linux: currentLinux})
			if out := e.ok("update " + tc.flags + " nginx"); out != id+"\n" {
				t.Errorf("stdout %q", out)
			}
			want := proto.Clone(currentLinux).(*runtimeapi.LinuxContainerResources)
			tc.change(want)
			got := lastUpdate(t, e.srv)
			if diff := protoDiff(want, got.GetLinux()); diff != "" || got.GetWindows() != nil || got.GetContainerId() != id {
				t.Errorf("request differs:\n%s\nwindows %v, id %q", diff, got.GetWindows(), got.GetContainerId())
			}
		})
	}
}

func TestUpdateKeepsSwapSetApart(t *testing.T) {
	t.Parallel()
	cur := proto.Clone(currentLinux).(*runtimeapi.LinuxContainerResources)
	cur.MemorySwapLimitInBytes = 1 << 30 // swap allowed: not tied to the memory limit
	e, _ := updateEnv(t, &runtimeapi.ContainerResources{Linux: cur})
	e.ok("update --memory 512m nginx")
	if got := lastUpdate(t, e.srv).GetLinux(); got.MemoryLimitInBytes != 512<<20 || got.MemorySwapLimitInBytes != 1<<30 {
		t.Errorf("memory %d, swap %d; want 512Mi and the swap limit unchanged", got.MemoryLimitInBytes, got.MemorySwapLimitInBytes)
	}
}

func TestUpdateWithoutCurrentResources(t *testing.T) {
	t.Parallel()
	e, id := updateEnv(t, nil)
	r := e.run("update --memory 1G --cpu-count 2 nginx")
	if r.code != 0 || r.stdout != id+"\n" ||
		r.stderr != "crictl: warning: container "+id+": the runtime reports no current linux and windows resources; sending only the fields given\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	got := lastUpdate(t, e.srv)
	want := &runtimeapi.UpdateContainerResourcesRequest{
		ContainerId: id,
		Linux:       &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 1 << 30},
		Windows:     &runtimeapi.WindowsContainerResources{CpuCount: 2},
	}
	if diff := protoDiff(want, got); diff != "" {
		t.Errorf("request differs:\n%s", diff)
	}
}

func TestUpdateWindowsOnly(t *testing.T) {
	t.Parallel()
	e, id := updateEnv(t, &runtimeapi.ContainerResources{
		Linux:   currentLinux,
		Windows: &runtimeapi.WindowsContainerResources{CpuShares: 10, CpuCount: 1, CpuMaximum: 5000, MemoryLimitInBytes: 1 << 30},
	})
	e.ok("update --cpu-maximum 2500 " + id[:8])
	got := lastUpdate(t, e.srv)
	want := &runtimeapi.WindowsContainerResources{CpuShares: 10, CpuCount: 1, CpuMaximum: 2500, MemoryLimitInBytes: 1 << 30}
	if diff := protoDiff(want, got.GetWindows()); diff != "" || got.GetLinux() != nil {
		t.Errorf("windows differs:\n%s\nlinux %v", diff, got.GetLinux())
	}
}

// TestUpdateMergesInRuntime checks the result as the runtime keeps it:
// crifake merges the request like containerd, so the status shows the old
// fields with the new one.
func TestUpdateMergesInRuntime(t *testing.T) {
	t.Parallel()
	e, id := updateEnv(t, &runtimeapi.ContainerResources{Linux: currentLinux})
	e.ok("update --cpu-share 2048 nginx")
	e.ok("update --memory 300Mi " + id)
	out := e.ok("inspect -o go-template --template {{.status.resources.linux.cpuShares}}/{{.status.resources.linux.memoryLimitInBytes}}/{{.status.resources.linux.cpuQuota}} " + id)
	if out != "2048/314572800/50000\n" {
		t.Errorf("resources after two updates: %q", out)
	}
}

func TestUpdateFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	missing := strings.Repeat("c", 64)
	// migrate has exited: the runtime refuses
	r := e.run("update --cpu-share 2 nginx migrate nosuch " + missing)
	if r.code != 1 || r.stdout != n.webC.Id+"\n" {
		t.Errorf("exit %d, stdout %q: want nginx updated", r.code, r.stdout)
	}
	for _, w := range []string{"updating container " + n.webOld.Id + ": UpdateContainerResources:", `container "nosuch" not found`, `container "` + missing + `" not found`} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	if strings.Count(r.stderr, "\n")-strings.Count(r.stderr, "warning: ") != 3 {
		t.Errorf("stderr %q: want 3 error lines", r.stderr)
	}
	e.srv.Inject("ContainerStatus", crifake.Fault{Code: codes.Internal, Message: "busy"})
	oneError(t, e.run("update --cpu-share 2 "+n.webC.Id), "updating container "+n.webC.Id, "busy")
	// --namespace narrows a name
	e.srv.ClearFaults()
	if r := e.run("update --namespace kube-system-extra --cpu-share 3 agent"); r.code != 0 || r.stdout != n.extraC.Id+"\n" {
		t.Errorf("update --namespace: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestParseMemory(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{
		"0": 0, "100": 100, "512Mi": 512 << 20, "512mi": 512 << 20, "512MiB": 512 << 20, "512m": 512 << 20,
		"1G": 1 << 30, "1Gi": 1 << 30, "1.5Gi": 3 << 29, "2k": 2048, "64KiB": 64 << 10,
	} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1", "-1Mi", "1e30", "12Q", "1 2", "Mi", "1Mib2"} {
		if got, err := parseMemory(in); err == nil {
			t.Errorf("parseMemory(%q) = %d, want an error", in, got)
		}
	}
}
