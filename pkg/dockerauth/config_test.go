package dockerauth

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeConfig writes content as config.json in a new directory and returns
// the file's path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestConfigPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DOCKER_CONFIG": "/etc/dc", "HOME": "/home/u"}, "/etc/dc/config.json"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.docker/config.json"},
		{map[string]string{"DOCKER_CONFIG": "", "HOME": "/home/u"}, "/home/u/.docker/config.json"},
		{map[string]string{}, ""},
	} {
		if got := ConfigPath(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("ConfigPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestDecodeAuth(t *testing.T) {
	t.Parallel()
	if u, p, err := DecodeAuth(" " + b64("bob:pa:ss") + "\n"); err != nil || u != "bob" || p != "pa:ss" {
		t.Errorf("DecodeAuth = %q, %q, %v", u, p, err)
	}
	if u, p, err := DecodeAuth(b64("bob:")); err != nil || u != "bob" || p != "" {
		t.Errorf("empty password: %q, %q, %v", u, p, err)
	}
	for in, want := range map[string]string{
		"!!canary":        "not valid base64",
		b64("canary"):     "does not decode to USERNAME:PASSWORD",
		b64(":canary-pw"): "does not decode to USERNAME:PASSWORD",
	} {
		_, _, err := DecodeAuth(in)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "canary") {
			t.Errorf("DecodeAuth(%q): %v, want %q without the input", in, err, want)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://index.docker.io/v1/":     "docker.io",
		"index.docker.io":                 "docker.io",
		"registry-1.docker.io":            "docker.io",
		"https://registry.hub.docker.com": "docker.io",
		"docker.io":                       "docker.io",
		"https://Quay.IO/v2/":             "quay.io",
		"http://127.0.0.1:5000":           "127.0.0.1:5000",
		"127.0.0.1:5000/":                 "127.0.0.1:5000",
		"localhost:5000":                  "localhost:5000",
	} {
		if got := registryHost(in); got != want {
			t.Errorf("registryHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// A helper is given docker's key for Docker Hub and the registry itself
// otherwise.
func TestServerURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"docker.io":       "https://index.docker.io/v1/",
		"index.docker.io": "https://index.docker.io/v1/",
		"quay.io":         "quay.io",
		"127.0.0.1:5000":  "127.0.0.1:5000",
		"localhost":       "localhost",
	} {
		if got := serverURL(in); got != want {
			t.Errorf("serverURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchingKeys(t *testing.T) {
	t.Parallel()
	m := map[string]int{"https://index.docker.io/v1/": 0, "index.docker.io": 0, "docker.io": 0, "quay.io": 0, "docker.io.evil.com": 0}
	if got, want := matchingKeys(m, "docker.io"), []string{"docker.io", "https://index.docker.io/v1/", "index.docker.io"}; !slices.Equal(got, want) {
		t.Errorf("docker.io: %q, want %q", got, want)
	}
	if got := matchingKeys(m, "ghcr.io"); len(got) != 0 {
		t.Errorf("ghcr.io: %q", got)
	}
}

func TestAuthsEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config, registry string
		want                   *Credentials
		key                    string
	}{
		{name: "auth on docker's hub key", config: `{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("bob:pw") + `"}}}`, registry: "docker.io",
			want: &Credentials{Username: "bob", Password: "pw"}, key: "https://index.docker.io/v1/"},
		{name: "username and password", config: `{"auths":{"quay.io":{"username":"bob","password":"pw"}}}`, registry: "quay.io",
			want: &Credentials{Username: "bob", Password: "pw"}, key: "quay.io"},
		{name: "auth beats username", config: `{"auths":{"quay.io":{"auth":"` + b64("bob:pw") + `","username":"eve","password":"x"}}}`, registry: "quay.io",
			want: &Credentials{Username: "bob", Password: "pw"}, key: "quay.io"},
		{name: "identity token", config: `{"auths":{"https://quay.io":{"identitytoken":"tok"}}}`, registry: "quay.io",
			want: &Credentials{IdentityToken: "tok"}, key: "https://quay.io"},
		{name: "registry token", config: `{"auths":{"quay.io":{"registrytoken":"rt"}}}`, registry: "quay.io",
			want: &Credentials{RegistryToken: "rt"}, key: "quay.io"},
		{name: "exact key first", config: `{"auths":{"https://index.docker.io/v1/":{"auth":"` + b64("a:1") + `"},"docker.io":{"auth":"` + b64("b:2") + `"}}}`, registry: "docker.io",
			want: &Credentials{Username: "b", Password: "2"}, key: "docker.io"},
		{name: "empty entry skipped", config: `{"auths":{"docker.io":{},"index.docker.io":{"auth":"` + b64("a:1") + `"}}}`, registry: "docker.io",
			want: &Credentials{Username: "a", Password: "1"}, key: "index.docker.io"},
		{name: "other registry only", config: `{"auths":{"quay.io":{"auth":"` + b64("a:1") + `"}}}`, registry: "docker.io"},
		{name: "host with port", config: `{"auths":{"http://127.0.0.1:5000":{"auth":"` + b64("a:1") + `"}}}`, registry: "127.0.0.1:5000",
			want: &Credentials{Username: "a", Password: "1"}, key: "http://127.0.0.1:5000"},
		{name: "no auths", config: `{}`, registry: "docker.io"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadConfig(writeConfig(t, tc.config))
			if err != nil {
				t.Fatal(err)
			}
			got, key, err := cfg.authsEntry(tc.registry)
			if err != nil || key != tc.key || (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("authsEntry = %#v, %q, %v; want %#v, %q", got, key, err, tc.want, tc.key)
			}
		})
	}
}

// A config that cannot be used is an error naming the file and what is
// wrong, never its content.
func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	if cfg, err := loadConfig(filepath.Join(t.TempDir(), "config.json")); cfg != nil || err != nil {
		t.Errorf("missing file: %v, %v", cfg, err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, want string
	}{
		{name: "directory", path: dir, want: dir + ": not a regular file"},
		{name: "not JSON", path: writeConfig(t, `{"auths": canary`), want: "config.json: not valid JSON"},
		{name: "wrong type", path: writeConfig(t, `{"credsStore": 7, "auths": {"x": {"auth": "canary"}}}`), want: "config.json: credsStore is a JSON number, want a string"},
		{name: "too large", path: writeConfig(t, `{"canary":"`+strings.Repeat("x", maxConfigSize)+`"}`), want: "config.json: larger than 1024 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadConfig(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "canary") || !strings.HasPrefix(err.Error(), "docker config /") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	cfg, err := loadConfig(writeConfig(t, `{"auths":{"quay.io":{"auth":"!!canary"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.authsEntry("quay.io"); err == nil || !strings.Contains(err.Error(), "auths.quay.io.auth not valid base64") || strings.Contains(err.Error(), "canary") {
		t.Errorf("bad auth: %v", err)
	}
}

func TestHelperFor(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, `{
		"credsStore": "desktop",
		"credHelpers": {"quay.io": "ecr-login", "https://index.docker.io/v1/": "pass", "127.0.0.1:5000": ""}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for registry, want := range map[string][2]string{
		"quay.io":        {"ecr-login", "credHelpers.quay.io"},
		"docker.io":      {"pass", "credHelpers.https://index.docker.io/v1/"},
		"ghcr.io":        {"desktop", "credsStore"},
		"127.0.0.1:5000": {"", "credHelpers.127.0.0.1:5000"}, // empty: no helper, use auths
	} {
		name, setting, err := cfg.helperFor(registry)
		if err != nil || name != want[0] || setting != want[1] {
			t.Errorf("%s: %q, %q, %v; want %q", registry, name, setting, err, want)
		}
	}
	empty, _ := loadConfig(writeConfig(t, `{"auths":{}}`))
	if name, _, err := empty.helperFor("docker.io"); name != "" || err != nil {
		t.Errorf("no helper: %q, %v", name, err)
	}
	for _, bad := range []string{"../../tmp/x", "/bin/sh", "-v", ".hidden", "a b", "a;b", "pass\n"} {
		cfg := &configFile{path: "/c.json", CredsStore: bad}
		if _, _, err := cfg.helperFor("docker.io"); err == nil || !strings.Contains(err.Error(), "is not a credential helper name") {
			t.Errorf("credsStore %q: %v", bad, err)
		}
	}
	for _, good := range []string{"desktop.exe", "ecr-login", "secret_service", "gcloud"} {
		if !validHelperName(good) {
			t.Errorf("%q refused", good)
		}
	}
}
