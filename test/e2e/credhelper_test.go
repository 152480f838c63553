package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crictl/crictl/test/e2e/harness"
)

// A docker credential helper on PATH gives pull the basic-auth registry's
// credentials, whether config.json names it in credsStore or in
// credHelpers; a helper without credentials for a registry means an
// anonymous pull; a helper that is missing is a warning, and the pull
// goes on without credentials (so a private image is refused).
// -D names the helper and never shows the password.
func TestPullCredentialHelper(t *testing.T) {
	env := needCommand(t, "pull")
	private := env.AuthRegistry + "/" + harness.RegistryRepo + ":" + harness.RegistryTags[0]

	// The helper knows the auth registry only, and answers as docker's
	// helpers do. PATH gets its directory first in crictl's environment
	// only.
	bin := t.TempDir()
	helper := fmt.Sprintf(`#!/bin/sh
[ "$1" = get ] || exit 2
server=$(cat)
if [ "$server" = '%s' ]; then
	printf '{"ServerURL":"%%s","Username":"%%s","Secret":"%%s"}\n' "$server" '%s' '%s'
else
	echo 'credentials not found in native keychain'
	exit 1
fi
`, env.AuthRegistry, env.RegistryUser, env.RegistryPassword)
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-e2e"), []byte(helper), 0o700); err != nil {
		t.Fatal(err)
	}
	pathEnv := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")

	for _, tc := range []struct {
		name, config, ref, setting string
		wantWarn                   string
	}{
		{name: "credsStore", config: `{"credsStore": "e2e"}`, ref: private, setting: "credsStore"},
		{name: "credHelpers over credsStore", ref: private, setting: "credHelpers." + env.AuthRegistry,
			config: fmt.Sprintf(`{"credsStore": "e2e-missing", "credHelpers": {%q: "e2e"}}`, env.AuthRegistry)},
		{name: "not in the keychain: anonymous", config: `{"credsStore": "e2e"}`, ref: env.RegistryImage, setting: "credsStore"},
		{name: "missing helper", config: `{"credsStore": "e2e-missing"}`, ref: private, setting: "credsStore",
			wantWarn: `crictl: warning: docker credential helper "docker-credential-e2e-missing" (credsStore in CFG) not found on PATH: install it, or remove the setting; pulling without credentials`},
		{name: "missing helper, public image", config: `{"credsStore": "e2e-missing"}`, ref: env.RegistryImage, setting: "credsStore",
			wantWarn: `crictl: warning: docker credential helper "docker-credential-e2e-missing" (credsStore in CFG) not found on PATH`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "config.json")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o600); err != nil {
				t.Fatal(err)
			}
			removeImage(t, env, tc.ref)
			t.Cleanup(func() { removeImage(t, env, tc.ref) })
			out, errOut, code := crictlIO(t, env, []string{pathEnv, "DOCKER_CONFIG=" + dir}, "", "-D", "pull", tc.ref)
			if strings.Contains(errOut, env.RegistryPassword) || strings.Contains(out, env.RegistryPassword) {
				t.Errorf("the password reached the output: %q", errOut)
			}
			if tc.wantWarn != "" {
				want := strings.ReplaceAll(tc.wantWarn, "CFG", cfg)
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr %q lacks %q", errOut, want)
				}
				// without credentials the auth registry refuses the pull;
				// the public registry's image is pulled
				if wantCode := map[bool]int{true: 1, false: 0}[tc.ref == private]; code != wantCode {
					t.Errorf("exit %d, want %d; stdout %q", code, wantCode, out)
				}
				return
			}
			if code != 0 || !strings.HasPrefix(out, "Image is up to date for sha256:") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			registry, _, _ := strings.Cut(tc.ref, "/")
			source := fmt.Sprintf("from credential helper docker-credential-e2e (%s in %s)", tc.setting, cfg)
			wantLine := "debug: credentials for " + registry + " " + source
			if tc.ref != private {
				wantLine = "debug: no credentials for " + registry + " " + source
			}
			if !strings.Contains(errOut, wantLine+"\n") {
				t.Errorf("-D output lacks %q:\n%s", wantLine, errOut)
			}
		})
	}
}
