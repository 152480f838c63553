package bundle

import (
	"path"
	"strings"
	"testing"
	"time"
)

func TestComponent(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"web-5wpwzq2zt6-rg7jx": "web-5wpwzq2zt6-rg7jx",
		"../../etc/passwd":     ".._.._etc_passwd",
		"..":                   "_..",
		".":                    "_.",
		"":                     "_",
		"a\nb\x00c":            "a_b_c",
		"kube-system":          "kube-system",
		"café":                 "caf__",
	} {
		if got := component(in); got != want {
			t.Errorf("component(%q) = %q, want %q", in, got, want)
		}
	}
	if got := component(strings.Repeat("x", 300)); len(got) != maxComponent {
		t.Errorf("a long name: %d bytes", len(got))
	}
}

func TestUnique(t *testing.T) {
	t.Parallel()
	got := unique([]string{"a", "a", "b", "a/", "a_"}, []string{"id1aaaaaaaaaaaa", "id2bbbbbbbbbbbb", "id3", "id4", "id5"})
	want := []string{"a", "a_id2bbbbbbbbb", "b", "a_", "a__id5"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("unique = %q, want %q", got, want)
	}
	// IDs sharing their first 12 characters still give distinct names.
	got = unique([]string{"x", "x", "x"}, []string{"sameprefix0001", "sameprefix0002", "sameprefix0003"})
	if got[0] == got[1] || got[1] == got[2] || got[0] == got[2] {
		t.Errorf("unique = %q", got)
	}
}

func TestValidMember(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"summary.txt", "pods/ns/pod/ctr/current.log", "_../x"} {
		if !validMember(ok) {
			t.Errorf("validMember(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../b", "a//b", "a/./b", "a/", ".", "a\x00b"} {
		if validMember(bad) {
			t.Errorf("validMember(%q) = true", bad)
		}
	}
}

// FuzzArchivePath (matrix case 50): whatever the runtime calls a pod or
// container, its member path is clean, relative and under pods/.
func FuzzArchivePath(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", "..", "a\nb", "\x00", strings.Repeat("é", 200), "a/b/c", " ", "-"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, ns, name string) {
		c := component(name)
		if c == "" || c == "." || c == ".." || strings.ContainsAny(c, "/\x00\n") || len(c) > maxComponent {
			t.Fatalf("component(%q) = %q", name, c)
		}
		names := unique([]string{name, name, ns}, []string{"1", "2", "3"})
		seen := map[string]bool{}
		for _, n := range names {
			p := path.Join("pods", component(ns), n, "current.log")
			if !validMember(p) || !strings.HasPrefix(p, "pods/") || strings.Count(p, "/") != 3 {
				t.Fatalf("member %q from %q, %q", p, ns, name)
			}
			seen[n] = true
		}
		if len(seen) != 3 && component(ns) != component(name) {
			t.Fatalf("unique(%q, %q) = %q", name, ns, names)
		}
	})
}

func TestDefaultName(t *testing.T) {
	t.Parallel()
	if got := DefaultName("node/../a b", time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))); got != "crictl-bundle-node_.._a_b-20260304-040607.tar.gz" {
		t.Errorf("DefaultName = %q", got)
	}
}
