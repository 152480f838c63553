package crifake_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

func spec(ref string) *runtimeapi.ImageSpec { return &runtimeapi.ImageSpec{Image: ref} }

func TestImageStatusResolution(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	busybox := crifake.KubeletImage("busybox:1.36", 4<<20)
	pause := crifake.KubeletImage("registry.k8s.io/pause:3.9", 300<<10)
	s.AddImage(busybox, crifake.WithImageEnv("API_KEY=canary3"))
	s.AddImage(pause)
	if !slices.Equal(busybox.RepoTags, []string{"docker.io/library/busybox:1.36"}) {
		t.Fatalf("KubeletImage tags = %v", busybox.RepoTags)
	}
	lookup := func(ref string) (*runtimeapi.Image, error) {
		r, err := c.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec(ref)})
		return r.GetImage(), err
	}
	for _, ref := range []string{
		busybox.Id,
		strings.TrimPrefix(busybox.Id, "sha256:"),
		strings.TrimPrefix(busybox.Id, "sha256:")[:12],
		busybox.Id[:19],
		"docker.io/library/busybox:1.36",
		"busybox:1.36",
		"library/busybox:1.36",
		busybox.RepoDigests[0],
	} {
		img, err := lookup(ref)
		if err != nil || img.GetId() != busybox.Id {
			t.Errorf("ImageStatus(%q) = %v, %v; want %s", ref, img, err, busybox.Id)
		}
	}
	for _, ref := range []string{"busybox", "busybox:latest", "UPPER/Case:tag", "busybox:", "busybox@sha256:abc", "a b", ":::", "zzzz"} {
		img, err := lookup(ref)
		if err != nil || img != nil {
			t.Errorf("ImageStatus(%q) = %v, %v; want empty reply", ref, img, err)
		}
	}
	_, err := lookup("")
	wantCode(t, err, codes.Unknown, `can not resolve "" locally: ambiguous digest string`)

	r := must[*runtimeapi.ImageStatusResponse](t)(c.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec("busybox:1.36"), Verbose: true}))
	var info struct {
		ImageSpec struct {
			Config struct {
				Env []string `json:"Env"`
			} `json:"config"`
		} `json:"imageSpec"`
	}
	if err := json.Unmarshal([]byte(r.Info["info"]), &info); err != nil || !slices.Contains(info.ImageSpec.Config.Env, "API_KEY=canary3") {
		t.Errorf("verbose info %q: %v", r.Info["info"], err)
	}
}

func TestListImagesFilter(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	s.AddImage(crifake.KubeletImage("busybox:1.36", 1))
	s.AddImage(crifake.KubeletImage("nginx:1.25", 2))
	list := func(ref string) []string {
		t.Helper()
		r := must[*runtimeapi.ListImagesResponse](t)(c.img.ListImages(ctx, &runtimeapi.ListImagesRequest{Filter: &runtimeapi.ImageFilter{Image: spec(ref)}}))
		var tags []string
		for _, img := range r.Images {
			tags = append(tags, img.RepoTags...)
		}
		return tags
	}
	all := []string{"docker.io/library/busybox:1.36", "docker.io/library/nginx:1.25"}
	if got := list("nonexistent/image"); !slices.Equal(got, all) {
		t.Errorf("ignored filter: %v", got)
	}
	s.HonorImageFilter = true
	if got := list("nonexistent/image"); got != nil {
		t.Errorf("honoured filter, no match: %v", got)
	}
	if got := list("nginx:1.25"); !slices.Equal(got, all[1:]) {
		t.Errorf("honoured filter: %v", got)
	}
	if got := list(""); !slices.Equal(got, all) {
		t.Errorf("empty filter: %v", got)
	}
}

func TestPullImage(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	auth := &runtimeapi.AuthConfig{Username: "user", Password: "canary-pw"}
	r := must[*runtimeapi.PullImageResponse](t)(c.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec("busybox"), Auth: auth}))
	if r.ImageRef != crifake.ImageID("docker.io/library/busybox:latest") {
		t.Errorf("ImageRef = %q", r.ImageRef)
	}
	reqs := s.Requests("PullImage")
	if len(reqs) != 1 || reqs[0].(*runtimeapi.PullImageRequest).GetAuth().GetPassword() != "canary-pw" {
		t.Errorf("recorded %v", reqs)
	}
	imgs := s.Images()
	if len(imgs) != 1 || !slices.Equal(imgs[0].RepoTags, []string{"docker.io/library/busybox:latest"}) || imgs[0].Size == 0 {
		t.Errorf("images after pull = %v", imgs)
	}
	again := must[*runtimeapi.PullImageResponse](t)(c.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec("docker.io/library/busybox:latest")}))
	if again.ImageRef != r.ImageRef || len(s.Images()) != 1 {
		t.Errorf("second pull = %v, images %d", again, len(s.Images()))
	}

	s.SetPullError("private/app:1", status.Error(codes.Unknown, "failed to pull: 401 Unauthorized"))
	_, err := c.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec("docker.io/private/app:1")})
	wantCode(t, err, codes.Unknown, "401 Unauthorized")
	_, err = c.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec("UPPER/x")})
	wantCode(t, err, codes.Unknown, "invalid reference format")
}

func TestPullImageBlocksUntilCanceled(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	s.Inject("PullImage", crifake.Fault{Block: true})
	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	begin := time.Now()
	_, err := c.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: spec("busybox")})
	wantCode(t, err, codes.Canceled, "")
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !slices.Equal(s.Canceled(), []string{"PullImage"}) {
		if time.Now().After(deadline) {
			t.Fatalf("Canceled = %v", s.Canceled())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(s.Images()); n != 0 {
		t.Errorf("canceled pull added %d images", n)
	}
}

func TestRemoveImageAndPinned(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	bb := s.AddImage(crifake.KubeletImage("busybox:1.36", 1))
	s.AddImage(crifake.KubeletImage("nginx:1.25", 2))
	if !s.SetPinned("nginx:1.25", true) || s.SetPinned("nope", true) {
		t.Error("SetPinned results wrong")
	}
	img := must[*runtimeapi.ImageStatusResponse](t)(c.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: spec("nginx:1.25")})).GetImage()
	if !img.Pinned {
		t.Errorf("not pinned: %v", img)
	}
	must[*runtimeapi.RemoveImageResponse](t)(c.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: spec("busybox:1.36")}))
	must[*runtimeapi.RemoveImageResponse](t)(c.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: spec(bb)}))
	if imgs := s.Images(); len(imgs) != 1 || imgs[0].RepoTags[0] != "docker.io/library/nginx:1.25" {
		t.Errorf("images = %v", imgs)
	}
}

func TestImageFsInfo(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	s.AddImage(crifake.KubeletImage("busybox:1.36", 1000))
	s.AddImage(crifake.KubeletImage("nginx:1.25", 500))
	r := must[*runtimeapi.ImageFsInfoResponse](t)(c.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}))
	if fs := r.GetImageFilesystems(); len(fs) != 1 || fs[0].GetUsedBytes().GetValue() != 1500 || fs[0].GetFsId().GetMountpoint() == "" {
		t.Errorf("ImageFsInfo = %v", r)
	}
	s.FsInfo = &runtimeapi.ImageFsInfoResponse{}
	r = must[*runtimeapi.ImageFsInfoResponse](t)(c.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{}))
	if len(r.GetImageFilesystems()) != 0 {
		t.Errorf("configured ImageFsInfo = %v", r)
	}
}
