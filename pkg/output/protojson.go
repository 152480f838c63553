package output

import (
	"bytes"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// protoOpts render CRI objects as the reference does (lowerCamel names, enum
// names, int64 as strings, zero values present), already indented.
var protoOpts = protojson.MarshalOptions{EmitDefaultValues: true, Multiline: true, Indent: "  "}

// marshalProto renders m indented by two spaces, every line after the first
// prefixed with prefix.
//
// protojson adds, depending on a hash of the binary, a second space after
// every "name:" of indented output, so that nobody relies on its bytes. The
// choice is the same for every name of one binary, so one look at the
// first name tells whether to drop it; the result is then the same for
// every build, and the same as re-indenting compact output with json.Indent
// (which costs a second pass over the whole document and a second copy).
func marshalProto(dst []byte, m proto.Message, prefix string) ([]byte, error) {
	if out, ok := appendMessage(dst, m.ProtoReflect(), prefix); ok {
		return out, nil
	}
	raw, err := protoOpts.Marshal(m)
	if err != nil {
		return dst, fmt.Errorf("encoding JSON: %w", err)
	}
	return normalizeIndented(dst, raw, prefix), nil
}

// normalizeIndented appends protojson's indented output raw to dst without
// its optional second space after names, prefixing every line but the first.
func normalizeIndented(dst, raw []byte, prefix string) []byte {
	extra := false
	if i := bytes.Index(raw, []byte(`":`)); i >= 0 && i+3 < len(raw) && raw[i+2] == ' ' && raw[i+3] == ' ' {
		extra = true
	}
	if !extra && prefix == "" {
		return append(dst, raw...)
	}
	inString, escaped := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			dst = append(dst, c)
			continue
		}
		switch c {
		case '"':
			inString = true
		case '\n':
			// JSON strings hold no raw newlines: this one is layout.
			dst = append(dst, '\n')
			dst = append(dst, prefix...)
			continue
		case ':':
			if extra && i+2 < len(raw) && raw[i+1] == ' ' && raw[i+2] == ' ' {
				dst = append(dst, ':', ' ')
				i += 2
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

// writeProtoJSON writes m's document to w. A list reply ({"items": [...]},
// {"containers": [...]}, {"images": [...]}) is written one item at a time,
// so a 500-pod document never exists twice in memory.
func writeProtoJSON(w io.Writer, m proto.Message) error {
	list, name, ok := soleList(m)
	if !ok {
		doc, err := marshalProto(nil, m, "")
		if err != nil {
			return err
		}
		_, err = w.Write(append(doc, '\n'))
		return err
	}
	if list.Len() == 0 {
		_, err := fmt.Fprintf(w, "{\n  %q: []\n}\n", name)
		return err
	}
	buf := make([]byte, 0, 16<<10)
	buf = fmt.Appendf(buf, "{\n  %q: [\n    ", name)
	for i := 0; i < list.Len(); i++ {
		if i > 0 {
			buf = append(buf, ",\n    "...)
		}
		var err error
		if buf, err = marshalProto(buf, list.Get(i).Message().Interface(), "    "); err != nil {
			return err
		}
		if len(buf) > 32<<10 {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "\n  ]\n}\n"...)
	_, err := w.Write(buf)
	return err
}

// soleList reports whether m is a message whose only field is a repeated
// message field, and returns that list and its JSON name.
func soleList(m proto.Message) (protoreflect.List, string, bool) {
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	if fields.Len() != 1 {
		return nil, "", false
	}
	fd := fields.Get(0)
	if !fd.IsList() || fd.Kind() != protoreflect.MessageKind {
		return nil, "", false
	}
	return r.Get(fd).List(), fd.JSONName(), true
}
