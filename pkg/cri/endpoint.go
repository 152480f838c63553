package cri

import (
	"fmt"
	"path/filepath"
	"strings"
)

// maxSocketPath is the longest path a unix socket address can hold on Linux
// (sun_path is 108 bytes including the terminating NUL).
const maxSocketPath = 107

// DefaultEndpoints are probed, in order, when no endpoint is configured.
var DefaultEndpoints = []string{
	"unix:///run/containerd/containerd.sock",
	"unix:///run/crio/crio.sock",
	"unix:///var/run/cri-dockerd.sock",
}

// SocketPath validates an endpoint and returns its socket path. Accepted:
// unix:///abs/path and a bare absolute path.
func SocketPath(endpoint string) (string, error) {
	if endpoint == "" {
		return "", fmt.Errorf("the endpoint is empty: set --runtime-endpoint (e.g. unix:///run/containerd/containerd.sock)")
	}
	path := endpoint
	if scheme, rest, ok := strings.Cut(endpoint, "://"); ok {
		if scheme != "unix" {
			return "", fmt.Errorf("endpoint %q: only unix socket endpoints are supported (unix:///path/to/socket)", endpoint)
		}
		host, p, _ := strings.Cut(rest, "/")
		if host != "" {
			return "", fmt.Errorf("endpoint %q names a host (%q); a unix endpoint needs three slashes and an absolute path: unix:///%s", endpoint, host, rest)
		}
		path = "/" + p
	} else if strings.HasPrefix(endpoint, "unix:") {
		return "", fmt.Errorf("endpoint %q: write unix endpoints as unix:///absolute/path", endpoint)
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("endpoint %q: the socket path must be absolute (unix:///path/to/socket)", endpoint)
	}
	if strings.ContainsRune(path, 0) {
		return "", fmt.Errorf("endpoint %q: the socket path contains a NUL byte", endpoint)
	}
	if len(path) > maxSocketPath {
		return "", fmt.Errorf("endpoint %q: the socket path is %d bytes, over the %d-byte limit of unix sockets", endpoint, len(path), maxSocketPath)
	}
	return filepath.Clean(path), nil
}
