package imageref

import (
	_ "crypto/sha512" // makes sha384 and sha512 digests available to go-digest, as in containerd
	"strings"
	"testing"

	"github.com/distribution/reference"
)

var sha = strings.Repeat("ab", 32)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                        "docker.io/library/busybox",
		"busybox:1.36":                   "docker.io/library/busybox:1.36",
		"library/busybox":                "docker.io/library/busybox",
		"org/app:v1":                     "docker.io/org/app:v1",
		"index.docker.io/org/app":        "docker.io/org/app",
		"docker.io/busybox":              "docker.io/library/busybox",
		"localhost/app":                  "localhost/app",
		"localhost:5000/a/b/c:t":         "localhost:5000/a/b/c:t",
		"127.0.0.1:5000/lab/busybox:1.0": "127.0.0.1:5000/lab/busybox:1.0",
		"[::1]:5000/app":                 "[::1]:5000/app",
		"registry.k8s.io/pause:3.9":      "registry.k8s.io/pause:3.9",
		"busybox@sha256:" + sha:          "docker.io/library/busybox@sha256:" + sha,
		"busybox:1.36@sha256:" + sha:     "docker.io/library/busybox:1.36@sha256:" + sha,
		"my-org/my__app.x--y:Tag_1.0-rc": "docker.io/my-org/my__app.x--y:Tag_1.0-rc",
		"Registry.Example.com/app":       "Registry.Example.com/app",
	} {
		r, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if r.String() != want {
			t.Errorf("Parse(%q) = %q, want %q", in, r.String(), want)
		}
	}
	if r, _ := Parse("busybox"); r.Registry() != "docker.io" || r.Path != "library/busybox" {
		t.Errorf("busybox: %+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                                       "empty",
		"Busybox":                                "must be lowercase",
		"UPPER/Case:tag":                         "must be lowercase",
		"busybox:":                               `tag ""`,
		"busybox:-x":                             `tag "-x"`,
		"busybox:" + strings.Repeat("a", 129):    "tag",
		"a b":                                    "space",
		"busybox\x1b[31m":                        "control",
		"busybox@sha256:abc":                     "digest",
		"busybox@sha256:" + strings.ToUpper(sha): "lowercase",
		"busybox@md5:" + sha:                     "not supported",
		"busybox@sha256:" + sha + "00":           "needs 64 hex digits",
		":::":                                    "invalid reference format",
		sha:                                      "image ID",
		"user:hunter2@registry.example.com/app":  "USER:PASSWORD",
		"a..b/c":                                 "not a valid repository name",
		"-a/b":                                   "not a valid repository name",
		"a/" + strings.Repeat("b", 300):          "255",
	} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded", in)
			continue
		}
		if !strings.HasPrefix(err.Error(), "invalid reference format: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("a password reached the error: %v", err)
		}
		if !IsInvalid(err) {
			t.Errorf("IsInvalid(%v) = false", err)
		}
	}
}

// FuzzParse checks the hand-written grammar against distribution's
// regular expressions: the same strings are accepted, with the same
// normalized form.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"busybox", "a/b:c", "localhost:5000/x@sha256:" + sha, "A.b/c", "a.b_c/d", "[::1]/x", "x@sha512:" + sha + sha, "x:y@sha384:" + sha + sha[:32], "Foo/bar", "a:5/c", "a__b-c", "x@a+b.c:" + sha, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours, err := Parse(s)
		theirs, terr := reference.ParseNormalizedNamed(s)
		if (err == nil) != (terr == nil) {
			t.Fatalf("Parse(%q): ours %v, distribution %v", s, err, terr)
		}
		if err != nil {
			if !IsInvalid(err) || !strings.HasPrefix(err.Error(), "invalid reference format: ") {
				t.Fatalf("Parse(%q): error %v", s, err)
			}
			return
		}
		if ours.String() != theirs.String() {
			t.Fatalf("Parse(%q) = %q, distribution %q", s, ours.String(), theirs.String())
		}
	})
}
