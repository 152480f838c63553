package output

import (
	"strings"
	"testing"
)

func TestTemplateIndex(t *testing.T) {
	t.Parallel()
	data := map[string]any{
		"m":    map[string]any{"a": "x", "n": map[string]any{"b": "y"}},
		"l":    []any{"zero", "one"},
		"s":    "str",
		"null": nil,
		"num":  float64(3),
	}
	for _, c := range []struct{ tmpl, want, err string }{
		{`{{index .m "a"}}`, "x", ""},
		{`{{index .m "n" "b"}}`, "y", ""},
		{`{{index .l 1}}`, "one", ""},
		{`{{index .s 0}}`, "115", ""},
		{`{{index .m}}`, "map[a:x n:map[b:y]]", ""},
		{`{{index .m "nosuch"}}`, "", `map has no key "nosuch"`},
		{`{{index .m "n" "nosuch"}}`, "", `map has no key "nosuch"`},
		{`{{index .l 2}}`, "", "index 2 out of range (length 2)"},
		{`{{index .l -1}}`, "", "out of range"},
		{`{{index .l "x"}}`, "", "not an integer index"},
		{`{{index .null "a"}}`, "", "index of a nil value"},
		{`{{index .num 0}}`, "", "cannot index a value of type float64"},
	} {
		tm, err := ParseTemplate(c.tmpl)
		if err != nil {
			t.Fatalf("%s: %v", c.tmpl, err)
		}
		var b strings.Builder
		err = tm.Execute(&b, data)
		switch {
		case c.err == "" && (err != nil || b.String() != c.want):
			t.Errorf("%s: %q, %v; want %q", c.tmpl, b.String(), err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %q, %v; want an error with %q", c.tmpl, b.String(), err, c.err)
		}
	}
}
