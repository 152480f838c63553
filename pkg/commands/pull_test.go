package commands

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var digest = "sha256:" + strings.Repeat("0123456789abcdef", 4)

func pullRequest(t *testing.T, srv *crifake.Server) *runtimeapi.PullImageRequest {
	t.Helper()
	reqs := srv.Requests("PullImage")
	if len(reqs) == 0 {
		t.Fatalf("no PullImage request")
	}
	return reqs[len(reqs)-1].(*runtimeapi.PullImageRequest)
}

func TestPull(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.ok("pull busybox:1.36")
	img := e.srv.Images()
	if len(img) != 1 || out != "Image is up to date for "+img[0].Id+"\n" {
		t.Fatalf("pull printed %q; images %v", out, img)
	}
	if got := e.srv.Calls(); !slices.Equal(got, []string{"PullImage"}) {
		t.Errorf("RPCs = %v", got)
	}
	req := pullRequest(t, e.srv)
	if req.GetImage().GetImage() != "busybox:1.36" || req.GetAuth() != nil || req.GetSandboxConfig() != nil {
		t.Errorf("request %v", req)
	}
	e.ok("pull 127.0.0.1:5000/lab/busybox@" + digest)
	if got := pullRequest(t, e.srv).GetImage().GetImage(); got != "127.0.0.1:5000/lab/busybox@"+digest {
		t.Errorf("by digest: sent %q", got)
	}
}

func TestPullInvalidReference(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for ref, want := range map[string]string{
		"UPPER/Case:tag":            "must be lowercase",
		"busybox:":                  "tag",
		"busybox@sha256:abc":        "digest",
		"a b":                       "space",
		":::":                       "invalid reference format",
		"busybox@md5:" + digest[7:]: "not supported",
	} {
		oneError(t, e.runArgs("pull", ref), "invalid reference format", want, "crictl pull --help")
	}
	oneError(t, e.run("pull"), "pull needs an image name")
	oneError(t, e.run("pull a b"), "pull takes one image")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("invalid references reached the runtime: %v", calls)
	}
}

func TestPullFlags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := files(t, "pod.yaml", podYAML, "bad.yaml", "metadata: {name: a}\n")
	e.ok("pull --pod-config " + p[0] + " -a team=web -a note=a=b busybox")
	req := pullRequest(t, e.srv)
	if req.GetSandboxConfig().GetMetadata().GetName() != "web" || req.GetImage().GetAnnotations()["team"] != "web" || req.GetImage().GetAnnotations()["note"] != "a=b" {
		t.Errorf("request %v", req)
	}
	e.srv.ResetCalls()
	for _, tc := range []struct {
		cmd  string
		want string
	}{
		{"pull --pod-config " + p[1] + " busybox", p[1] + ": .metadata.namespace: required field is missing"},
		{"pull -a novalue busybox", `--annotation "novalue": want key=value`},
		{"pull --pull-timeout -5s busybox", "--pull-timeout -5s: must be 0"},
		{"pull --pt forever busybox", "--pull-timeout: invalid timeout"},
		{"pull --creds u:p --auth dTpw busybox", "--creds and --auth cannot be used together"},
		{"pull -u me --creds u:p busybox", "--username cannot be used with --creds or --auth"},
		{"pull --password-stdin busybox", "--password-stdin needs --username"},
		{"pull --creds :pw busybox", "--creds: the user name is empty"},
		{"pull --auth !!notbase64 busybox", "--auth: not valid base64"},
		{"pull jsonschema x", "takes no arguments"},
	} {
		oneError(t, e.run(tc.cmd), tc.want)
	}
	e.vars[envPullTimeout] = "soon"
	oneError(t, e.run("pull busybox"), envPullTimeout)
	delete(e.vars, envPullTimeout)
	e.vars[envCreds], e.vars[envAuth] = "u:p", "dTpw"
	oneError(t, e.run("pull busybox"), "$CRICTL_CREDS and $CRICTL_AUTH are both set")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("usage errors made RPCs: %v", calls)
	}
	if js := e.ok("pull jsonschema"); !strings.Contains(js, `"title": "PodSandboxConfig"`) {
		t.Errorf("pull jsonschema: %.80q", js)
	}
}

// Each way of giving credentials sends the right AuthConfig, and -D never
// shows the secret.
func TestPullCredentials(t *testing.T) {
	t.Parallel()
	const secret = "canary-s3cret"
	b64 := base64.StdEncoding.EncodeToString([]byte("bob:" + secret))
	dockerCfg := func(t *testing.T, content string) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600)
		return dir
	}
	userPass := &runtimeapi.AuthConfig{Username: "bob", Password: secret}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		io      ioOpts
		want    *runtimeapi.AuthConfig
		warning bool
	}{
		{name: "--creds", args: []string{"--creds", "bob:" + secret}, want: userPass, warning: true},
		{name: "--creds without password", args: []string{"--creds", "bob"}, want: &runtimeapi.AuthConfig{Username: "bob"}},
		{name: "CRICTL_CREDS", env: map[string]string{envCreds: "bob:" + secret}, want: userPass},
		{name: "--auth", args: []string{"--auth", b64}, want: &runtimeapi.AuthConfig{Auth: b64}},
		{name: "CRICTL_AUTH", env: map[string]string{envAuth: b64}, want: &runtimeapi.AuthConfig{Auth: b64}},
		{name: "flag beats env", args: []string{"--auth", b64}, env: map[string]string{envCreds: "eve:x"}, want: &runtimeapi.AuthConfig{Auth: b64}},
		{name: "--password-stdin", args: []string{"-u", "bob", "--password-stdin"}, io: ioOpts{stdin: secret + "\n"}, want: userPass},
		{name: "--password-stdin CRLF", args: []string{"--username", "bob", "--password-stdin"}, io: ioOpts{stdin: secret + "\r\n"}, want: userPass},
		{name: "--password-stdin keeps inner newlines", args: []string{"-u", "bob", "--password-stdin"}, io: ioOpts{stdin: "a\nb\n\n"}, want: &runtimeapi.AuthConfig{Username: "bob", Password: "a\nb\n"}},
		{name: "terminal prompt", args: []string{"-u", "bob"}, io: ioOpts{inTTY: true, readPassword: func(context.Context) ([]byte, error) { return []byte(secret), nil }}, want: userPass},
		{name: "DOCKER_CONFIG", env: map[string]string{"DOCKER_CONFIG": dockerCfg(t, `{"auths":{"https://index.docker.io/v1/":{"auth":"`+b64+`"}}}`)}, want: userPass},
		{name: "DOCKER_CONFIG username/password", env: map[string]string{"DOCKER_CONFIG": dockerCfg(t, `{"auths":{"docker.io":{"username":"bob","password":"`+secret+`"}}}`)}, want: userPass},
		{name: "other registry only", env: map[string]string{"DOCKER_CONFIG": dockerCfg(t, `{"auths":{"quay.io":{"auth":"`+b64+`"}}}`)}, want: nil},
		{name: "flags beat config.json", args: []string{"--creds", "eve"}, env: map[string]string{"DOCKER_CONFIG": dockerCfg(t, `{"auths":{"docker.io":{"auth":"`+b64+`"}}}`)}, want: &runtimeapi.AuthConfig{Username: "eve"}},
		{name: "no credentials", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			for k, v := range tc.env {
				e.vars[k] = v
			}
			args := append(append([]string{"-D", "pull"}, tc.args...), "busybox")
			r := e.runIO(tc.io, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := pullRequest(t, e.srv).GetAuth()
			if tc.want == nil && got != nil || tc.want != nil && (got.GetUsername() != tc.want.GetUsername() || got.GetPassword() != tc.want.GetPassword() || got.GetAuth() != tc.want.GetAuth()) {
				t.Errorf("AuthConfig %v, want %v", got, tc.want)
			}
			if !strings.Contains(r.stderr, "debug: PullImage request") {
				t.Errorf("-D printed no request: %q", r.stderr)
			}
			for _, leak := range []string{secret, b64} {
				if strings.Contains(r.stderr, leak) || strings.Contains(r.stdout, leak) {
					t.Errorf("the secret %q reached the output: %q", leak, r.stderr)
				}
			}
			if warned := strings.Count(r.stderr, "warning: --creds puts the password on the command line"); warned != map[bool]int{true: 1}[tc.warning] {
				t.Errorf("%d warnings about --creds, want %v: %q", warned, tc.warning, r.stderr)
			}
		})
	}
}

func TestPullDockerConfigHome(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".docker"), 0o700)
	b64 := base64.StdEncoding.EncodeToString([]byte("bob:pw"))
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{"auths":{"127.0.0.1:5000":{"auth":"`+b64+`"}}}`), 0o600)
	e.vars["HOME"] = home
	e.ok("pull 127.0.0.1:5000/lab/app:1")
	if a := pullRequest(t, e.srv).GetAuth(); a.GetUsername() != "bob" || a.GetPassword() != "pw" {
		t.Errorf("AuthConfig %v", a)
	}
	e.ok("pull busybox")
	if a := pullRequest(t, e.srv).GetAuth(); a != nil {
		t.Errorf("docker.io got the credentials of 127.0.0.1:5000: %v", a)
	}
	// A broken file is an error that names it and shows none of it.
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{"auths":{"127.0.0.1:5000":{"auth":"!!`+b64+`"}}}`), 0o600)
	r := e.run("pull 127.0.0.1:5000/lab/app:1")
	oneError(t, r, filepath.Join(home, ".docker", "config.json"), "auths.127.0.0.1:5000.auth not valid base64")
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{"auths": pw-canary`), 0o600)
	r = e.run("pull busybox")
	oneError(t, r, "config.json: not valid JSON")
	if strings.Contains(r.stderr, "canary") || strings.Contains(r.stderr, b64) {
		t.Errorf("config.json content reached the error: %q", r.stderr)
	}
	// A credential helper that is not on PATH is a warning, and the pull
	// goes on without credentials (as docker's), not with the auths entry.
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{"credsStore":"nothere","auths":{"docker.io":{"auth":"`+b64+`"}}}`), 0o600)
	r = e.run("pull busybox")
	want := `crictl: warning: docker credential helper "docker-credential-nothere" (credsStore in ` + filepath.Join(home, ".docker", "config.json") + `) not found on PATH: install it, or remove the setting; pulling without credentials` + "\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("pull with a missing helper: exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
	if last := pullRequest(t, e.srv); last.GetAuth() != nil {
		t.Errorf("pulled with credentials %v despite the missing helper", last.GetAuth())
	}
}

func TestPullPasswordErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oneError(t, e.runIO(ioOpts{}, "pull", "-u", "bob", "busybox"), "stdin is not a terminal", "--password-stdin")
	oneError(t, e.runIO(ioOpts{stdin: "\n"}, "pull", "-u", "bob", "--password-stdin", "busybox"), "no password on stdin")
	oneError(t, e.runIO(ioOpts{stdin: strings.Repeat("x", maxPasswordSize+1)}, "pull", "-u", "bob", "--password-stdin", "busybox"), "more than 64 KiB")
	if calls := e.srv.Calls(); len(calls) != 0 {
		t.Errorf("RPCs without a password: %v", calls)
	}
	// The prompt goes to stderr; Ctrl-C at the prompt ends the command.
	ctx, cancel := context.WithCancel(context.Background())
	r := e.runIO(ioOpts{ctx: ctx, inTTY: true, readPassword: func(ctx context.Context) ([]byte, error) {
		cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}}, "pull", "-u", "bob", "busybox")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Password: \n") || !strings.Contains(r.stderr, "crictl: interrupted") || len(e.srv.Calls()) != 0 {
		t.Errorf("Ctrl-C at the prompt: exit %d, stderr %q, RPCs %v", r.code, r.stderr, e.srv.Calls())
	}
}

func TestPullFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.SetPullError("docker.io/library/missing:1", errorStatus(codes.NotFound, `failed to resolve reference "docker.io/library/missing:1": not found`))
	oneError(t, e.run("pull missing:1"), "pulling image: missing:1", "not found")
	e.srv.SetPullError("127.0.0.1:5001/private/app:1", errorStatus(codes.Unknown, "pulling from host 127.0.0.1:5001 failed with status code [manifests 1]: 401 Unauthorized"))
	oneError(t, e.run("pull 127.0.0.1:5001/private/app:1"), "401 Unauthorized", "the registry wants credentials")
	oneError(t, e.run("pull --creds bob 127.0.0.1:5001/private/app:1"), "401 Unauthorized", "refused the credentials")
}

// --pull-timeout, not --timeout, bounds the pull.
func TestPullTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("PullImage", crifake.Fault{Delay: 700 * time.Millisecond, Times: 1})
	if r := e.run("--timeout 200ms pull busybox"); r.code != 0 {
		t.Errorf("a 700ms pull with --timeout 200ms failed: %q", r.stderr)
	}
	e.srv.Inject("PullImage", crifake.Fault{Block: true, Times: 2})
	start := time.Now()
	oneError(t, e.run("pull --pull-timeout 300ms busybox"), "pulling image: busybox: not done within --pull-timeout 300ms")
	e.vars[envPullTimeout] = "300ms"
	oneError(t, e.run("pull busybox"), "not done within --pull-timeout 300ms")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	waitFor(func() bool { return len(e.srv.Canceled()) == 2 })
	if c := e.srv.Canceled(); !slices.Equal(c, []string{"PullImage", "PullImage"}) {
		t.Errorf("the runtime did not see the timeouts: %v", c)
	}
}

// Ctrl-C cancels the pull on the runtime's side too.
func TestPullInterrupt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("PullImage", crifake.Fault{Block: true, Times: 1})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for !slices.Contains(e.srv.Calls(), "PullImage") {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	oneError(t, e.runIO(ioOpts{ctx: ctx}, "pull", "busybox"), "pulling image: busybox: interrupted")
	waitFor(func() bool { return len(e.srv.Canceled()) > 0 })
	if c := e.srv.Canceled(); !slices.Equal(c, []string{"PullImage"}) {
		t.Errorf("the runtime did not see the cancel: %v", c)
	}
}

// The spinner shows only when stderr is a terminal, and is erased.
func TestPullSpinner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.srv.Inject("PullImage", crifake.Fault{Delay: 800 * time.Millisecond, Times: 2})
	r := e.runIO(ioOpts{errTTY: true}, "pull", "busybox")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Image is up to date for ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "Pulling busybox") || !strings.HasSuffix(r.stderr, "\r\x1b[K") {
		t.Errorf("spinner on a terminal: %q", r.stderr)
	}
	r = e.runIO(ioOpts{}, "pull", "busybox")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("without a terminal: exit %d, stderr %q", r.code, r.stderr)
	}
	// A quick pull shows nothing even on a terminal.
	r = e.runIO(ioOpts{errTTY: true}, "pull", "busybox")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("quick pull on a terminal: stderr %q", r.stderr)
	}
}

// waitFor polls cond for up to 5 seconds: the fake records a cancellation
// when it notices it, which may be after the client has returned.
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(5 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}
