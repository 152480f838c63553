package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestSecretKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"DB_PASSWORD", "api-token", "X-Auth-Key", "tls_key_file", "AWS_SECRET_ACCESS_KEY", "Cookie", "session_id", "PGDSN", "client-cert", "privateKey", "credentials"} {
		if !SecretKey(k) {
			t.Errorf("SecretKey(%q) = false", k)
		}
	}
	for _, k := range []string{"PATH", "HOSTNAME", "io.kubernetes.pod.name", "privileged", "team", "image", "MODE"} {
		if SecretKey(k) {
			t.Errorf("SecretKey(%q) = true", k)
		}
	}
}

func marshal(t *testing.T, m proto.Message) string {
	t.Helper()
	b, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMessage(t *testing.T) {
	t.Parallel()
	r := New(Marker, true)
	req := &runtimeapi.PullImageRequest{
		Image: &runtimeapi.ImageSpec{Image: "reg/app:1"},
		Auth:  &runtimeapi.AuthConfig{Username: "bob", Password: "canary1", Auth: "canary2", IdentityToken: "canary3", RegistryToken: "canary4"},
		SandboxConfig: &runtimeapi.PodSandboxConfig{
			Annotations: map[string]string{"api-token": "canary5", "team": "web", "mirror": "https://u:canary9@mirror.example/v2"},
		},
	}
	ctr := &runtimeapi.CreateContainerRequest{Config: &runtimeapi.ContainerConfig{
		Envs: []*runtimeapi.KeyValue{{Key: "DB_PASSWORD", Value: []byte("canary6-secret")}, {Key: "MODE", Value: []byte("prod")}},
	}}
	resp := &runtimeapi.StatusResponse{Info: map[string]string{
		"config": `{"registry":{"configs":{"r":{"auth":{"username":"u","password":"canary7"}}},"headers":{"Authorization":["Bearer canary10"]}},` +
			`"env":["SECRET_KEY=canary8","PATH=/bin"],"limit":9223372036854775807,"tls_key_file":"","enable_auth":true}`,
		"golang": `"go1.20"`,
	}}
	out := marshal(t, r.Message(req)) + marshal(t, r.Message(ctr)) + marshal(t, r.Message(resp))
	if strings.Contains(out, "canary") {
		t.Errorf("a canary leaked: %s", out)
	}
	for _, keep := range []string{"bob", "reg/app:1", "web", "PATH=/bin", "MODE", "cHJvZA==", "9223372036854775807", `\"tls_key_file\":\"\"`, `\"enable_auth\":true`, "https://u:<redacted>@mirror.example/v2", `"golang":"\"go1.20\""`} {
		if !strings.Contains(out, keep) {
			t.Errorf("%q missing: %s", keep, out)
		}
	}
	if req.Auth.Password != "canary1" || string(ctr.Config.Envs[0].Value) != "canary6-secret" {
		t.Errorf("Message changed the original")
	}
	want := map[Rule]int{RuleCredential: 4, RuleKey: 3, RuleEnv: 2, RuleURL: 1}
	got := r.Counts()
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("count %s = %d, want %d (all: %v)", rule, got[rule], n, got)
		}
	}
	if r.Total() != 10 {
		t.Errorf("Total = %d, want 10", r.Total())
	}
	// What the rules replaced is learnt (6 bytes or more): a log line
	// printing it loses it.
	line := []byte("connecting with canary6-secret, header Bearer canary10, as bob\n")
	if got := string(r.Text(line)); got != "connecting with <redacted>, header <redacted>, as bob\n" {
		t.Errorf("Text = %q", got)
	}
	if r.Counts()[RuleLiteral] != 2 {
		t.Errorf("literal count = %d, want 2", r.Counts()[RuleLiteral])
	}
}

func TestDebugMarkerAndNoLearning(t *testing.T) {
	t.Parallel()
	r := New(Debug, false)
	m := r.Message(&runtimeapi.AuthConfig{Password: "hunter22"}).(*runtimeapi.AuthConfig)
	if m.Password != Debug {
		t.Errorf("password = %q, want %q", m.Password, Debug)
	}
	if got := string(r.Text([]byte("hunter22"))); got != "hunter22" {
		t.Errorf("a Redactor without learning replaced %q", got)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	r := New(Marker, false)
	dec := json.NewDecoder(strings.NewReader(`{
		"process": {"env": ["PATH=/bin", "API_KEY=k3y-value", "EMPTY_TOKEN=", "=x", "a b_TOKEN=1"]},
		"annotations": {"token": "t0ken", "auth": {"user": "u", "password": "p"}, "keys": [1, "two", {"name": "n"}], "cert": null},
		"mounts": [{"source": "/var/lib/kubelet"}],
		"url": "see http://alice:pa55@example.com:8080/x and ftp://anon@host/",
		"size": 12345678901234567890,
		"envs": [{"key": "DB_PASSWORD", "value": "pw-1234"}, {"name": "MODE", "value": "prod"}, {"name": "X_TOKEN", "value": ""}],
		"snapshotKey": "0123abcd"
	}`))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(r.JSON(v))
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{
		`"PATH=/bin"`, `"API_KEY=<redacted>"`, `"EMPTY_TOKEN="`, `"=x"`, `"a b_TOKEN=1"`,
		`"token":"<redacted>"`, `"user":"u"`, `"password":"<redacted>"`, `"keys":["<redacted>","<redacted>",{"name":"n"}]`, `"cert":null`,
		`"source":"/var/lib/kubelet"`, `http://alice:<redacted>@example.com:8080/x and ftp://anon@host/`, `"size":12345678901234567890`,
		`{"key":"DB_PASSWORD","value":"<redacted>"}`, `{"name":"MODE","value":"prod"}`, `{"name":"X_TOKEN","value":""}`, `"snapshotKey":"0123abcd"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	if r.Total() != 7 {
		t.Errorf("Total = %d, want 7 (%v)", r.Total(), r.Counts())
	}
}

func TestConfigSecrets(t *testing.T) {
	t.Parallel()
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret-pw"))
	cfg := `{"auths":{"reg.example":{"auth":"` + auth + `"},"other":{"username":"bob","password":"pw-canary","identitytoken":"id-canary"}},"credsStore":"desktop","HttpHeaders":{"X-Registry-Token":"hdr-canary"}}`
	got := ConfigSecrets([]byte(cfg))
	want := []string{auth, "alice:s3cret-pw", "s3cret-pw", "pw-canary", "id-canary", "hdr-canary"}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("ConfigSecrets misses %q: %q", w, got)
		}
	}
	for _, g := range got {
		if g == "bob" || g == "desktop" {
			t.Errorf("ConfigSecrets returned a non-secret %q", g)
		}
	}
	if ConfigSecrets([]byte("not json")) != nil {
		t.Errorf("non-JSON gave secrets")
	}
}

func TestSecretMinimumLength(t *testing.T) {
	t.Parallel()
	r := New(Marker, false)
	r.Secret("abc", "   ", Marker, "abcd")
	if got := string(r.Text([]byte("abc abcd"))); got != "abc <redacted>" {
		t.Errorf("Text = %q", got)
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	r := New(Marker, false)
	r.Secret("secret-one", "two2", "secret-one-longer")
	text := "a secret-one b two2 c secret-one-longer d secret-on e two\n" + strings.Repeat("x", 100) + "two2"
	want := string(r.Text([]byte(text)))
	if strings.Contains(want, "two2") || strings.Contains(want, "secret-one") {
		t.Fatalf("Text left a secret: %q", want)
	}
	for chunk := 1; chunk <= len(text); chunk++ {
		var buf bytes.Buffer
		w := r.Writer(&buf)
		for i := 0; i < len(text); i += chunk {
			if _, err := w.Write([]byte(text[i:min(i+chunk, len(text))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != want {
			t.Fatalf("chunks of %d: %q, want %q", chunk, buf.String(), want)
		}
	}
}

func TestWriterPassThrough(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := New(Marker, false).Writer(&buf)
	if _, err := w.Write([]byte("nothing known")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil || buf.String() != "nothing known" {
		t.Errorf("got %q, %v", buf.String(), err)
	}
}

func FuzzWriter(f *testing.F) {
	f.Add("pass-word and pass-word", "pass-word", 3)
	f.Add("aaaaab", "aab", 1)
	f.Fuzz(func(t *testing.T, text, secret string, chunk int) {
		if chunk <= 0 || chunk > 64 {
			chunk = 1 + (chunk&63+64)%64
		}
		r := New(Marker, false)
		r.Secret(secret, strings.ToUpper(secret))
		want := r.Text([]byte(text))
		var buf bytes.Buffer
		w := r.Writer(&buf)
		for i := 0; i < len(text); i += chunk {
			_, _ = w.Write([]byte(text[i:min(i+chunk, len(text))]))
		}
		_ = w.Close()
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("Writer %q != Text %q", buf.Bytes(), want)
		}
		// A secret with no angle bracket cannot straddle a marker.
		if len(strings.TrimSpace(secret)) >= MinSecret && !strings.ContainsAny(secret, "<>") && !strings.Contains(Marker, secret) && bytes.Contains(want, []byte(secret)) {
			t.Fatalf("secret %q left in %q", secret, want)
		}
	})
}

// Literal secrets are replaced in every string of a message, JSON in its
// info maps included, and JSON stays JSON; a short learnt value is not
// learnt.
func TestMessageLiterals(t *testing.T) {
	t.Parallel()
	r := New(Marker, true)
	r.Secret("from-config-json")
	r.Message(&runtimeapi.PodSandboxConfig{Annotations: map[string]string{"use-token": "true"}})
	m := r.Message(&runtimeapi.ContainerStatusResponse{
		Status: &runtimeapi.ContainerStatus{Id: "id", Labels: map[string]string{"l": "x from-config-json y", "b": "true"}},
		Info:   map[string]string{"info": `{"args":["login","from-config-json"],"privileged":true,"n":1}`},
	}).(*runtimeapi.ContainerStatusResponse)
	if m.Status.Labels["l"] != "x <redacted> y" || m.Status.Labels["b"] != "true" {
		t.Errorf("labels: %v", m.Status.Labels)
	}
	if want := `{"args":["login","<redacted>"],"n":1,"privileged":true}`; m.Info["info"] != want {
		t.Errorf("info: %s, want %s", m.Info["info"], want)
	}
	v := r.JSON(map[string]any{"a": []any{"from-config-json!"}, "b": true})
	if b, _ := Marshal(v); string(b) != `{"a":["<redacted>!"],"b":true}` {
		t.Errorf("JSON: %s", b)
	}
}

func TestForkMerge(t *testing.T) {
	t.Parallel()
	r := New(Marker, true)
	f := r.Fork()
	f.Message(&runtimeapi.AuthConfig{Password: "fork-secret"})
	if r.Total() != 0 {
		t.Errorf("a fork counted into its parent before Merge")
	}
	r.Merge(f)
	if r.Counts()[RuleCredential] != 1 || string(r.Text([]byte("x fork-secret"))) != "x <redacted>" {
		t.Errorf("after Merge: %v", r.Counts())
	}
}

func TestLearnable(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{"hunter2": true, "s3cr3t": true, "true": false, "12345678": false, "/etc/ssl/key.pem": false, "Enabled": false, "abc": false} {
		if learnable(v) != want {
			t.Errorf("learnable(%q) = %v", v, !want)
		}
	}
}

// FuzzSecretKey checks the hand-written matcher against the rule as a
// regular expression.
func FuzzSecretKey(f *testing.F) {
	re := regexp.MustCompile(`(?i)(pass|secret|token|key|auth|cred|cert|private|session|cookie|dsn)`)
	for _, s := range []string{"DB_PASSWORD", "PATH", "snapshotKey", "Ke", "kEy", "x-AUTH", "\xffkey", "ſecret"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		want := re.MatchString(k) && !notSecret[strings.ToLower(k)]
		// (?i) folds the Kelvin sign and long s into k and s; names with
		// them are no concern, the matcher is ASCII.
		if strings.ContainsAny(k, "\u212a\u017f") {
			return
		}
		if got := SecretKey(k); got != want {
			t.Fatalf("SecretKey(%q) = %v, the rule says %v", k, got, want)
		}
	})
}
