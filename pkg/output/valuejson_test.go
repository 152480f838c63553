package output

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// encodingJSON is what appendValue must match: encoding/json's Encoder as
// MarshalJSON used it for every generic value before.
func encodingJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.String(), err
}

// checkValue compares appendValue with encoding/json. A value appendValue
// gives up on must be one encoding/json refuses too, unless it holds types
// appendValue leaves to encoding/json (other), and MarshalJSON must then
// write what encoding/json writes.
func checkValue(t *testing.T, v any, other bool) {
	t.Helper()
	want, werr := encodingJSON(v)
	got, ok := appendValue(nil, v, "")
	if !ok {
		if werr == nil && !other {
			t.Errorf("%#v: appendValue gave up, encoding/json wrote %q", v, want)
		}
		doc, err := MarshalJSON(v)
		if (err != nil) != (werr != nil) || err == nil && string(doc) != want {
			t.Errorf("%#v: MarshalJSON wrote %q (%v), encoding/json %q (%v)", v, doc, err, want, werr)
		}
		return
	}
	if werr != nil {
		t.Errorf("%#v: appendValue wrote %q, encoding/json failed: %v", v, got, werr)
		return
	}
	if string(got)+"\n" != want {
		t.Errorf("%#v:\n got %q\nwant %q", v, got, want)
	}
}

func TestAppendValueMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, false, "", "plain", `quote " backslash \ slash /`, "<b>&amp;</b>",
		"\x00\x01\x1f\b\f\n\r\t\x7f", "bad \xff utf8 \xc3", "sep \u2028 \u2029 é 日本 🙂",
		json.Number("0"), json.Number("-12.5e+3"), json.Number(""), json.Number("1."), json.Number("01"), json.Number("NaN"),
		0.0, 1.5, -2.0, 1e-7, 1e21, 123456789.125, math.NaN(), math.Inf(1), math.MaxFloat64, 5e-324,
		0, -7, int64(math.MinInt64),
		[]any{}, []any(nil), map[string]any{}, map[string]any(nil),
		[]any{1, "a", []any{}, map[string]any{}, nil},
		map[string]any{"b": 1, "a": []any{map[string]any{"z": true, "": "empty key", "\xff": "bad key"}}, "B": nil},
		[]any{math.NaN()},
	} {
		checkValue(t, v, false)
	}
	for _, v := range []any{
		map[string]any{"struct": struct{ A int }{1}},
		map[string]any{"strings": []string{"a"}, "a": "first"},
		[]any{uint8(1)},
	} {
		checkValue(t, v, true)
	}
}

// Random documents shaped like inspect's: nested maps and lists of every
// supported scalar, the strings from a set with escapes and non-ASCII.
func TestAppendValueRandomDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"id", "state", "CONTAINER_RUNNING", "a\"b", "tab\there", "ünï", "\u2028", "x\x00y", "\xfe", ""}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch k := r.IntN(9); {
		case depth > 4 || k == 0:
			return words[r.IntN(len(words))]
		case k == 1:
			return json.Number([]string{"0", "-1", "3.25", "1e400", "17"}[r.IntN(5)])
		case k == 2:
			return r.IntN(2) == 0
		case k == 3:
			return nil
		case k == 4:
			return r.NormFloat64() * math.Pow(10, float64(r.IntN(50)-25))
		case k < 7:
			l := make([]any, r.IntN(4))
			for i := range l {
				l[i] = gen(depth + 1)
			}
			return l
		default:
			m := map[string]any{}
			for range r.IntN(5) {
				m[words[r.IntN(len(words))]+strings.Repeat("k", r.IntN(3))] = gen(depth + 1)
			}
			return m
		}
	}
	for range 2000 {
		checkValue(t, gen(0), false)
	}
}

func FuzzAppendValue(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"x\u2028",{"b":null,"c":true}],"":{}}`), "k\xff")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, doc []byte, s string) {
		checkValue(t, map[string]any{s: s, "list": []any{s}}, false)
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			checkValue(t, v, false)
		}
	})
}

// BenchmarkInspectDocument renders a real `crictl inspect` document
// (containerd 1.6, its info with the OCI spec) both ways.
func BenchmarkInspectDocument(b *testing.B) {
	raw, err := os.ReadFile("testdata/inspect-containerd.json")
	if err != nil {
		b.Fatal(err)
	}
	doc, err := Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	if got, ok := appendValue(nil, doc, ""); !ok || string(got)+"\n" != string(raw) {
		b.Fatal("appendValue does not give the document back")
	}
	b.Run("appendValue", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			appendValue(nil, doc, "")
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodingJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
