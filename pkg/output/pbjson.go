package output

import (
	"encoding/base64"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// appendMessage renders a CRI message as protojson does with
// EmitDefaultValues and a two-space indent (every field in declaration
// order, zero scalars and empty lists and maps included, unset messages
// left out, enums by name, 64-bit integers as strings, map keys sorted),
// in one pass and several times faster: protojson took 7 ms of a 500-pod
// `ps -a -o json`. ok is false for a message this encoder does not cover
// (google.protobuf types, oneofs); the caller then uses protojson. A test checks the output against protojson for every
// message of the CRI API.
func appendMessage(dst []byte, m protoreflect.Message, indent string) (out []byte, ok bool) {
	if !supported(m.Descriptor()) {
		return dst, false
	}
	e := pbEncoder{out: dst}
	if !e.message(m, indent) {
		return dst, false
	}
	return e.out, true
}

var supportCache sync.Map // protoreflect.FullName → bool

func supported(md protoreflect.MessageDescriptor) bool {
	if v, ok := supportCache.Load(md.FullName()); ok {
		return v.(bool)
	}
	ok := checkSupported(md, map[protoreflect.FullName]bool{})
	supportCache.Store(md.FullName(), ok)
	return ok
}

func checkSupported(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) bool {
	if seen[md.FullName()] {
		return true
	}
	seen[md.FullName()] = true
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") || md.Oneofs().Len() > 0 {
		return false
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.IsMap() {
			if fd.MapKey().Kind() != protoreflect.StringKind {
				return false
			}
			fd = fd.MapValue()
		}
		switch fd.Kind() {
		case protoreflect.GroupKind:
			return false
		case protoreflect.MessageKind:
			if !checkSupported(fd.Message(), seen) {
				return false
			}
		}
	}
	return true
}

type pbEncoder struct {
	out []byte
}

func (e *pbEncoder) message(m protoreflect.Message, indent string) bool {
	fields := m.Descriptor().Fields()
	inner := indent + "  "
	n := 0
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() != nil && !fd.IsList() && !fd.IsMap() && !m.Has(fd) {
			continue // an unset message: protojson leaves it out
		}
		e.out = appendItemStart(e.out, '{', n, inner)
		n++
		e.out = append(e.out, '"')
		e.out = append(e.out, fd.JSONName()...)
		e.out = append(e.out, '"', ':', ' ')
		v := m.Get(fd)
		var ok bool
		switch {
		case fd.IsList():
			ok = e.list(v.List(), fd, inner)
		case fd.IsMap():
			ok = e.mapValue(v.Map(), fd.MapValue(), inner)
		default:
			ok = e.singular(v, fd, inner)
		}
		if !ok {
			return false
		}
	}
	if n == 0 {
		e.out = append(e.out, '{', '}')
		return true
	}
	e.out = appendClose(e.out, indent, '}')
	return true
}

func (e *pbEncoder) list(l protoreflect.List, fd protoreflect.FieldDescriptor, indent string) bool {
	if l.Len() == 0 {
		e.out = append(e.out, '[', ']')
		return true
	}
	inner := indent + "  "
	for i := 0; i < l.Len(); i++ {
		e.out = appendItemStart(e.out, '[', i, inner)
		if !e.singular(l.Get(i), fd, inner) {
			return false
		}
	}
	e.out = appendClose(e.out, indent, ']')
	return true
}

func (e *pbEncoder) mapValue(mp protoreflect.Map, vd protoreflect.FieldDescriptor, indent string) bool {
	if mp.Len() == 0 {
		e.out = append(e.out, '{', '}')
		return true
	}
	type entry struct {
		k string
		v protoreflect.Value
	}
	entries := make([]entry, 0, mp.Len())
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		entries = append(entries, entry{k.String(), v})
		return true
	})
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.k, b.k) })
	inner := indent + "  "
	for i, en := range entries {
		e.out = appendItemStart(e.out, '{', i, inner)
		var ok bool
		if e.out, ok = appendJSONString(e.out, en.k); !ok {
			return false
		}
		e.out = append(e.out, ':', ' ')
		if !e.singular(en.v, vd, inner) {
			return false
		}
	}
	e.out = appendClose(e.out, indent, '}')
	return true
}

func (e *pbEncoder) singular(v protoreflect.Value, fd protoreflect.FieldDescriptor, indent string) bool {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		e.out = strconv.AppendBool(e.out, v.Bool())
	case protoreflect.StringKind:
		var ok bool
		if e.out, ok = appendJSONString(e.out, v.String()); !ok {
			return false
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		e.out = strconv.AppendInt(e.out, v.Int(), 10)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		e.out = strconv.AppendUint(e.out, v.Uint(), 10)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		e.out = append(e.out, '"')
		e.out = strconv.AppendInt(e.out, v.Int(), 10)
		e.out = append(e.out, '"')
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		e.out = append(e.out, '"')
		e.out = strconv.AppendUint(e.out, v.Uint(), 10)
		e.out = append(e.out, '"')
	case protoreflect.BytesKind:
		e.out = append(e.out, '"')
		e.out = base64.StdEncoding.AppendEncode(e.out, v.Bytes())
		e.out = append(e.out, '"')
	case protoreflect.EnumKind:
		if d := fd.Enum().Values().ByNumber(v.Enum()); d != nil {
			e.out = append(e.out, '"')
			e.out = append(e.out, d.Name()...)
			e.out = append(e.out, '"')
		} else {
			e.out = strconv.AppendInt(e.out, int64(v.Enum()), 10)
		}
	case protoreflect.FloatKind:
		e.out = appendFloat(e.out, v.Float(), 32)
	case protoreflect.DoubleKind:
		e.out = appendFloat(e.out, v.Float(), 64)
	case protoreflect.MessageKind:
		return e.message(v.Message(), indent)
	default:
		return false
	}
	return true
}

// appendFloat writes a float as protojson does: NaN and the infinities as
// strings, else encoding/json's number format (exponent form below 1e-6
// and from 1e21, with a two-digit negative exponent shortened).
func appendFloat(out []byte, n float64, bitSize int) []byte {
	switch {
	case math.IsNaN(n):
		return append(out, `"NaN"`...)
	case math.IsInf(n, +1):
		return append(out, `"Infinity"`...)
	case math.IsInf(n, -1):
		return append(out, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(n); abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) || bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	out = strconv.AppendFloat(out, n, format, -1, bitSize)
	if format == 'e' {
		if n := len(out); n >= 4 && out[n-4] == 'e' && out[n-3] == '-' && out[n-2] == '0' {
			out[n-2] = out[n-1]
			out = out[:n-1]
		}
	}
	return out
}

// appendJSONString quotes s as protojson does: \" \\ \b \f \n \r \t, other
// controls as \u00xx, everything else as it is; invalid UTF-8 is an error
// (ok false), as in protojson.
func appendJSONString(out []byte, s string) ([]byte, bool) {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				return out, false
			}
			i += n
			continue
		}
		if c >= ' ' && c != '"' && c != '\\' {
			i++
			continue
		}
		out = append(out, s[start:i]...)
		out = append(out, '\\')
		switch c {
		case '"', '\\':
			out = append(out, c)
		case '\b':
			out = append(out, 'b')
		case '\f':
			out = append(out, 'f')
		case '\n':
			out = append(out, 'n')
		case '\r':
			out = append(out, 'r')
		case '\t':
			out = append(out, 't')
		default:
			out = append(out, 'u')
			out = append(out, "0000"[1+(bits.Len32(uint32(c))-1)/4:]...)
			out = strconv.AppendUint(out, uint64(c), 16)
		}
		i++
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"'), true
}
