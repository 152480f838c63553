package dockerauth

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The helpers are shell scripts written before any test runs in parallel:
// writing an executable while another goroutine forks can make exec fail
// with "text file busy".

// helperScripts are docker-credential-NAME scripts by NAME.
var helperScripts = map[string]string{
	// good answers for two servers and "not found" for the rest; the
	// user name shows the server URL it was given
	"good": `[ "$1" = get ] || exit 3
url=$(cat)
case "$url" in
https://index.docker.io/v1/|127.0.0.1:5000) printf '{"ServerURL":"%s","Username":"user-for-%s","Secret":"s3cret"}\n' "$url" "$url" ;;
quay.io) printf '{"ServerURL":"quay.io","Username":"<token>","Secret":"id-tok3n"}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
	"other":    `printf '{"Username":"other","Secret":"other-s3cret"}\nlog line after the answer\n'`,
	"fail":     "echo 'vault sealed: run vault unseal' >&2\necho 'second line' >&2\nexit 2",
	"failout":  "echo 'error getting credentials: expired'\nexit 1",
	"failjson": `printf '{"Username":"bob","Secret":"leaked-s3cret"}'; exit 1`,
	"escape":   `printf 'bad \033[31mred\033]0;title\007\n' >&2; exit 1`,
	"long":     `head -c 1000 /dev/zero | tr '\0' x >&2; exit 1`,
	"slow":     "sleep 30",
	"huge":     `exec yes '{"Username":"a","Secret":"b"}'`,
	"big":      `printf '{"Username":"big","Secret":"'; head -c 50000 /dev/zero | tr '\0' x; printf '"}'`,
	"notjson":  `echo 'password=canary-s3cret'`,
	"empty":    `printf '{"ServerURL":"x","Username":"","Secret":""}'`,
	// exits at once but leaves a child holding stdout open
	"lingering": `(sleep 30 &)
printf '{"Username":"ling","Secret":"s"}'`,
	"notfound-stderr": "echo 'credentials not found in native keychain' >&2\nexit 1",
}

// helperBin is the directory of the scripts; unusable has a script that
// is not executable.
var helperBin, unusableBin string

func TestMain(m *testing.M) {
	code, err := func() (int, error) {
		dir, err := os.MkdirTemp("", "dockerauth-test-")
		if err != nil {
			return 1, err
		}
		defer os.RemoveAll(dir)
		helperBin, unusableBin = filepath.Join(dir, "bin"), filepath.Join(dir, "unusable")
		for _, d := range []string{helperBin, unusableBin} {
			if err := os.Mkdir(d, 0o700); err != nil {
				return 1, err
			}
		}
		for name, body := range helperScripts {
			if err := os.WriteFile(filepath.Join(helperBin, helperPrefix+name), []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
				return 1, err
			}
		}
		if err := os.WriteFile(filepath.Join(unusableBin, helperPrefix+"good"), []byte("#!/bin/sh\n"+helperScripts["good"]+"\n"), 0o600); err != nil {
			return 1, err
		}
		return m.Run(), nil
	}()
	if err != nil {
		os.Stderr.WriteString("dockerauth tests: " + err.Error() + "\n")
	}
	os.Exit(code)
}

// testEnv looks only in helperBin (and the system directories the scripts
// need), with no process environment for the helper.
func testEnv(configDir string) Env {
	vars := map[string]string{"DOCKER_CONFIG": configDir, "PATH": helperBin + ":/usr/bin:/bin"}
	return Env{Getenv: func(k string) string { return vars[k] }, Environ: func() []string { return []string{"HOME=/nonexistent", "PATH=/wrong"} }}
}

func runTestHelper(ctx context.Context, env Env, name, url string) (*Credentials, error) {
	return env.runHelper(ctx, helper{program: helperPrefix + name, setting: "credsStore in /c.json"}, url)
}

func TestHelperAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, helper, url string
		want              *Credentials
	}{
		{name: "Docker Hub", helper: "good", url: "https://index.docker.io/v1/", want: &Credentials{Username: "user-for-https://index.docker.io/v1/", Password: "s3cret"}},
		{name: "host and port", helper: "good", url: "127.0.0.1:5000", want: &Credentials{Username: "user-for-127.0.0.1:5000", Password: "s3cret"}},
		{name: "identity token", helper: "good", url: "quay.io", want: &Credentials{IdentityToken: "id-tok3n"}},
		{name: "not in the keychain", helper: "good", url: "ghcr.io"},
		{name: "not found on stderr", helper: "notfound-stderr", url: "ghcr.io"},
		{name: "empty answer", helper: "empty", url: "ghcr.io"},
		{name: "big answer under the bound", helper: "big", url: "x", want: &Credentials{Username: "big", Password: strings.Repeat("x", 50000)}},
		{name: "child left holding stdout", helper: "lingering", url: "x", want: &Credentials{Username: "ling", Password: "s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := runTestHelper(context.Background(), testEnv(""), tc.helper, tc.url)
			if err != nil || (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// Every failure is one line naming the helper and its setting, with no
// secret and no raw control character.
func TestHelperFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, helper string
		env          Env
		want         string
	}{
		{name: "missing", helper: "nothere", env: testEnv(""),
			want: `docker credential helper "docker-credential-nothere" (credsStore in /c.json) not found on PATH: install it, or remove the setting`},
		{name: "not executable", helper: "good", env: Env{Getenv: func(string) string { return unusableBin }},
			want: `docker credential helper "docker-credential-good" (credsStore in /c.json) not found on PATH`},
		{name: "empty PATH", helper: "good", env: Env{Getenv: func(string) string { return "" }},
			want: "not found on PATH"},
		{name: "fails", helper: "fail", env: testEnv(""),
			want: `docker credential helper "docker-credential-fail" (credsStore in /c.json) failed: exit status 2: vault sealed: run vault unseal`},
		{name: "fails, message on stdout", helper: "failout", env: testEnv(""),
			want: "failed: exit status 1: error getting credentials: expired"},
		{name: "fails after printing credentials", helper: "failjson", env: testEnv(""),
			want: `(credsStore in /c.json) failed: exit status 1`},
		{name: "escape sequences", helper: "escape", env: testEnv(""),
			want: `failed: exit status 1: bad ^[[31mred^[]0;title\x07`},
		{name: "long message", helper: "long", env: testEnv(""),
			want: "failed: exit status 1: " + strings.Repeat("x", maxExcerpt) + "..."},
		{name: "huge output", helper: "huge", env: testEnv(""),
			want: "printed more than 64 KiB on stdout and was stopped"},
		{name: "not JSON", helper: "notjson", env: testEnv(""),
			want: `printed no credentials: want JSON {"Username": ..., "Secret": ...} on stdout`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := runTestHelper(context.Background(), tc.env, tc.helper, "ghcr.io")
			var he *HelperError
			if got != nil || !errors.As(err, &he) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want an error with %q", got, err, tc.want)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\x1b\a") || strings.Contains(msg, "s3cret") || strings.Contains(msg, "second line") {
				t.Errorf("error not one clean line without secrets: %q", msg)
			}
		})
	}
}

// A helper that does not answer is stopped by the timeout or by the
// caller's context; neither hangs. The bound checked is a hang check, far
// above the timeouts.
func TestHelperStopped(t *testing.T) {
	t.Parallel()
	const hang = 20 * time.Second
	check := func(t *testing.T, env Env, ctx context.Context, wantErr error, want string) {
		t.Helper()
		start := time.Now()
		got, err := runTestHelper(ctx, env, "slow", "ghcr.io")
		if took := time.Since(start); took > hang {
			t.Errorf("returned after %v", took)
		}
		if got != nil || !errors.Is(err, wantErr) || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, %v; want %v with %q", got, err, wantErr, want)
		}
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		env := testEnv("")
		env.Timeout = 300 * time.Millisecond
		check(t, env, context.Background(), context.DeadlineExceeded, `"docker-credential-slow" (credsStore in /c.json) gave no answer within 300ms and was stopped`)
	})
	t.Run("caller cancels", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		check(t, testEnv(""), ctx, context.Canceled, "was stopped: context canceled")
	})
	t.Run("caller's deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		check(t, testEnv(""), ctx, context.DeadlineExceeded, "was stopped: context deadline exceeded")
	})
	t.Run("already canceled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		check(t, testEnv(""), ctx, context.Canceled, "was stopped")
	})
}

// The helper runs with the caller's environment, but the PATH it was
// found on.
func TestHelperEnv(t *testing.T) {
	t.Parallel()
	got := helperEnv(func() []string { return []string{"HOME=/h", "PATH=/old", "X=PATH=y"} }, "/new")
	if strings.Join(got, " ") != "HOME=/h X=PATH=y PATH=/new" {
		t.Errorf("helperEnv = %q", got)
	}
	if env := helperEnv(nil, "/p"); len(env) == 0 || env[len(env)-1] != "PATH=/p" {
		t.Errorf("helperEnv(nil) = %q", env)
	}
}

// Only absolute PATH entries are searched, and only executables count.
func TestLookPath(t *testing.T) {
	t.Parallel()
	want := filepath.Join(helperBin, helperPrefix+"good")
	if p, err := lookPath(helperPrefix+"good", "/nonexistent:"+unusableBin+":"+helperBin); err != nil || p != want {
		t.Errorf("lookPath = %q, %v; want %q", p, err, want)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, helperBin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rel, helperPrefix+"good")); err != nil {
		t.Fatalf("the relative path does not reach the helper: %v", err)
	}
	for _, path := range []string{rel, "", ":" + rel + ":", unusableBin} {
		if p, err := lookPath(helperPrefix+"good", path); !errors.Is(err, exec.ErrNotFound) {
			t.Errorf("lookPath in %q = %q, %v; want not found", path, p, err)
		}
	}
}

func TestBoundedBuffer(t *testing.T) {
	t.Parallel()
	calls := 0
	b := &boundedBuffer{max: 5, overflow: func() { calls++ }}
	for _, s := range []string{"abc", "de", "", "fgh", "ij"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if string(b.Bytes()) != "abcde" || !b.over() || calls != 1 {
		t.Errorf("kept %q, over %v, %d overflow calls", b.Bytes(), b.over(), calls)
	}
	exact := &boundedBuffer{max: 3, overflow: func() { t.Error("overflow at exactly max") }}
	exact.Write([]byte("abc"))
	if exact.over() {
		t.Error("over at exactly max")
	}
}
