package dockerauth

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/output"
)

// Credentials are what a registry is sent. They format themselves with
// the secrets redacted (%v, %s, %+v, %#v), so a debug line cannot show
// them by accident.
type Credentials struct {
	Username      string
	Password      string
	IdentityToken string
	RegistryToken string
}

func (c Credentials) empty() bool {
	return c.Username == "" && c.Password == "" && c.IdentityToken == "" && c.RegistryToken == ""
}

// String names the user and which secrets are set, never their values.
func (c Credentials) String() string {
	parts := []string{"username=" + output.Escape(c.Username)}
	for _, s := range []struct{ name, value string }{
		{"password", c.Password}, {"identitytoken", c.IdentityToken}, {"registrytoken", c.RegistryToken},
	} {
		if s.value != "" {
			parts = append(parts, s.name+"=<redacted>")
		}
	}
	return strings.Join(parts, " ")
}

// GoString is String, for %#v.
func (c Credentials) GoString() string { return "dockerauth.Credentials{" + c.String() + "}" }

// Result is what Lookup found.
type Result struct {
	// Credentials are nil when there are none: pull anonymously.
	Credentials *Credentials
	// Source says where the credentials came from, for debug output, e.g.
	// "/root/.docker/config.json (auths.quay.io)" or "credential helper
	// docker-credential-pass (credsStore in /root/.docker/config.json)".
	// With nil Credentials it names the helper that had none, or is "".
	// It never contains a secret.
	Source string
}

// Env is where Lookup looks. The zero value uses the process environment.
type Env struct {
	// Getenv reads DOCKER_CONFIG, HOME and PATH; nil means os.Getenv.
	Getenv func(string) string
	// Environ is the environment of a credential helper, with PATH
	// replaced by Getenv("PATH"); nil means os.Environ.
	Environ func() []string
	// Timeout bounds one helper run inside the caller's context; 0 means
	// HelperTimeout.
	Timeout time.Duration
}

func (e Env) getenv(k string) string {
	if e.Getenv == nil {
		return os.Getenv(k)
	}
	return e.Getenv(k)
}

// Lookup finds the credentials of registry, a reference's registry host
// such as "docker.io", "quay.io" or "127.0.0.1:5000", in the docker
// config.json (see ConfigPath): from its credential helper when
// credHelpers or credsStore names one, else from its auths entry. No
// config file, no entry, or a helper that has none gives nil Credentials
// and no error. A config that cannot be read, or a helper that is missing,
// fails or does not answer in time, is an error (a *HelperError for the
// helper).
func (e Env) Lookup(ctx context.Context, registry string) (Result, error) {
	path := ConfigPath(e.getenv)
	if registry == "" || path == "" {
		return Result{}, nil
	}
	cfg, err := loadConfig(path)
	if cfg == nil || err != nil {
		return Result{}, err
	}
	name, setting, err := cfg.helperFor(registry)
	if err != nil {
		return Result{}, err
	}
	if name != "" {
		h := helper{program: helperPrefix + name, setting: setting + " in " + path}
		creds, err := e.runHelper(ctx, h, serverURL(registry))
		if err != nil {
			return Result{}, err
		}
		return Result{Credentials: creds, Source: "credential helper " + h.program + " (" + h.setting + ")"}, nil
	}
	creds, key, err := cfg.authsEntry(registry)
	if creds == nil || err != nil {
		return Result{}, err
	}
	return Result{Credentials: creds, Source: fmt.Sprintf("%s (auths.%s)", path, output.Escape(key))}, nil
}
