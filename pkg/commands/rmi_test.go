package commands

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/pkg/kube"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func imageTags(s *crifake.Server) []string {
	var out []string
	for _, img := range s.Images() {
		out = append(out, kube.ImageName(img))
	}
	slices.Sort(out)
	return out
}

func TestRmi(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	nginx := crifake.ImageID("docker.io/library/nginx:1.27")
	e.srv.ResetCalls()
	// a familiar name, an ID prefix, and the same image twice
	out := e.ok("rmi busybox:1.36 " + strings.TrimPrefix(nginx, "sha256:")[:12] + " docker.io/library/busybox:1.36")
	want := lines("Deleted: docker.io/library/busybox:1.36\nDeleted: docker.io/library/nginx:1.27\n")
	if got := lines(out); !slices.Equal(got, want) {
		t.Errorf("stdout %q", out)
	}
	// One list resolves everything; RemoveImage gets the image ID.
	calls := e.srv.Calls()
	if countCalls(calls, "ListImages") != 1 || countCalls(calls, "ImageStatus") != 0 || countCalls(calls, "RemoveImage") != 2 {
		t.Errorf("calls %v", calls)
	}
	for _, r := range e.srv.Requests("RemoveImage") {
		if id := r.(*runtimeapi.RemoveImageRequest).GetImage().GetImage(); !strings.HasPrefix(id, "sha256:") {
			t.Errorf("RemoveImage(%q), want an image ID", id)
		}
	}
	// by digest
	coredns := crifake.KubeletImage("registry.k8s.io/coredns/coredns:v1.11.1", 1)
	if out := e.ok("rmi " + coredns.RepoDigests[0]); out != "Deleted: registry.k8s.io/coredns/coredns:v1.11.1\n" {
		t.Errorf("rmi by digest printed %q", out)
	}
}

func TestRmiDigestOnlyImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	img := crifake.KubeletImage("docker.io/library/alpine@sha256:"+strings.Repeat("ab", 32), 1)
	e.srv.AddImage(img)
	if out := e.ok("rmi " + img.RepoDigests[0]); out != "Deleted: "+img.RepoDigests[0]+"\n" {
		t.Errorf("stdout %q, want the digest", out)
	}
}

func TestRmiWarnsAboutOtherTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.srv.AddImage(&runtimeapi.Image{RepoTags: []string{"docker.io/library/app:1", "docker.io/library/app:latest", "example.com/app:prod"}, Size: 1})
	r := e.run("rmi app:1")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	wantOut := "Deleted: docker.io/library/app:1\nDeleted: docker.io/library/app:latest\nDeleted: example.com/app:prod\n"
	wantErr := "crictl: warning: app:1 is one of the 3 tags of image " + id + "; removing it deletes all of them: docker.io/library/app:1, docker.io/library/app:latest, example.com/app:prod\n"
	if r.stdout != wantOut || r.stderr != wantErr {
		t.Errorf("stdout %q\nstderr %q\nwant\n%q\n%q", r.stdout, r.stderr, wantOut, wantErr)
	}
	// by ID: no warning, the user named the image itself
	id2 := e.srv.AddImage(&runtimeapi.Image{RepoTags: []string{"example.com/b:1", "example.com/b:2"}, Size: 1})
	if r := e.run("rmi " + id2); r.stderr != "" || r.code != 0 {
		t.Errorf("rmi ID: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRmiFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.AddImage(&runtimeapi.Image{Id: "sha256:abc1" + strings.Repeat("0", 60), RepoTags: []string{"example.com/x:1"}})
	e.srv.AddImage(&runtimeapi.Image{Id: "sha256:abc2" + strings.Repeat("0", 60), RepoTags: []string{"example.com/y:1"}})
	e.srv.Inject("RemoveImage", crifake.Fault{Code: codes.Unknown, Message: "image is in use", Times: 1})
	r := e.run("rmi nosuch:1 abc busybox:1.36")
	if r.code != 1 || r.stdout != "" {
		t.Errorf("exit %d, stdout %q", r.code, r.stdout)
	}
	for _, w := range []string{`no such image "nosuch:1" present`, `image ID prefix "abc" is ambiguous: 2 images match (abc1000000000, abc2000000000)`, "removing image docker.io/library/busybox:1.36: RemoveImage: image is in use"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	if strings.Count(r.stderr, "\n") != 3 {
		t.Errorf("stderr %q: want 3 lines", r.stderr)
	}
	oneError(t, e.run("rmi --prune -a"), "--all or --prune")
}

func TestRmiAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.node()
	e.srv.SetPinned("registry.k8s.io/pause:3.9", true)
	out := e.ok("rmi -a")
	if len(lines(out)) != 5 || len(e.srv.Images()) != 0 {
		t.Errorf("rmi -a printed %q; %d images left", out, len(e.srv.Images()))
	}
	r := e.run("rmi -a")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No images to remove\n" {
		t.Errorf("rmi -a on no images: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestRmiPruneKeeps checks what --prune must never remove: images used by
// containers in any state, pause containers' images, pinned images and the
// runtime's sandbox image.
func TestRmiPruneKeeps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	n := e.node()
	// busybox is used only by the exited "migrate" and the created "shell"
	// after these go.
	e.ok("rm -f -k log-shipper agent")
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/alpine:3.19", 1))
	e.srv.AddImage(crifake.KubeletImage("registry.k8s.io/etcd:3.5", 1))
	e.srv.SetPinned("registry.k8s.io/etcd:3.5", true)
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/redis:7", 1))
	// used by digest reference only
	redis := crifake.KubeletImage("docker.io/library/redis:7", 1)
	e.srv.AddContainer(crifake.KubeletContainer(n.web, "cache", 0, redis.RepoDigests[0], runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Minute)))
	e.srv.ResetCalls()
	out := e.ok("rmi -q")
	if out != "Deleted: docker.io/library/alpine:3.19\n" {
		t.Errorf("rmi --prune deleted %q, want only alpine", out)
	}
	want := []string{"docker.io/library/busybox:1.36", "docker.io/library/nginx:1.27", "docker.io/library/redis:7",
		"registry.k8s.io/coredns/coredns:v1.11.1", "registry.k8s.io/etcd:3.5", "registry.k8s.io/kube-proxy:v1.36.0", "registry.k8s.io/pause:3.9"}
	if got := imageTags(e.srv); !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	calls := e.srv.Calls()
	slices.Sort(calls)
	if want := []string{"ListContainers", "ListImages", "RemoveImage", "Status"}; !slices.Equal(calls, want) {
		t.Errorf("calls %v, want %v (no ImageStatus per container)", calls, want)
	}
	r := e.run("rmi --prune")
	if r.code != 0 || r.stdout != "" || r.stderr != "crictl: No images to remove\n" {
		t.Errorf("nothing to prune: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestRmiPruneKeepsSandboxImage is the containerd 1.6 case the reference
// gets wrong: pods exist, the runtime lists no pause containers and does
// not pin the pause image; it is named only in the runtime's config.
func TestRmiPruneKeepsSandboxImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.AddPod(crifake.KubeletPod("web", "default", 0, ago(time.Hour), true))
	e.srv.AddImage(crifake.KubeletImage(crifake.DefaultSandboxImage, 1))
	e.srv.AddImage(crifake.KubeletImage("docker.io/library/alpine:3.19", 1))
	if out := e.ok("rmi --prune"); out != "Deleted: docker.io/library/alpine:3.19\n" {
		t.Errorf("rmi --prune deleted %q, want only alpine", out)
	}
	if got := imageTags(e.srv); !slices.Equal(got, []string{crifake.DefaultSandboxImage}) {
		t.Errorf("left %v, want the pause image", got)
	}
}

func TestRmiPruneSandboxImageFromConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SandboxImage = "registry.example.com/infra:1"
	e.srv.AddImage(crifake.KubeletImage("registry.example.com/infra:1", 1))
	e.srv.AddImage(crifake.KubeletImage("registry.k8s.io/pause:3.6", 1))
	// The runtime names its sandbox image, so an old pause image nobody
	// uses goes.
	if out := e.ok("rmi --prune"); out != "Deleted: registry.k8s.io/pause:3.6\n" {
		t.Errorf("rmi --prune deleted %q, want the unused old pause image", out)
	}
	if got := imageTags(e.srv); !slices.Equal(got, []string{"registry.example.com/infra:1"}) {
		t.Errorf("left %v", got)
	}
}

func TestRmiPruneWithoutSandboxImage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*crifake.Server)
	}{
		{"no sandboxImage in the config", func(s *crifake.Server) { s.StatusInfo = map[string]string{"config": "{}"} }},
		{"Status unimplemented", func(s *crifake.Server) { s.Inject("Status", crifake.Fault{Code: codes.Unimplemented}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			tc.setup(e.srv)
			e.srv.AddImage(crifake.KubeletImage("registry.k8s.io/pause:3.9", 1))
			e.srv.AddImage(crifake.KubeletImage("localhost/pause:lab", 1))
			e.srv.AddImage(crifake.KubeletImage("docker.io/library/alpine:3.19", 1))
			r := e.run("rmi --prune")
			if r.code != 0 || r.stdout != "Deleted: docker.io/library/alpine:3.19\n" ||
				r.stderr != "crictl: warning: the runtime does not report its sandbox image; keeping every image named .../pause\n" {
				t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestRmiPruneRefusesWhenUnsure(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"Status", "ListContainers"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.srv.AddImage(crifake.KubeletImage("docker.io/library/alpine:3.19", 1))
			e.srv.Inject(method, crifake.Fault{Code: codes.Internal, Message: "boom"})
			oneError(t, e.run("rmi --prune"), method+": boom")
			if c := countCalls(e.srv.Calls(), "RemoveImage"); c != 0 {
				t.Errorf("%d RemoveImage calls after a failed %s", c, method)
			}
		})
	}
}
