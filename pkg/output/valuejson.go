package output

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendValue renders the generic values of a composite document (what
// Decode returns and cridoc builds: map[string]any, []any, string,
// json.Number, bool, nil, and finite float64, int and int64) byte for byte
// as encoding/json's Encoder does with SetEscapeHTML(false) and a
// two-space indent, without reflection. encoding/json sorts every map's keys
// through reflect and indents in a second pass: that was half of the
// rendering of `crictl inspect`, whose document is mostly the runtime's
// info (docs/benchmarks.md, "Start-up and page faults"). ok is false for
// any other type or a value encoding/json refuses (NaN, an invalid
// json.Number); the caller then uses encoding/json, which also gives its
// error. A test and a fuzz target compare the output with encoding/json's.
func appendValue(dst []byte, v any, indent string) (out []byte, ok bool) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case bool:
		return strconv.AppendBool(dst, v), true
	case string:
		return appendGoJSONString(dst, v), true
	case json.Number:
		s := string(v)
		if s == "" {
			s = "0"
		}
		if !validNumber(s) {
			return dst, false
		}
		return append(dst, s...), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return dst, false
		}
		return appendFloat(dst, v, 64), true
	case int:
		return strconv.AppendInt(dst, int64(v), 10), true
	case int64:
		return strconv.AppendInt(dst, v, 10), true
	case []any:
		if v == nil {
			return append(dst, "null"...), true
		}
		if len(v) == 0 {
			return append(dst, '[', ']'), true
		}
		inner := indent + "  "
		for i, el := range v {
			dst = appendItemStart(dst, '[', i, inner)
			if dst, ok = appendValue(dst, el, inner); !ok {
				return dst, false
			}
		}
		return appendClose(dst, indent, ']'), true
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), true
		}
		if len(v) == 0 {
			return append(dst, '{', '}'), true
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, strings.Compare)
		inner := indent + "  "
		for i, k := range keys {
			dst = appendItemStart(dst, '{', i, inner)
			dst = appendGoJSONString(dst, k)
			dst = append(dst, ':', ' ')
			if dst, ok = appendValue(dst, v[k], inner); !ok {
				return dst, false
			}
		}
		return appendClose(dst, indent, '}'), true
	}
	return dst, false
}

// appendItemStart starts item i of a non-empty list or object, for both
// encoders (appendValue and pbEncoder): the opening bracket before the
// first, a comma before the others, then a new line and the item's indent.
func appendItemStart(dst []byte, open byte, i int, inner string) []byte {
	if i == 0 {
		dst = append(dst, open)
	} else {
		dst = append(dst, ',')
	}
	dst = append(dst, '\n')
	return append(dst, inner...)
}

// appendClose ends a non-empty list or object on a line of its own.
func appendClose(dst []byte, indent string, c byte) []byte {
	dst = append(dst, '\n')
	dst = append(dst, indent...)
	return append(dst, c)
}

// appendGoJSONString quotes s as encoding/json does without HTML escaping:
// \" \\ \b \f \n \r \t, other controls as \u00xx, invalid UTF-8 as \ufffd,
// U+2028 and U+2029 escaped, everything else as it is.
func appendGoJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number (RFC 8259), the check
// encoding/json makes of a json.Number before writing it.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
