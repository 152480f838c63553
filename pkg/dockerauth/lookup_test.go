package dockerauth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	userPW := b64("bob:file-s3cret")
	for _, tc := range []struct {
		name, config, registry string
		want                   *Credentials
		source                 string // with CFG for the config file
	}{
		{name: "auths", config: `{"auths":{"quay.io":{"auth":"` + userPW + `"}}}`, registry: "quay.io",
			want: &Credentials{Username: "bob", Password: "file-s3cret"}, source: "CFG (auths.quay.io)"},
		{name: "credsStore, Docker Hub", config: `{"credsStore":"good"}`, registry: "docker.io",
			want:   &Credentials{Username: "user-for-https://index.docker.io/v1/", Password: "s3cret"},
			source: "credential helper docker-credential-good (credsStore in CFG)"},
		{name: "credsStore, host and port", config: `{"credsStore":"good"}`, registry: "127.0.0.1:5000",
			want:   &Credentials{Username: "user-for-127.0.0.1:5000", Password: "s3cret"},
			source: "credential helper docker-credential-good (credsStore in CFG)"},
		{name: "credsStore, identity token", config: `{"credsStore":"good"}`, registry: "quay.io",
			want: &Credentials{IdentityToken: "id-tok3n"}, source: "credential helper docker-credential-good (credsStore in CFG)"},
		// as docker: with a helper for the registry, auths entries are not used
		{name: "credsStore has none, auths ignored", config: `{"credsStore":"good","auths":{"ghcr.io":{"auth":"` + userPW + `"}}}`, registry: "ghcr.io",
			source: "credential helper docker-credential-good (credsStore in CFG)"},
		{name: "credHelpers beats credsStore", config: `{"credsStore":"nothere","credHelpers":{"ghcr.io":"other"}}`, registry: "ghcr.io",
			want: &Credentials{Username: "other", Password: "other-s3cret"}, source: "credential helper docker-credential-other (credHelpers.ghcr.io in CFG)"},
		{name: "credHelpers in docker's hub form", config: `{"credsStore":"nothere","credHelpers":{"https://index.docker.io/v1/":"other"}}`, registry: "docker.io",
			want: &Credentials{Username: "other", Password: "other-s3cret"}, source: "credential helper docker-credential-other (credHelpers.https://index.docker.io/v1/ in CFG)"},
		{name: "empty credHelpers value: auths", config: `{"credsStore":"nothere","credHelpers":{"quay.io":""},"auths":{"quay.io":{"auth":"` + userPW + `"}}}`, registry: "quay.io",
			want: &Credentials{Username: "bob", Password: "file-s3cret"}, source: "CFG (auths.quay.io)"},
		{name: "credHelpers for another registry", config: `{"credHelpers":{"quay.io":"nothere"},"auths":{"ghcr.io":{"auth":"` + userPW + `"}}}`, registry: "ghcr.io",
			want: &Credentials{Username: "bob", Password: "file-s3cret"}, source: "CFG (auths.ghcr.io)"},
		{name: "nothing for the registry", config: `{"auths":{"quay.io":{"auth":"` + userPW + `"}}}`, registry: "ghcr.io"},
		{name: "no registry", config: `{"credsStore":"nothere"}`, registry: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.config)
			res, err := testEnv(filepath.Dir(path)).Lookup(context.Background(), tc.registry)
			source := strings.ReplaceAll(tc.source, "CFG", path)
			if err != nil || res.Source != source || (res.Credentials == nil) != (tc.want == nil) || res.Credentials != nil && *res.Credentials != *tc.want {
				t.Errorf("Lookup = %#v, %q, %v; want %#v, %q", res.Credentials, res.Source, err, tc.want, source)
			}
		})
	}
}

func TestLookupErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, config, registry, want string
	}{
		{name: "missing credsStore", config: `{"credsStore":"nothere"}`, registry: "docker.io",
			want: `docker credential helper "docker-credential-nothere" (credsStore in CFG) not found on PATH`},
		{name: "missing credHelpers entry", config: `{"credsStore":"good","credHelpers":{"quay.io":"nothere"}}`, registry: "quay.io",
			want: `docker credential helper "docker-credential-nothere" (credHelpers.quay.io in CFG) not found on PATH`},
		{name: "failing helper", config: `{"credsStore":"fail"}`, registry: "quay.io",
			want: `docker credential helper "docker-credential-fail" (credsStore in CFG) failed: exit status 2: vault sealed`},
		{name: "bad helper name", config: `{"credsStore":"../fail"}`, registry: "quay.io",
			want: `docker config CFG: credsStore "../fail" is not a credential helper name`},
		{name: "bad auth", config: `{"auths":{"quay.io":{"auth":"!!"}}}`, registry: "quay.io",
			want: `docker config CFG: auths.quay.io.auth not valid base64`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.config)
			res, err := testEnv(filepath.Dir(path)).Lookup(context.Background(), tc.registry)
			if want := strings.ReplaceAll(tc.want, "CFG", path); err == nil || !strings.Contains(err.Error(), want) || res.Credentials != nil {
				t.Errorf("Lookup = %v, %v; want an error with %q", res, err, want)
			}
		})
	}
	// No config file: no credentials, whatever the registry.
	for _, env := range []Env{testEnv(t.TempDir()), {Getenv: func(string) string { return "" }}} {
		if res, err := env.Lookup(context.Background(), "docker.io"); res.Credentials != nil || res.Source != "" || err != nil {
			t.Errorf("no config: %v, %v", res, err)
		}
	}
}

// Credentials never print their secrets, however they are formatted.
func TestCredentialsRedacted(t *testing.T) {
	t.Parallel()
	c := &Credentials{Username: "bob\x1b", Password: "pw-canary", IdentityToken: "it-canary", RegistryToken: "rt-canary"}
	res := Result{Credentials: c, Source: "here"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{c, *c, res} {
			out := fmt.Sprintf(verb, v)
			_, isResult := v.(Result)
			if strings.Contains(out, "canary") || strings.Contains(out, "\x1b") || !isResult && !strings.Contains(out, "bob") {
				t.Errorf("%s of %T: %q", verb, v, out)
			}
		}
	}
	if got := (Credentials{Username: "bob", Password: "x"}).String(); got != "username=bob password=<redacted>" {
		t.Errorf("String = %q", got)
	}
}

// What a pull pays for its credentials: reading config.json, and running
// a (shell script) helper.
func BenchmarkLookup(b *testing.B) {
	for _, bc := range []struct{ name, config string }{
		{"auths", `{"auths":{"quay.io":{"auth":"` + b64("bob:pw") + `"}}}`},
		{"helper", `{"credsStore":"good"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(bc.config), 0o600); err != nil {
				b.Fatal(err)
			}
			env := testEnv(dir)
			b.ReportAllocs()
			for b.Loop() {
				if res, err := env.Lookup(context.Background(), "127.0.0.1:5000"); err != nil || res.Credentials == nil && bc.name == "helper" {
					b.Fatal(res, err)
				}
			}
		})
	}
}
