package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/pkg/hostroot"
)

func ptr[T any](v T) *T { return &v }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolvePrecedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		file   string // "" = no file at the default path
		env    map[string]string
		flags  Flags
		key    string
		want   any
		source Source
	}{
		{"runtime default", "", nil, Flags{}, KeyRuntimeEndpoint, "", FromDefault},
		{"runtime file", "runtime-endpoint: unix:///file.sock\n", nil, Flags{}, KeyRuntimeEndpoint, "unix:///file.sock", FromFile},
		{"runtime env over file", "runtime-endpoint: unix:///file.sock\n",
			map[string]string{EnvRuntimeEndpoint: "unix:///env.sock"}, Flags{}, KeyRuntimeEndpoint, "unix:///env.sock", FromEnv},
		{"runtime flag over env", "runtime-endpoint: unix:///file.sock\n",
			map[string]string{EnvRuntimeEndpoint: "unix:///env.sock"}, Flags{RuntimeEndpoint: ptr("unix:///flag.sock")},
			KeyRuntimeEndpoint, "unix:///flag.sock", FromFlag},
		{"runtime empty env is unset", "runtime-endpoint: unix:///file.sock\n",
			map[string]string{EnvRuntimeEndpoint: ""}, Flags{}, KeyRuntimeEndpoint, "unix:///file.sock", FromFile},

		{"image default", "", nil, Flags{}, KeyImageEndpoint, "", FromDefault},
		{"image not copied from runtime", "runtime-endpoint: unix:///r.sock\n", nil, Flags{}, KeyImageEndpoint, "", FromDefault},
		{"image file", "image-endpoint: unix:///file.sock\n", nil, Flags{}, KeyImageEndpoint, "unix:///file.sock", FromFile},
		{"image env over file", "image-endpoint: unix:///file.sock\n",
			map[string]string{EnvImageEndpoint: "unix:///env.sock"}, Flags{}, KeyImageEndpoint, "unix:///env.sock", FromEnv},
		{"image flag over env", "image-endpoint: unix:///file.sock\n",
			map[string]string{EnvImageEndpoint: "unix:///env.sock"}, Flags{ImageEndpoint: ptr("unix:///flag.sock")},
			KeyImageEndpoint, "unix:///flag.sock", FromFlag},
		{"image env does not set runtime", "", map[string]string{EnvImageEndpoint: "unix:///env.sock"}, Flags{},
			KeyRuntimeEndpoint, "", FromDefault},

		{"timeout default", "", nil, Flags{}, KeyTimeout, 2 * time.Second, FromDefault},
		{"timeout file seconds", "timeout: 5\n", nil, Flags{}, KeyTimeout, 5 * time.Second, FromFile},
		{"timeout file duration", "timeout: 750ms\n", nil, Flags{}, KeyTimeout, 750 * time.Millisecond, FromFile},
		{"timeout file zero", "timeout: 0\n", nil, Flags{}, KeyTimeout, 2 * time.Second, FromDefault},
		{"timeout flag over file", "timeout: 5\n", nil, Flags{Timeout: ptr(7 * time.Second)}, KeyTimeout, 7 * time.Second, FromFlag},
		{"timeout flag zero falls through", "timeout: 5\n", nil, Flags{Timeout: ptr(time.Duration(0))}, KeyTimeout, 5 * time.Second, FromFile},

		{"debug default", "", nil, Flags{}, KeyDebug, false, FromDefault},
		{"debug file", "debug: true\n", nil, Flags{}, KeyDebug, true, FromFile},
		{"debug flag false over file", "debug: true\n", nil, Flags{Debug: ptr(false)}, KeyDebug, false, FromFlag},

		{"retries default", "", nil, Flags{}, KeyMaxRetries, 3, FromDefault},
		{"retries unchanged by a file without the key", "debug: false\n", nil, Flags{}, KeyMaxRetries, 3, FromDefault},
		{"retries unchanged by an empty file", "# empty\n", nil, Flags{}, KeyMaxRetries, 3, FromDefault},
		{"retries file zero", "max-retries: 0\n", nil, Flags{}, KeyMaxRetries, 0, FromFile},
		{"retries flag over file", "max-retries: 0\n", nil, Flags{MaxRetries: ptr(1)}, KeyMaxRetries, 1, FromFlag},

		{"pull-image-on-create default", "", nil, Flags{}, KeyPullImageOnCreate, false, FromDefault},
		{"pull-image-on-create file", "pull-image-on-create: true\n", nil, Flags{}, KeyPullImageOnCreate, true, FromFile},
		{"disable-pull-on-run default", "", nil, Flags{}, KeyDisablePullOnRun, false, FromDefault},
		{"disable-pull-on-run file", "disable-pull-on-run: true\n", nil, Flags{}, KeyDisablePullOnRun, true, FromFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defaultPath := filepath.Join(t.TempDir(), "crictl.yaml")
			if tt.file != "" {
				defaultPath = writeTemp(t, tt.file)
			}
			r, err := resolve(tt.flags, envOf(tt.env), defaultPath)
			if err != nil {
				t.Fatal(err)
			}
			var got any
			switch tt.key {
			case KeyRuntimeEndpoint:
				got = r.RuntimeEndpoint
			case KeyImageEndpoint:
				got = r.ImageEndpoint
			case KeyTimeout:
				got = r.Timeout
			case KeyDebug:
				got = r.Debug
			case KeyPullImageOnCreate:
				got = r.PullImageOnCreate
			case KeyDisablePullOnRun:
				got = r.DisablePullOnRun
			case KeyMaxRetries:
				got = r.MaxRetries
			}
			if got != tt.want {
				t.Errorf("%s = %v, want %v", tt.key, got, tt.want)
			}
			if r.Sources[tt.key] != tt.source {
				t.Errorf("source of %s = %v, want %v", tt.key, r.Sources[tt.key], tt.source)
			}
			if len(r.Sources) != len(Keys()) {
				t.Errorf("Sources has %d keys, want %d", len(r.Sources), len(Keys()))
			}
			if r.FileLoaded != (tt.file != "") {
				t.Errorf("FileLoaded = %v", r.FileLoaded)
			}
		})
	}
}

func TestResolveConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defaultFile := writeTemp(t, "timeout: 3\n")
	envFile := writeTemp(t, "timeout: 4\n")
	flagFile := writeTemp(t, "timeout: 5\n")
	badDefault := writeTemp(t, "timeout: 3\nruntime-endpoint: [x]\n")
	missing := filepath.Join(dir, "missing.yaml")

	tests := []struct {
		name        string
		defaultPath string
		env         map[string]string
		flags       Flags
		wantPath    string
		wantTimeout time.Duration
		wantErr     string // prefix
		notExist    bool
	}{
		{name: "default", defaultPath: defaultFile, wantPath: defaultFile, wantTimeout: 3 * time.Second},
		{name: "env over default", defaultPath: defaultFile, env: map[string]string{EnvConfigFile: envFile},
			wantPath: envFile, wantTimeout: 4 * time.Second},
		{name: "flag over env", defaultPath: defaultFile, env: map[string]string{EnvConfigFile: envFile},
			flags: Flags{ConfigPath: ptr(flagFile)}, wantPath: flagFile, wantTimeout: 5 * time.Second},
		{name: "empty env is unset", defaultPath: defaultFile, env: map[string]string{EnvConfigFile: ""},
			wantPath: defaultFile, wantTimeout: 3 * time.Second},
		{name: "missing default is no file", defaultPath: missing, wantPath: missing, wantTimeout: 2 * time.Second},
		{name: "missing flag file", defaultPath: defaultFile, flags: Flags{ConfigPath: ptr(missing)},
			wantErr: missing + ": no such file or directory", notExist: true},
		{name: "missing env file", defaultPath: defaultFile, env: map[string]string{EnvConfigFile: missing},
			wantErr: missing + ": no such file or directory", notExist: true},
		{name: "malformed default is an error", defaultPath: badDefault,
			wantErr: badDefault + `:2: invalid value for runtime-endpoint`},
		{name: "directory", defaultPath: dir, wantErr: dir + ": is a directory"},
		{name: "empty config flag", defaultPath: defaultFile, flags: Flags{ConfigPath: ptr("")}, wantErr: "--config: empty path"},
		{name: "empty runtime flag", defaultPath: defaultFile, flags: Flags{RuntimeEndpoint: ptr("")},
			wantErr: "--runtime-endpoint: empty value"},
		{name: "empty image flag", defaultPath: defaultFile, flags: Flags{ImageEndpoint: ptr("")},
			wantErr: "--image-endpoint: empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := resolve(tt.flags, envOf(tt.env), tt.defaultPath)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				if errors.Is(err, fs.ErrNotExist) != tt.notExist {
					t.Errorf("errors.Is(err, fs.ErrNotExist) = %v", !tt.notExist)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Path != tt.wantPath || r.Timeout != tt.wantTimeout {
				t.Errorf("Path, Timeout = %s, %v; want %s, %v", r.Path, r.Timeout, tt.wantPath, tt.wantTimeout)
			}
		})
	}
}

func TestResolveNilGetenv(t *testing.T) {
	t.Parallel()
	path := writeTemp(t, "debug: true\n")
	r, err := Resolve(Flags{ConfigPath: &path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Debug || r.Sources[KeyDebug] != FromFile || r.Path != path {
		t.Errorf("Resolve = %+v", r)
	}
	if p, explicit, err := ConfigPath(Flags{}, nil); p != DefaultPath || explicit || err != nil {
		t.Errorf("ConfigPath(no flag, no env) = %q, %v, %v", p, explicit, err)
	}
}

// --host-root: the default config file is the host's, read under the
// root (links resolved inside it); an explicit one is not.
func TestResolveHostRoot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "host")
	if err := os.MkdirAll(filepath.Join(root, "etc", "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "real", "crictl.yaml"), []byte("runtime-endpoint: unix:///run/host.sock\ntimeout: 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An absolute link, as a host may have it: it means the host's /etc/real.
	if err := os.Symlink("/etc/real/crictl.yaml", filepath.Join(root, "etc", "crictl.yaml")); err != nil {
		t.Fatal(err)
	}
	hr, err := hostroot.New(root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resolve(Flags{HostRoot: hr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.FileLoaded || !r.HostFile || r.RuntimeEndpoint != "unix:///run/host.sock" || r.Timeout != 9*time.Second {
		t.Errorf("under the host root: %+v", r)
	}
	if want := filepath.Join(root, "etc", "real", "crictl.yaml"); r.Path != want {
		t.Errorf("Path = %q, want %q", r.Path, want)
	}
	explicit := filepath.Join(base, "mine.yaml")
	if err := os.WriteFile(explicit, []byte("timeout: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(Flags{HostRoot: hr, ConfigPath: &explicit}, nil)
	if err != nil || r.HostFile || r.Timeout != 3*time.Second {
		t.Errorf("explicit --config under a host root: %+v, %v", r, err)
	}
	// No config file on the host: the defaults.
	empty, err := hostroot.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err = Resolve(Flags{HostRoot: empty}, nil)
	if err != nil || r.FileLoaded || r.Timeout != DefaultTimeout {
		t.Errorf("no host config: %+v, %v", r, err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	on := filepath.Join(dir, "on.yaml")
	off := filepath.Join(dir, "off.yaml")
	os.WriteFile(on, []byte("read-only: true\n"), 0o600)
	os.WriteFile(off, []byte("read-only: false\n"), 0o600)
	tru, fals := true, false
	for _, c := range []struct {
		name   string
		file   string
		env    string
		flag   *bool
		reason string
	}{
		{"off", off, "", nil, ""},
		{"file", on, "", nil, "read-only: true in " + on},
		{"env", off, "1", nil, "CRICTL_READ_ONLY=1"},
		{"env true", off, "true", nil, "CRICTL_READ_ONLY=1"},
		{"env 0 does nothing", off, "0", nil, ""},
		{"flag", off, "", &tru, "--read-only"},
		{"a flag cannot turn the file off", on, "", &fals, "read-only: true in " + on},
		{"a flag cannot turn the environment off", off, "1", &fals, "CRICTL_READ_ONLY=1"},
		{"the environment cannot turn the file off", on, "0", nil, "read-only: true in " + on},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{EnvConfigFile: c.file, EnvReadOnly: c.env}
			r, err := Resolve(Flags{ReadOnly: c.flag}, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if got := r.ReadOnlyReason(); got != c.reason || r.ReadOnly != (c.reason != "") {
				t.Errorf("reason %q (read-only %v), want %q", got, r.ReadOnly, c.reason)
			}
		})
	}
	env := map[string]string{EnvConfigFile: off, EnvReadOnly: "maybe"}
	if _, err := Resolve(Flags{}, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), `CRICTL_READ_ONLY="maybe"`) {
		t.Errorf("bad CRICTL_READ_ONLY: %v", err)
	}
}
