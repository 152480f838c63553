package kube

import (
	"path"
	"slices"
	"strings"

	"github.com/crictl/crictl/pkg/imageref"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ImageIndex is the runtime's image list, for finding the image a
// reference names.
type ImageIndex []*runtimeapi.Image

// Find resolves a reference to one image: by ID (with or without
// "sha256:"), by tag or digest (familiar names expanded), or by a unique ID
// prefix; nil when none or several match.
func (ix ImageIndex) Find(ref string) *runtimeapi.Image {
	for _, img := range ix {
		if img.GetId() == ref || img.GetId() == "sha256:"+ref {
			return img
		}
	}
	norm := imageref.Normalize(ref)
	for _, img := range ix {
		for _, t := range img.GetRepoTags() {
			if t == ref || imageref.Normalize(t) == norm {
				return img
			}
		}
		for _, d := range img.GetRepoDigests() {
			if d == ref || imageref.Normalize(d) == norm {
				return img
			}
		}
	}
	found := ix.WithIDPrefix(ref)
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

// WithIDPrefix returns the images whose ID starts with a hex prefix (with
// or without "sha256:").
func (ix ImageIndex) WithIDPrefix(prefix string) []*runtimeapi.Image {
	hex := strings.TrimPrefix(prefix, "sha256:")
	if !IsHex(hex) {
		return nil
	}
	var out []*runtimeapi.Image
	for _, img := range ix {
		if strings.HasPrefix(strings.TrimPrefix(img.GetId(), "sha256:"), hex) {
			out = append(out, img)
		}
	}
	return out
}

// RepoTag is what ps -r shows for a container's image: its first tag, else
// the image as the container names it.
func (ix ImageIndex) RepoTag(c *runtimeapi.Container) string {
	for _, ref := range []string{c.GetImageRef(), c.GetImage().GetImage()} {
		if ref == "" {
			continue
		}
		if img := ix.Find(ref); img != nil && len(img.GetRepoTags()) > 0 {
			return img.GetRepoTags()[0]
		}
	}
	return c.GetImage().GetImage()
}

// ContainerUses reports whether container c runs the image ref names; img
// is the image ref resolves to in the runtime's list (nil when none).
func ContainerUses(c *runtimeapi.Container, ref string, img *runtimeapi.Image) bool {
	if c.GetImage().GetImage() == ref || c.GetImageRef() == ref {
		return true
	}
	if img == nil {
		return false
	}
	if c.GetImageRef() == img.GetId() || c.GetImage().GetImage() == img.GetId() {
		return true
	}
	for _, t := range img.GetRepoTags() {
		if t == c.GetImage().GetImage() {
			return true
		}
	}
	for _, d := range img.GetRepoDigests() {
		if d == c.GetImageRef() || d == c.GetImage().GetImage() {
			return true
		}
	}
	return false
}

// MatchesRepo reports whether an image is named by the REPO[:TAG]
// argument of `images`: with a tag, that tag; with a digest, that digest;
// without either, any tag or digest of that repository; or the image's ID.
func MatchesRepo(img *runtimeapi.Image, arg string) bool {
	if img.GetId() == arg || img.GetId() == "sha256:"+arg {
		return true
	}
	if strings.Contains(arg, "@") {
		norm := imageref.Normalize(arg)
		for _, d := range img.GetRepoDigests() {
			if imageref.Normalize(d) == norm {
				return true
			}
		}
		return false
	}
	if imageref.HasTag(arg) {
		norm := imageref.Normalize(arg)
		for _, t := range img.GetRepoTags() {
			if imageref.Normalize(t) == norm {
				return true
			}
		}
		return false
	}
	repo, _ := imageref.SplitRepoTag(imageref.Normalize(arg))
	for _, t := range slices.Concat(img.GetRepoTags(), img.GetRepoDigests()) {
		name, _, _ := strings.Cut(t, "@")
		if r, _ := imageref.SplitRepoTag(imageref.Normalize(name)); r == repo {
			return true
		}
	}
	return false
}

// NamesTag reports whether ref names img by one of its tags (rather than
// by ID, digest or ID prefix).
func NamesTag(img *runtimeapi.Image, ref string) bool {
	if strings.Contains(ref, "@") || img.GetId() == ref || img.GetId() == "sha256:"+ref {
		return false
	}
	norm := imageref.Normalize(ref)
	for _, t := range img.GetRepoTags() {
		if t == ref || imageref.Normalize(t) == norm {
			return true
		}
	}
	return false
}

// IsPauseImage reports whether an image's repository is named pause
// (registry.k8s.io/pause, k8s.gcr.io/pause, localhost/pause, ...).
func IsPauseImage(img *runtimeapi.Image) bool {
	for _, n := range slices.Concat(img.GetRepoTags(), img.GetRepoDigests()) {
		name, _, _ := strings.Cut(n, "@")
		repo, _ := imageref.SplitRepoTag(name)
		if path.Base(repo) == "pause" {
			return true
		}
	}
	return false
}

// ImageName names an image in messages: its first tag, else its ID.
func ImageName(img *runtimeapi.Image) string {
	if tags := img.GetRepoTags(); len(tags) > 0 {
		return tags[0]
	}
	return img.GetId()
}

// SortImages orders images as the reference: by first tag, else first
// digest, else ID.
func SortImages(images []*runtimeapi.Image) {
	key := func(img *runtimeapi.Image) string {
		if len(img.GetRepoTags()) > 0 {
			return img.GetRepoTags()[0]
		}
		if len(img.GetRepoDigests()) > 0 {
			return img.GetRepoDigests()[0]
		}
		return img.GetId()
	}
	slices.SortStableFunc(images, func(a, b *runtimeapi.Image) int {
		if c := strings.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return strings.Compare(a.GetId(), b.GetId())
	})
}
