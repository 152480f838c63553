package imageref

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"busybox":                          "docker.io/library/busybox:latest",
		"busybox:1.36":                     "docker.io/library/busybox:1.36",
		"library/busybox":                  "docker.io/library/busybox:latest",
		"index.docker.io/library/busybox":  "docker.io/library/busybox:latest",
		"index.docker.io/org/app:1":        "docker.io/org/app:1",
		"org/app":                          "docker.io/org/app:latest",
		"localhost/app":                    "localhost/app:latest",
		"localhost:5000/app:v1":            "localhost:5000/app:v1",
		"MYHOST/app":                       "MYHOST/app:latest",
		"reg.example.com/a/b@sha256:d1":    "reg.example.com/a/b@sha256:d1",
		"busybox:1.36@sha256:d1":           "docker.io/library/busybox:1.36@sha256:d1",
		"docker.io/library/busybox:latest": "docker.io/library/busybox:latest",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	// Valid references normalize as Parse names them.
	for _, s := range []string{"busybox:1.36", "index.docker.io/x/y:2", "reg.example.com:5000/a/b:c"} {
		ref, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := Normalize(s); got != ref.String() {
			t.Errorf("Normalize(%q) = %q, Parse gives %q", s, got, ref)
		}
	}
}

func TestSplitRepoTagAndHasTag(t *testing.T) {
	for in, want := range map[string][2]string{
		"busybox:1.36":         {"busybox", "1.36"},
		"localhost:5000/app":   {"localhost:5000/app", ""},
		"localhost:5000/app:1": {"localhost:5000/app", "1"},
		"app":                  {"app", ""},
	} {
		if r, tag := SplitRepoTag(in); r != want[0] || tag != want[1] {
			t.Errorf("SplitRepoTag(%q) = %q, %q", in, r, tag)
		}
	}
	if HasTag("localhost:5000/app") || !HasTag("app:1") || !HasTag("app@sha256:x") {
		t.Error("HasTag")
	}
}
