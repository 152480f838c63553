package criconfig

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// LoadPod reads a pod sandbox config file (runp, create, run, pull
// --pod-config). Errors name the file.
func LoadPod(path string) (*runtimeapi.PodSandboxConfig, error) {
	return load(path, DecodePod)
}

// LoadContainer reads a container config file (create, run). Errors name
// the file.
func LoadContainer(path string) (*runtimeapi.ContainerConfig, error) {
	return load(path, DecodeContainer)
}

func load[T any](path string, decode func([]byte) (T, error)) (T, error) {
	data, err := readFile(path)
	if err != nil {
		var zero T
		return zero, err
	}
	cfg, err := decode(data)
	return cfg, withFile(err, path)
}

// DecodePod decodes a pod sandbox config, checks that metadata.name and
// metadata.namespace are set, and gives a pod without metadata.uid a
// random UUID, as the reference does.
func DecodePod(data []byte) (*runtimeapi.PodSandboxConfig, error) {
	cfg := &runtimeapi.PodSandboxConfig{}
	if err := Unmarshal(data, cfg); err != nil {
		return nil, err
	}
	md := cfg.GetMetadata()
	switch {
	case md == nil:
		return nil, missing(".metadata", "a pod needs metadata.name and metadata.namespace")
	case md.GetName() == "":
		return nil, missing(".metadata.name", "")
	case md.GetNamespace() == "":
		return nil, missing(".metadata.namespace", "")
	}
	if md.Uid == "" {
		md.Uid = newUUID()
	}
	return cfg, nil
}

// DecodeContainer decodes a container config, checks that metadata.name
// and image.image are set, and defaults image.user_specified_image to
// image.image, as the reference does.
func DecodeContainer(data []byte) (*runtimeapi.ContainerConfig, error) {
	cfg := &runtimeapi.ContainerConfig{}
	if err := Unmarshal(data, cfg); err != nil {
		return nil, err
	}
	switch {
	case cfg.GetMetadata() == nil:
		return nil, missing(".metadata", "a container needs metadata.name")
	case cfg.GetMetadata().GetName() == "":
		return nil, missing(".metadata.name", "")
	case cfg.GetImage() == nil:
		return nil, missing(".image", "a container needs image.image")
	case cfg.GetImage().GetImage() == "":
		return nil, missing(".image.image", "")
	}
	if cfg.Image.UserSpecifiedImage == "" {
		cfg.Image.UserSpecifiedImage = cfg.Image.Image
	}
	return cfg, nil
}

func missing(path, hint string) error {
	msg := "required field is missing"
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return &Error{Path: path, Msg: msg}
}

// readFile reads at most MaxSize bytes of a config file.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		// the reference's words, which scripts grep for
		return nil, &Error{Msg: fmt.Sprintf("config at %s not found", path), Syntax: true}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: path, Msg: err.Error(), Syntax: true}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			return nil, &Error{File: path, Msg: "is a directory, not a config file", Syntax: true}
		}
		if fi.Mode().IsRegular() && fi.Size() > MaxSize {
			return nil, tooBig(path, fi.Size())
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &Error{File: path, Msg: "reading: " + err.Error(), Syntax: true}
	}
	if len(data) > MaxSize {
		return nil, tooBig(path, int64(len(data)))
	}
	return data, nil
}

func tooBig(path string, size int64) error {
	return &Error{File: path, Msg: fmt.Sprintf("%d bytes or more is over the %d MiB limit for config files", size, MaxSize>>20), Syntax: true}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
