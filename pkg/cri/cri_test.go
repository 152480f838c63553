package cri

import (
	"strings"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestSocketPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock", ""},
		{"/run/crio/crio.sock", "/run/crio/crio.sock", ""},
		{"unix:///a//b/../c.sock", "/a/c.sock", ""},
		{"", "", "empty"},
		{"unix://tmp/x.sock", "", `names a host ("tmp")`},
		{"tcp://127.0.0.1:10", "", "only unix socket"},
		{"npipe:////./pipe/x", "", "only unix socket"},
		{"unix:x.sock", "", "unix:///absolute/path"},
		{"relative.sock", "", "must be absolute"},
		{"unix:///" + strings.Repeat("a", 107), "", "over the 107-byte limit"},
	} {
		got, err := SocketPath(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("SocketPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("SocketPath(%q) error %v, want one containing %q", tc.in, err, tc.err)
		}
	}
}

func FuzzSocketPath(f *testing.F) {
	for _, s := range []string{"unix:///a", "/a", "unix://h/a", "tcp://x", "", "unix:///\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := SocketPath(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p, "/") || len(p) > maxSocketPath || strings.ContainsRune(p, 0) {
			t.Fatalf("SocketPath(%q) accepted %q", s, p)
		}
	})
}

func TestRedact(t *testing.T) {
	t.Parallel()
	req := &runtimeapi.PullImageRequest{
		Image: &runtimeapi.ImageSpec{Image: "reg/app:1"},
		Auth:  &runtimeapi.AuthConfig{Username: "bob", Password: "canary1", Auth: "canary2", IdentityToken: "canary3", RegistryToken: "canary4"},
		SandboxConfig: &runtimeapi.PodSandboxConfig{
			Annotations: map[string]string{"api-token": "canary5", "team": "web"},
		},
	}
	ctr := &runtimeapi.CreateContainerRequest{Config: &runtimeapi.ContainerConfig{
		Envs: []*runtimeapi.KeyValue{{Key: "DB_PASSWORD", Value: []byte("canary6")}, {Key: "MODE", Value: []byte("prod")}},
	}}
	resp := &runtimeapi.StatusResponse{Info: map[string]string{
		"config": `{"registry":{"configs":{"r":{"auth":{"username":"u","password":"canary7"}}}},"env":["SECRET_KEY=canary8","PATH=/bin"]}`,
	}}
	out := debugJSON(req) + debugJSON(ctr) + debugJSON(resp)
	for i := 1; i <= 8; i++ {
		canary := "canary" + string(rune('0'+i))
		if strings.Contains(out, canary) {
			t.Errorf("%s leaked: %s", canary, out)
		}
	}
	for _, keep := range []string{"bob", "reg/app:1", "web", "PATH=/bin", "MODE"} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q was redacted too: %s", keep, out)
		}
	}
	if !strings.Contains(out, `"password":"[REDACTED]"`) {
		t.Errorf("-D's marker is not [REDACTED]: %s", out)
	}
	if req.Auth.Password != "canary1" {
		t.Errorf("Redact changed the original message")
	}
}
