package commands

import (
	"slices"
	"sort"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// normalizeRef expands a familiar image reference the way runtimes store
// names: busybox → docker.io/library/busybox:latest. Digests and explicit
// tags are kept.
func normalizeRef(ref string) string {
	name, digest, hasDigest := strings.Cut(ref, "@")
	domain, rest, hasSlash := strings.Cut(name, "/")
	if !hasSlash || !(strings.ContainsAny(domain, ".:") || domain == "localhost") {
		if !hasSlash {
			rest = "library/" + name
		} else {
			rest = name
		}
		domain = "docker.io"
	}
	name = domain + "/" + rest
	if hasDigest {
		return name + "@" + digest
	}
	if i := strings.LastIndexByte(name, ':'); i < 0 || strings.ContainsRune(name[i:], '/') {
		name += ":latest"
	}
	return name
}

// splitRepoTag splits repo:tag at the tag's colon (not a registry port).
func splitRepoTag(s string) (repo, tag string) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.ContainsRune(s[i:], '/') {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// hasTag reports whether a reference names a tag or digest.
func hasTag(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	_, tag := splitRepoTag(ref)
	return tag != ""
}

type imageIndex []*runtimeapi.Image

func newImageIndex(images []*runtimeapi.Image) imageIndex { return images }

// find resolves a reference to one image: by ID (with or without
// "sha256:"), by tag or digest (familiar names expanded), or by a unique ID
// prefix.
func (ix imageIndex) find(ref string) *runtimeapi.Image {
	for _, img := range ix {
		if img.GetId() == ref || img.GetId() == "sha256:"+ref {
			return img
		}
	}
	norm := normalizeRef(ref)
	for _, img := range ix {
		for _, t := range img.GetRepoTags() {
			if t == ref || normalizeRef(t) == norm {
				return img
			}
		}
		for _, d := range img.GetRepoDigests() {
			if d == ref || normalizeRef(d) == norm {
				return img
			}
		}
	}
	var found *runtimeapi.Image
	if isHex(strings.TrimPrefix(ref, "sha256:")) {
		for _, img := range ix {
			if strings.HasPrefix(strings.TrimPrefix(img.GetId(), "sha256:"), strings.TrimPrefix(ref, "sha256:")) {
				if found != nil {
					return nil
				}
				found = img
			}
		}
	}
	return found
}

// repoTag is what ps -r shows for a container's image: its first tag.
func (ix imageIndex) repoTag(c *runtimeapi.Container) string {
	for _, ref := range []string{c.GetImageRef(), c.GetImage().GetImage()} {
		if ref == "" {
			continue
		}
		if img := ix.find(ref); img != nil && len(img.GetRepoTags()) > 0 {
			return img.GetRepoTags()[0]
		}
	}
	return c.GetImage().GetImage()
}

// matchesRepo reports whether an image is named by a REPO[:TAG] argument
// of `images`: with a tag, that tag; without, any tag of that repository.
func matchesRepo(img *runtimeapi.Image, arg string) bool {
	if img.GetId() == arg || img.GetId() == "sha256:"+arg {
		return true
	}
	if strings.Contains(arg, "@") {
		norm := normalizeRef(arg)
		for _, d := range img.GetRepoDigests() {
			if normalizeRef(d) == norm {
				return true
			}
		}
		return false
	}
	if hasTag(arg) {
		norm := normalizeRef(arg)
		for _, t := range img.GetRepoTags() {
			if normalizeRef(t) == norm {
				return true
			}
		}
		return false
	}
	repo, _ := splitRepoTag(normalizeRef(arg))
	for _, t := range slices.Concat(img.GetRepoTags(), img.GetRepoDigests()) {
		name, _, _ := strings.Cut(t, "@")
		if r, _ := splitRepoTag(normalizeRef(name)); r == repo {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// sortImages orders images as the reference: by first tag, else first
// digest, else ID.
func sortImages(images []*runtimeapi.Image) {
	key := func(img *runtimeapi.Image) string {
		if len(img.GetRepoTags()) > 0 {
			return img.GetRepoTags()[0]
		}
		if len(img.GetRepoDigests()) > 0 {
			return img.GetRepoDigests()[0]
		}
		return img.GetId()
	}
	sort.SliceStable(images, func(i, j int) bool {
		ki, kj := key(images[i]), key(images[j])
		if ki != kj {
			return ki < kj
		}
		return images[i].GetId() < images[j].GetId()
	})
}
