package selector

import (
	"maps"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

type labels = map[string]string

func TestMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sel      string
		str      string // String() of the parsed selector
		match    []labels
		notMatch []labels
	}{
		{"", "", []labels{nil, {}, {"a": "b"}}, nil},
		{"   \t ", "", []labels{nil, {"a": "b"}}, nil},
		{"app=nginx", "app=nginx",
			[]labels{{"app": "nginx"}, {"app": "nginx", "tier": "fe"}},
			[]labels{nil, {"app": "redis"}, {"App": "nginx"}, {"tier": "nginx"}}},
		{"app==nginx", "app==nginx", []labels{{"app": "nginx"}}, []labels{{"app": "x"}, {}}},
		{"app!=nginx", "app!=nginx", []labels{{}, {"app": "redis"}, {"other": "nginx"}}, []labels{{"app": "nginx"}}},
		{"app=", "app=", []labels{{"app": ""}}, []labels{{}, {"app": "x"}}},
		{"app!=", "app!=", []labels{{}, {"app": "x"}}, []labels{{"app": ""}}},
		{"app", "app", []labels{{"app": ""}, {"app": "x"}}, []labels{{}, {"apps": "x"}}},
		{"!app", "!app", []labels{{}, {"apps": "x"}}, []labels{{"app": ""}}},
		{"tier in (fe, be)", "tier in (fe,be)", []labels{{"tier": "fe"}, {"tier": "be"}}, []labels{{}, {"tier": "db"}}},
		{"tier notin (fe,be)", "tier notin (fe,be)", []labels{{}, {"tier": "db"}}, []labels{{"tier": "fe"}, {"tier": "be"}}},
		{"tier in ()", "tier in ()", []labels{{"tier": ""}}, []labels{{}, {"tier": "x"}}},
		{"tier in (a,)", "tier in (a,)", []labels{{"tier": ""}, {"tier": "a"}}, []labels{{"tier": "b"}}},
		{"x in (in,notin)", "x in (in,notin)", []labels{{"x": "in"}, {"x": "notin"}}, []labels{{"x": "y"}}},
		{"x=in", "x=in", []labels{{"x": "in"}}, nil},
		{"replicas>2", "replicas>2", []labels{{"replicas": "3"}, {"replicas": "10"}},
			[]labels{{}, {"replicas": "2"}, {"replicas": "1"}, {"replicas": "three"}, {"replicas": "3.5"}}},
		{"replicas<2", "replicas<2", []labels{{"replicas": "1"}, {"replicas": "-4"}}, []labels{{}, {"replicas": "2"}, {"replicas": "x"}}},
		{"n>-1", "n>-1", []labels{{"n": "0"}}, []labels{{"n": "-1"}}},
		{"n>007", "n>7", []labels{{"n": "8"}}, []labels{{"n": "7"}}},
		{
			"io.kubernetes.pod.namespace=kube-system, app.kubernetes.io/name in (coredns,kube-dns),!canary,tier",
			"io.kubernetes.pod.namespace=kube-system,app.kubernetes.io/name in (coredns,kube-dns),!canary,tier",
			[]labels{{"io.kubernetes.pod.namespace": "kube-system", "app.kubernetes.io/name": "coredns", "tier": "x"}},
			[]labels{
				{"io.kubernetes.pod.namespace": "default", "app.kubernetes.io/name": "coredns", "tier": "x"},
				{"io.kubernetes.pod.namespace": "kube-system", "app.kubernetes.io/name": "coredns", "tier": "x", "canary": "1"},
				{"io.kubernetes.pod.namespace": "kube-system", "app.kubernetes.io/name": "coredns"},
			},
		},
		{" a = b , c != d ,e in(f) ,g notin ( h ) ", "a=b,c!=d,e in (f),g notin (h)",
			[]labels{{"a": "b", "e": "f"}}, []labels{{"a": "b", "c": "d", "e": "f"}}},
		{"a=b\n,\tc", "a=b,c", []labels{{"a": "b", "c": ""}}, []labels{{"a": "b"}}},
		{"a=1,a=2", "a=1,a=2", nil, []labels{{"a": "1"}, {"a": "2"}}},
		{"A_b.C-9=X.y_Z-0", "A_b.C-9=X.y_Z-0", []labels{{"A_b.C-9": "X.y_Z-0"}}, nil},
	}
	for _, tt := range tests {
		sel, err := Parse(tt.sel)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.sel, err)
			continue
		}
		if got := sel.String(); got != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.sel, got, tt.str)
		}
		if sel.Empty() != (tt.str == "") {
			t.Errorf("Parse(%q).Empty() = %v", tt.sel, sel.Empty())
		}
		for _, l := range tt.match {
			if !sel.Matches(l) {
				t.Errorf("%q does not match %v", tt.sel, l)
			}
		}
		for _, l := range tt.notMatch {
			if sel.Matches(l) {
				t.Errorf("%q matches %v", tt.sel, l)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	tests := []struct{ sel, want string }{
		{"app in (a", `missing ")"`},
		{"app in (a,", `missing ")"`},
		{"app in a", `expected "(" after "app in", found "a"`},
		{"app in", `expected "(" after "app in", found end of selector`},
		{"app in (a b)", `expected "," or ")" in the list for "app", found "b"`},
		{"app in (a,=)", `expected a value in the list for "app", found "="`},
		{"a=b c", `unexpected "c" after "a=b" (requirements are separated by ",")`},
		{"a in (b) c", `unexpected "c" after "a in (b)" (requirements are separated by ",")`},
		{"a=b)", `unexpected ")" after "a=b" (requirements are separated by ",")`},
		{"a=b,", `trailing ","`},
		{",a=b", `expected a key or "!", found ","`},
		{"a=b,,c", `expected a key or "!", found ","`},
		{"=b", `expected a key or "!", found "="`},
		{"in", `expected a key or "!", found "in"`},
		{"a b", `unexpected "b" after key "a" (expected =, ==, !=, in, notin, >, < or ",")`},
		{"a (b)", `unexpected "(" after key "a" (expected =, ==, !=, in, notin, >, < or ",")`},
		{"a=(b)", `expected a value after "a=", found "("`},
		{"a!=!b", `expected a value after "a!=", found "!"`},
		{"!", `"!" must be followed by a key, found end of selector`},
		{"!=a", `expected a key or "!", found "!="`},
		{"!a=b", `unexpected "=" after "!a" ("!key" takes no operator)`},
		{"a>b", `value "b" after "a>" is not an integer`},
		{"a<1.5", `value "1.5" after "a<" is not an integer`},
		{"a>", `expected an integer after "a>", found end of selector`},
		{"a>99999999999999999999", `value "99999999999999999999" after "a>" is not an integer`},
		{"a=b=c", `unexpected "=" after "a=b" (requirements are separated by ",")`},
		{"a===b", `expected a value after "a==", found "="`},
		{"a~b", `invalid key "a~b": name must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"-a", `invalid key "-a": name must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"a/b/c", `invalid key "a/b/c": at most one "/" is allowed`},
		{"/a", `invalid key "/a": empty prefix before "/"`},
		{"a/", `invalid key "a/": empty name`},
		{"Example.com/a", `invalid key "Example.com/a": prefix must be a lowercase DNS subdomain such as example.com`},
		{"example..com/a", `invalid key "example..com/a": prefix must be a lowercase DNS subdomain such as example.com`},
		{"-x.com/a", `invalid key "-x.com/a": prefix must be a lowercase DNS subdomain such as example.com`},
		{strings.Repeat("a.", 127) + "a/b", `invalid key "` + strings.Repeat("a.", 127) + `a/b": prefix is longer than 253 characters`},
		{long, `invalid key "` + long + `": name is longer than 63 characters`},
		{"a=" + long, `invalid value "` + long + `" for "a": longer than 63 characters`},
		{"a=-b", `invalid value "-b" for "a": must be empty or letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"a in (b,c_)", `invalid value "c_" for "a": must be empty or letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"a=b/c", `invalid value "b/c" for "a": must be empty or letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"a=\x1b[2J", `invalid value "\x1b[2J" for "a": must be empty or letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
		{"é=b", `invalid key "é": name must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.sel)
		want := "invalid selector " + strconv.Quote(tt.sel) + ": " + tt.want
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) error\n got %v\nwant %s", tt.sel, err, want)
		}
		if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("Parse(%q) error spans lines: %q", tt.sel, err)
		}
	}
	// 63 characters are allowed; 253 in the prefix are allowed.
	if _, err := Parse(long[1:] + "=" + long[1:]); err != nil {
		t.Errorf("63-character key and value: %v", err)
	}
	if _, err := Parse(strings.Repeat("a.", 126) + "a/b"); err != nil {
		t.Errorf("251-character prefix: %v", err)
	}
}

func TestEqualities(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sel  string
		want map[string]string
	}{
		{"", nil},
		{"a!=b,c,!d,e notin (f),g>1,h<2,i in (j,k)", nil},
		{"a=b", map[string]string{"a": "b"}},
		{"a==b,c=", map[string]string{"a": "b", "c": ""}},
		{"a=b,c!=d,e in (f),g in (h,i)", map[string]string{"a": "b", "e": "f"}},
		{"a=1,a=2", map[string]string{"a": "1"}},
		{"io.kubernetes.pod.namespace=default,app", map[string]string{"io.kubernetes.pod.namespace": "default"}},
	}
	for _, tt := range tests {
		sel, err := Parse(tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		got := sel.Equalities()
		if !maps.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("Parse(%q).Equalities() = %v, want %v", tt.sel, got, tt.want)
		}
		// Anything the selector matches must pass the CRI's exact-match
		// filter built from the equalities.
		for _, l := range []labels{tt.want, {"a": "b", "e": "f", "c": ""}} {
			if sel.Matches(l) {
				for k, v := range got {
					if lv, ok := l[k]; !ok || lv != v {
						t.Errorf("%q matches %v but the equality %s=%s does not", tt.sel, l, k, v)
					}
				}
			}
		}
	}
}

func TestZeroValue(t *testing.T) {
	t.Parallel()
	var sel Selector
	if !sel.Empty() || sel.String() != "" || !sel.Matches(nil) || sel.Equalities() != nil {
		t.Errorf("zero Selector: Empty=%v String=%q Matches(nil)=%v Equalities=%v",
			sel.Empty(), sel.String(), sel.Matches(nil), sel.Equalities())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "a=b", "a==b,c!=d", "a in (b,c),d notin (e)", "a,!b", "a>1,b<-2", "x in (),y in (a,,b)",
		"app.kubernetes.io/name=nginx", "app in (a", "a=b c", "!a=b", " a = b ", "a=in,in=a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := Parse(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		str := sel.String()
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, str, err)
		}
		if !reflect.DeepEqual(sel, again) {
			t.Fatalf("round trip of %q through %q changed the selector: %#v vs %#v", s, str, sel, again)
		}
		if again.String() != str {
			t.Fatalf("String() not stable: %q then %q", str, again.String())
		}
		l := labels{}
		for _, r := range sel.reqs {
			l[r.key] = strings.Join(r.values, "")
		}
		_ = sel.Matches(l)
		if eq := sel.Equalities(); sel.Matches(l) {
			for k, v := range eq {
				if l[k] != v {
					t.Fatalf("%q matches %v but not its equality %s=%s", s, l, k, v)
				}
			}
		}
	})
}
