package harness

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"time"
)

//go:embed pause/main.go
var pauseSource []byte

// Image names. They are under localhost/ so that nothing ever tries to pull
// them from a real registry.
const (
	PauseImage = "localhost/crictl-e2e/pause:1.0"
	AppImage   = "localhost/crictl-e2e/busybox:1.0"
	// RegistryRepo is the repository the registry image is pushed to, under
	// the tags RegistryTags.
	RegistryRepo = "e2e/busybox"
)

// RegistryTags are the tags of RegistryRepo in the loopback registries.
var RegistryTags = []string{"1.0", "latest"}

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// fixedTime is every mtime in the images, so that the same inputs always give
// the same digests.
var fixedTime = time.Unix(0, 0)

// entry is one member of an image layer.
type entry struct {
	name string // path without leading slash
	mode int64
	data []byte // regular file
	link string // symlink target
	dir  bool
}

// ociImage is a single-layer image held in memory.
type ociImage struct {
	ref            string
	blobs          map[string][]byte // "sha256:..." -> content
	manifest       []byte
	manifestDigest string
}

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Platform    *platform         `json:"platform,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type imageConfig struct {
	Env        []string `json:"Env,omitempty"`
	Entrypoint []string `json:"Entrypoint,omitempty"`
	Cmd        []string `json:"Cmd,omitempty"`
}

// newImage builds the layer, config and manifest of a one-layer image.
func newImage(ref string, entries []entry, cfg imageConfig) (*ociImage, error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	seen := map[string]bool{}
	var addDir func(name string, mode int64) error
	addDir = func(name string, mode int64) error {
		if name == "" || name == "." || seen[name] {
			return nil
		}
		if err := addDir(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		seen[name] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: fixedTime, Format: tar.FormatUSTAR})
	}
	for _, e := range entries {
		if e.dir {
			if err := addDir(e.name, e.mode); err != nil {
				return nil, err
			}
			continue
		}
		if err := addDir(filepath.Dir(e.name), 0o755); err != nil {
			return nil, err
		}
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: fixedTime, Format: tar.FormatUSTAR}
		if e.link != "" {
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if e.link == "" {
			if _, err := tw.Write(e.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed) // header mtime stays 0
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}

	im := &ociImage{ref: ref, blobs: map[string][]byte{}}
	add := func(b []byte) string {
		d := digestOf(b)
		im.blobs[d] = b
		return d
	}
	layer := add(gz.Bytes())
	config, err := json.Marshal(struct {
		Architecture string      `json:"architecture"`
		OS           string      `json:"os"`
		Config       imageConfig `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []map[string]string `json:"history"`
	}{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config:       cfg,
		RootFS: struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		}{"layers", []string{digestOf(raw.Bytes())}},
		History: []map[string]string{{"created_by": "crictl e2e harness"}},
	})
	if err != nil {
		return nil, err
	}
	configDigest := add(config)
	im.manifest, err = json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}{2, mediaManifest,
		descriptor{MediaType: mediaConfig, Digest: configDigest, Size: len(config)},
		[]descriptor{{MediaType: mediaLayer, Digest: layer, Size: gz.Len()}},
	})
	if err != nil {
		return nil, err
	}
	im.manifestDigest = add(im.manifest)
	return im, nil
}

// writeLayout writes the image as an OCI image-layout tarball that
// `ctr images import` names after the io.containerd.image.name annotation.
func (im *ociImage) writeLayout(path string) error {
	tag := im.ref[lastColon(im.ref)+1:]
	index, err := json.Marshal(struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []descriptor `json:"manifests"`
	}{2, mediaIndex, []descriptor{{
		MediaType: mediaManifest,
		Digest:    im.manifestDigest,
		Size:      len(im.manifest),
		Platform:  &platform{Architecture: runtime.GOARCH, OS: "linux"},
		Annotations: map[string]string{
			"io.containerd.image.name":          im.ref,
			"org.opencontainers.image.ref.name": tag,
		},
	}}})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: fixedTime, Format: tar.FormatUSTAR}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := put("index.json", index); err != nil {
		return err
	}
	digests := make([]string, 0, len(im.blobs))
	for d := range im.blobs {
		digests = append(digests, d)
	}
	sort.Strings(digests)
	for _, d := range digests {
		if err := put("blobs/sha256/"+d[len("sha256:"):], im.blobs[d]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes(), 0o644)
}

// lastColon finds the tag separator of a reference (a colon after the last
// slash; the one of a registry port comes before it).
func lastColon(ref string) int {
	for i := len(ref) - 1; i >= 0 && ref[i] != '/'; i-- {
		if ref[i] == ':' {
			return i
		}
	}
	return len(ref)
}

// buildPause compiles the embedded pause program statically, once per
// source and Go version: the binary is kept in cacheDir. It is built in a
// fixed directory without -trimpath, so that it is the same bytes every time
// (stable image digests) and reuses the standard library the go build cache
// already holds for ordinary builds (-trimpath would compile it all again).
func buildPause(ctx context.Context, cacheDir string) ([]byte, error) {
	goCmd, ver, err := goVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := digestOf(append(append([]byte{}, pauseSource...), ver+"\n"...))[len("sha256:"):][:16]
	out := filepath.Join(cacheDir, "pause-"+key)
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	unlock, err := lockFile(filepath.Join(cacheDir, "build.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	src := filepath.Join(cacheDir, "pause-src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), pauseSource, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module crictl-e2e-pause\n\ngo 1.21\n"), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-ldflags=-s -w", "-o", out+".tmp", ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build pause: %w: %s", err, lastLines(string(b), 3))
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// busyboxApplets get a symlink in /bin of the app image, so scripts can call
// them by name.
var busyboxApplets = []string{"sh", "ash", "cat", "date", "echo", "env", "false", "grep", "head", "hostname",
	"id", "kill", "ls", "mkdir", "mkfifo", "ps", "pwd", "rm", "sed", "sleep", "tail", "touch", "true", "uname", "wc"}

// busyboxEntries is the file system of the app image: /bin/busybox and its
// applet links, plus marker files (extra) that make variants distinct images.
func busyboxEntries(busybox []byte, extra map[string]string) []entry {
	es := []entry{
		{name: "bin/busybox", mode: 0o755, data: busybox},
		{name: "tmp", mode: 0o1777, dir: true},
		{name: "dev", mode: 0o755, dir: true},
		{name: "proc", mode: 0o555, dir: true},
		{name: "sys", mode: 0o555, dir: true},
		{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
		{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnogroup:x:65534:\n")},
		{name: "root", mode: 0o700, dir: true},
	}
	for _, a := range busyboxApplets {
		es = append(es, entry{name: "bin/" + a, mode: 0o777, link: "busybox"})
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		es = append(es, entry{name: k, mode: 0o644, data: []byte(extra[k])})
	}
	return es
}

// testImages are the images of an environment.
type testImages struct {
	pause, app, registry *ociImage
}

// buildImages builds the pause, app and registry images and writes the first
// two as layout tarballs under dir (the registry image is only pushed, never
// imported, so that a pull of it really fetches it).
func buildImages(ctx context.Context, dir, cacheDir string) (*testImages, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pauseBin, err := buildPause(ctx, cacheDir)
	if err != nil {
		return nil, err
	}
	bbPath, err := staticBusybox()
	if err != nil {
		return nil, err
	}
	bb, err := os.ReadFile(bbPath)
	if err != nil {
		return nil, err
	}
	var ti testImages
	if ti.pause, err = newImage(PauseImage, []entry{{name: "pause", mode: 0o755, data: pauseBin}},
		imageConfig{Env: []string{"PATH=/"}, Entrypoint: []string{"/pause"}}); err != nil {
		return nil, err
	}
	appCfg := imageConfig{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}}
	if ti.app, err = newImage(AppImage, busyboxEntries(bb, nil), appCfg); err != nil {
		return nil, err
	}
	if ti.registry, err = newImage(RegistryRepo, busyboxEntries(bb, map[string]string{"etc/crictl-e2e-image": "registry\n"}), appCfg); err != nil {
		return nil, err
	}
	for _, im := range []*ociImage{ti.pause, ti.app} {
		if err := im.writeLayout(filepath.Join(dir, tarName(im.ref))); err != nil {
			return nil, err
		}
	}
	return &ti, nil
}

func tarName(ref string) string {
	return filepath.Base(ref[:lastColon(ref)]) + ".tar"
}
