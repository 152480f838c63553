package output

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain-name_1.2", "plain-name_1.2"},
		{"日本語", "日本語"},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"\x1b]0;title\x07", `^[]0;title\x07`},
		{"\x1b[2J", `^[[2J`},
		{"back\bspace\x7f", `back\x08space\x7f`},
		{"csi\u009b31m", `csi\u009b31m`},
		{"rtl\u202egnp.exe", `rtl\u202egnp.exe`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"ls\u2028x", `ls\u2028x`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := EscapeText("line1\n\tline2\x1b[31m\n"); got != "line1\n\tline2^[[31m\n" {
		t.Errorf("EscapeText = %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b[31m", "\u009b", "\u202e", "\xff\xfe", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
		if Escape(out) != out {
			t.Fatalf("Escape is not idempotent on %q", s)
		}
		text := EscapeText(s)
		for _, r := range text {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Fatalf("EscapeText(%q) keeps %U", s, r)
			}
		}
	})
}

func TestTable(t *testing.T) {
	t.Parallel()
	tb := NewTable("NAME", "VALUE", "LAST")
	tb.Row("a", "1", "")
	tb.Row("longer-name", "日本", "x")
	tb.Row("evil\nrow", "v\tx", "")
	var b bytes.Buffer
	if err := tb.Write(&b, false); err != nil {
		t.Fatal(err)
	}
	want := "NAME          VALUE   LAST\n" +
		"a             1\n" +
		"longer-name   日本    x\n" +
		"evil\\nrow     v\\tx\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	tb.Write(&b, true)
	if strings.HasPrefix(b.String(), "NAME") {
		t.Errorf("noHeaders printed the header")
	}
}

func TestJSONDeterministic(t *testing.T) {
	t.Parallel()
	msg := &runtimeapi.ListPodSandboxResponse{Items: []*runtimeapi.PodSandbox{{
		Id: "abc", Labels: map[string]string{"b": "2", "a": "1", "c": "3"}, CreatedAt: 1700000000123456789,
	}}}
	first, err := MarshalJSON(msg)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := MarshalJSON(msg)
		if !bytes.Equal(first, again) {
			t.Fatalf("JSON differs between runs:\n%s\n%s", first, again)
		}
	}
	for _, want := range []string{`"createdAt": "1700000000123456789"`, `"state": "SANDBOX_READY"`, "\"a\": \"1\",\n        \"b\""} {
		if !strings.Contains(string(first), want) {
			t.Errorf("JSON lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(string(first), ":  ") {
		t.Errorf("protojson's random double space survived:\n%s", first)
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	f, tmpl, err := ParseFormat("go-template={{.id}}", JSON, JSON, GoTemplate)
	if err != nil || f != GoTemplate || tmpl != "{{.id}}" {
		t.Errorf("go-template=: %v %q %v", f, tmpl, err)
	}
	if f, _, _ := ParseFormat("", JSON, JSON, YAML); f != JSON {
		t.Errorf("default: %v", f)
	}
	if _, _, err := ParseFormat("wide", JSON, JSON, YAML); err == nil || !strings.Contains(err.Error(), "json, yaml") {
		t.Errorf("unsupported: %v", err)
	}
}

func TestDocumentTemplate(t *testing.T) {
	t.Parallel()
	tmpl, err := ParseTemplate(`{{.id}} {{upper .name}} {{json .labels}}`)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Document(&b, GoTemplate, tmpl, map[string]any{"id": "x", "name": "n", "labels": map[string]string{"k": "v"}}, false); err != nil {
		t.Fatal(err)
	}
	if b.String() != "x N {\"k\":\"v\"}\n" {
		t.Errorf("template: %q", b.String())
	}
	tmpl, _ = ParseTemplate(`{{.missing}}`)
	if err := Document(&b, GoTemplate, tmpl, map[string]any{}, false); err == nil {
		t.Errorf("a missing key did not fail")
	}
}

func TestHuman(t *testing.T) {
	t.Parallel()
	if got := Size(1028383); got != "1.03MB" {
		t.Errorf("Size = %q", got)
	}
	if got := TruncateID("sha256:0123456789abcdef", "sha256:", false); got != "0123456789abc" {
		t.Errorf("TruncateID = %q", got)
	}
}

func TestIDColumnWidensOnCollision(t *testing.T) {
	t.Parallel()
	a := "abcd000000000" + "0000000000000000000000000000000000000000000000000000a"
	b := "abcd000000000" + "0000000000000000000000000000000000000000000000000000b"
	col := NewIDColumn([]string{a, b, "ffff"}, "", false)
	if col.Format(a) == col.Format(b) || col.Format(a) != a {
		t.Errorf("colliding IDs not widened: %q %q", col.Format(a), col.Format(b))
	}
	col = NewIDColumn([]string{"0123456789abcdef", "1123456789abcdef"}, "", false)
	if got := col.Format("0123456789abcdef"); got != "0123456789abc" {
		t.Errorf("distinct IDs: %q, want 13 characters", got)
	}
	if got := NewIDColumn([]string{a}, "", true).Format(a); got != a {
		t.Errorf("noTrunc: %q", got)
	}
}

func TestWidth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		want int
	}{{"abc", 3}, {"日本語", 6}, {"ｈｅｌｌｏ", 10}, {"e\u0301", 1}, {"café", 4}, {"한국", 4}} {
		if got := width(tc.s); got != tc.want {
			t.Errorf("width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// Documents built from maps read as protojson's do: no \u003c for <.
func TestJSONNoHTMLEscape(t *testing.T) {
	t.Parallel()
	got, err := MarshalJSON(map[string]any{"v": "<redacted> & more"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"v\": \"<redacted> & more\"\n}\n"; string(got) != want {
		t.Errorf("MarshalJSON = %q, want %q", got, want)
	}
}

func TestEscapeWriter(t *testing.T) {
	var b strings.Builder
	w := &EscapeWriter{W: &b}
	// CR, CRLF and an escape sequence shown; newlines and tabs kept; a
	// UTF-8 character split across writes kept whole.
	euro := []byte("€")
	for _, p := range [][]byte{[]byte("a\tb\r\n"), []byte("x\x1b[31mred\n"), append([]byte("p"), euro[:1]...), euro[1:2], append(euro[2:], '\n')} {
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), Escape("a")+"\tb"+Escape("\r")+"\nx"+Escape("\x1b")+"[31mred\np€\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A sequence left incomplete is escaped at Close.
	b.Reset()
	w = &EscapeWriter{W: &b}
	w.Write(euro[:2])
	w.Close()
	if b.String() != EscapeText(string(euro[:2])) {
		t.Errorf("incomplete tail: %q", b.String())
	}
}
