package crifake

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var errAmbiguousDigest = errors.New("ambiguous digest string")

// ListImages returns every image in insertion order. The filter is ignored,
// as containerd 1.6 does, unless HonorImageFilter is set; then it keeps the
// one image the filter's ref resolves to.
func (s *Server) ListImages(_ context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &runtimeapi.ListImagesResponse{Images: make([]*runtimeapi.Image, 0, len(s.imgs))}
	if ref := req.GetFilter().GetImage().GetImage(); s.HonorImageFilter && ref != "" {
		if e, err := s.resolveImage(ref); err == nil && e != nil {
			resp.Images = append(resp.Images, e.img)
		}
		return resp, nil
	}
	for _, e := range s.imgs {
		resp.Images = append(resp.Images, e.img)
	}
	return resp, nil
}

// ImageStatus resolves the ref as containerd does (see resolveImage). Like
// containerd, an image that is not present is an empty reply, not an error.
func (s *Server) ImageStatus(_ context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := req.GetImage().GetImage()
	e, err := s.resolveImage(ref)
	if err != nil {
		return nil, status.Errorf(codes.Unknown, "can not resolve %q locally: %v", ref, err)
	}
	if e == nil {
		return &runtimeapi.ImageStatusResponse{}, nil
	}
	resp := &runtimeapi.ImageStatusResponse{Image: e.img}
	if req.GetVerbose() {
		resp.Info = s.imgInfo(e)
	}
	return resp, nil
}

// PullImage adds the image (or finds it present) and answers its ID. The
// request, AuthConfig included, is kept for Requests; SetPullError makes a
// ref fail, and Inject with Delay or Block makes pulls slow.
func (s *Server) PullImage(_ context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := req.GetImage().GetImage()
	norm, ok := normalizeRef(ref)
	if err, found := s.pullErrs[ref]; found {
		return nil, err
	}
	if ok {
		for _, k := range slices.Sorted(maps.Keys(s.pullErrs)) {
			if kn, kok := normalizeRef(k); kok && kn == norm {
				return nil, s.pullErrs[k]
			}
		}
	}
	if !ok {
		return nil, status.Errorf(codes.Unknown, "failed to parse image reference %q: invalid reference format", ref)
	}
	for _, e := range s.imgs {
		if slices.Contains(e.img.RepoTags, norm) || slices.Contains(e.img.RepoDigests, norm) {
			return &runtimeapi.PullImageResponse{ImageRef: e.img.Id}, nil
		}
	}
	img := KubeletImage(norm, 1<<20+idHash(MakeID("size", norm))%(64<<20))
	s.putImg(&imgEntry{img: img})
	return &runtimeapi.PullImageResponse{ImageRef: img.Id}, nil
}

// RemoveImage removes the image the ref resolves to, with all its tags.
// Like containerd it succeeds when there is no such image.
func (s *Server) RemoveImage(_ context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ref := req.GetImage().GetImage()
	e, err := s.resolveImage(ref)
	if err != nil {
		return nil, status.Errorf(codes.Unknown, "can not resolve %q locally: %v", ref, err)
	}
	if e != nil {
		s.dropImg(e.img.Id)
	}
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo answers FsInfo, or one overlayfs image filesystem holding
// every image (containerd 1.6 reports no container filesystems).
func (s *Server) ImageFsInfo(context.Context, *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.FsInfo != nil {
		return proto.Clone(s.FsInfo).(*runtimeapi.ImageFsInfoResponse), nil
	}
	var used uint64
	for _, e := range s.imgs {
		used += e.img.Size
	}
	return &runtimeapi.ImageFsInfoResponse{
		ImageFilesystems: []*runtimeapi.FilesystemUsage{{
			Timestamp:  FixedTime.UnixNano(),
			FsId:       &runtimeapi.FilesystemIdentifier{Mountpoint: snapshotterRoot},
			UsedBytes:  u64(used),
			InodesUsed: u64(uint64(len(s.imgs)) * 100),
		}},
	}, nil
}

// imageByID must be called with s.mu held.
func (s *Server) imageByID(id string) *imgEntry {
	for _, e := range s.imgs {
		if e.img.Id == id {
			return e
		}
	}
	return nil
}

// resolveImage finds the image ref names the way containerd's localResolve
// does: a full image ID; else a repo tag or repo digest, as given or
// normalized ("busybox" is "docker.io/library/busybox:latest"); else a
// unique prefix of an ID, with or without "sha256:". It returns nil and no
// error when nothing matches, and errAmbiguousDigest when a prefix (the
// empty ref included) matches several IDs. s.mu must be held.
func (s *Server) resolveImage(ref string) (*imgEntry, error) {
	if e := s.imageByID(ref); e != nil {
		return e, nil
	}
	norm, ok := normalizeRef(ref)
	for _, e := range s.imgs {
		if slices.Contains(e.img.RepoTags, ref) || slices.Contains(e.img.RepoDigests, ref) {
			return e, nil
		}
	}
	if ok {
		for _, e := range s.imgs {
			if slices.Contains(e.img.RepoTags, norm) || slices.Contains(e.img.RepoDigests, norm) {
				return e, nil
			}
		}
	}
	hex := strings.TrimPrefix(ref, "sha256:")
	var found *imgEntry
	for _, e := range s.imgs {
		if strings.HasPrefix(strings.TrimPrefix(e.img.Id, "sha256:"), hex) {
			if found != nil {
				return nil, errAmbiguousDigest
			}
			found = e
		}
	}
	return found, nil
}

// splitRef splits "repo[:tag][@digest]" without validating it.
func splitRef(ref string) (repo, tag, digest string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	return ref, tag, digest
}

// normalizeRef approximates containerd's docker.ParseDockerRef: add the
// docker.io domain and library/ namespace where missing, default the tag to
// latest, and keep only the digest when both are given. It reports false
// for refs that reference grammar rejects (empty, upper case, spaces…).
func normalizeRef(ref string) (string, bool) {
	if strings.HasSuffix(ref, ":") || strings.HasSuffix(ref, "@") {
		return "", false
	}
	repo, tag, digest := splitRef(ref)
	if repo == "" {
		return "", false
	}
	domain, rest := "docker.io", repo
	if i := strings.Index(repo, "/"); i >= 0 {
		first := repo[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			domain, rest = first, repo[i+1:]
		}
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	if !validPath(rest) || !validDomain(domain) {
		return "", false
	}
	if digest != "" {
		alg, hex, ok := strings.Cut(digest, ":")
		if !ok || alg == "" || len(hex) < 32 || !isHex(hex) {
			return "", false
		}
		return domain + "/" + rest + "@" + digest, true
	}
	if tag == "" {
		tag = "latest"
	}
	if !validTag(tag) {
		return "", false
	}
	return domain + "/" + rest + ":" + tag, true
}

func validPath(p string) bool {
	for _, comp := range strings.Split(p, "/") {
		if comp == "" {
			return false
		}
		for i, r := range comp {
			alnum := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
			sep := r == '.' || r == '_' || r == '-'
			if !alnum && (!sep || i == 0 || i == len(comp)-1) {
				return false
			}
		}
	}
	return true
}

func validDomain(d string) bool {
	if d == "" {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == ':') {
			return false
		}
	}
	return true
}

func validTag(t string) bool {
	if len(t) > 128 {
		return false
	}
	for i, r := range t {
		word := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
		if !word && (i == 0 || (r != '.' && r != '-')) {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
