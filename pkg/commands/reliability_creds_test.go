package commands

import (
	"encoding/base64"
	"strings"
	"testing"
)

// --auth is base64 of user:password, as readable in ps and /proc as
// --creds: it gets the same warning; $CRICTL_AUTH, which other users
// cannot read, gets none. Neither shows the secret (reliability matrix
// #57).
func TestPullAuthFlagWarns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b64 := base64.StdEncoding.EncodeToString([]byte("bob:canary-pw"))
	r := e.run("pull --auth " + b64 + " busybox")
	want := "crictl: warning: --auth puts the credentials on the command line, where other users can read it (ps, /proc); use --username with --password-stdin, $CRICTL_AUTH or a docker config.json\n"
	if r.code != 0 || r.stderr != want {
		t.Errorf("--auth: exit %d stderr %q, want %q", r.code, r.stderr, want)
	}
	if a := pullRequest(t, e.srv).GetAuth(); a.GetAuth() != b64 {
		t.Errorf("AuthConfig %v", a)
	}
	e.vars[envAuth] = b64
	if r := e.run("pull busybox"); r.code != 0 || r.stderr != "" {
		t.Errorf("$CRICTL_AUTH: exit %d stderr %q, want no warning", r.code, r.stderr)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, "canary") || strings.Contains(out, b64) {
			t.Errorf("the secret reached the output: %q", out)
		}
	}
}
