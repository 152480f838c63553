package kube

import (
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var (
	busybox = &runtimeapi.Image{Id: "sha256:aaaa1111", RepoTags: []string{"docker.io/library/busybox:1.36", "docker.io/library/busybox:latest"},
		RepoDigests: []string{"docker.io/library/busybox@sha256:d1"}}
	nginx = &runtimeapi.Image{Id: "sha256:aaab2222", RepoTags: []string{"docker.io/library/nginx:1.27"}}
	pause = &runtimeapi.Image{Id: "sha256:cccc3333", RepoTags: []string{"registry.k8s.io/pause:3.10"}}
	ix    = ImageIndex{busybox, nginx, pause}
)

func TestImageIndexFind(t *testing.T) {
	for ref, want := range map[string]*runtimeapi.Image{
		"sha256:aaaa1111":                     busybox,
		"aaab2222":                            nginx,
		"busybox":                             busybox,
		"busybox:1.36":                        busybox,
		"index.docker.io/library/nginx:1.27":  nginx,
		"docker.io/library/busybox@sha256:d1": busybox,
		"cccc":                                pause,
		"aaa":                                 nil, // two images
		"redis":                               nil,
	} {
		if got := ix.Find(ref); got != want {
			t.Errorf("Find(%q) = %v, want %v", ref, got.GetId(), want.GetId())
		}
	}
	if n := len(ix.WithIDPrefix("sha256:aaa")); n != 2 {
		t.Errorf("WithIDPrefix: %d", n)
	}
}

func TestMatchesRepoAndNamesTag(t *testing.T) {
	for arg, want := range map[string]bool{
		"busybox": true, "busybox:1.36": true, "busybox:1.35": false, "docker.io/library/busybox": true,
		"busybox@sha256:d1": true, "nginx": false, "aaaa1111": true,
	} {
		if got := MatchesRepo(busybox, arg); got != want {
			t.Errorf("MatchesRepo(busybox, %q) = %v", arg, got)
		}
	}
	if !NamesTag(busybox, "busybox:latest") || NamesTag(busybox, "aaaa1111") || NamesTag(busybox, "busybox@sha256:d1") {
		t.Error("NamesTag")
	}
}

func TestImageHelpers(t *testing.T) {
	if !IsPauseImage(pause) || IsPauseImage(nginx) {
		t.Error("IsPauseImage")
	}
	if ImageName(nginx) != "docker.io/library/nginx:1.27" || ImageName(&runtimeapi.Image{Id: "sha256:x"}) != "sha256:x" {
		t.Error("ImageName")
	}
	c := &runtimeapi.Container{Image: &runtimeapi.ImageSpec{Image: "sha256:aaab2222"}, ImageRef: "sha256:aaab2222"}
	if got := ix.RepoTag(c); got != "docker.io/library/nginx:1.27" {
		t.Errorf("RepoTag = %q", got)
	}
	if !ContainerUses(c, "nginx:1.27", ix.Find("nginx:1.27")) || ContainerUses(c, "busybox", ix.Find("busybox")) {
		t.Error("ContainerUses")
	}
	images := ImageIndex{pause, nginx, {Id: "sha256:zz"}, busybox}
	SortImages(images)
	if images[0] != busybox || images[1] != nginx || images[2] != pause || images[3].Id != "sha256:zz" {
		t.Errorf("SortImages: %v", images)
	}
}
