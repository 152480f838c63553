package criconfig

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"sigs.k8s.io/yaml"
)

// MaxSize is the largest config file read, in bytes. Real configs are a
// few KiB; the cap keeps a wrong path (a log, an image) from being loaded
// into memory whole.
const MaxSize = 4 << 20

// maxDepth bounds nesting. The deepest CRI config path is about ten
// levels; the YAML parser's own limit (10000) would let a hostile file
// recurse far deeper.
const maxDepth = 64

// Error is a problem with a config file: which file, where in it (a JSON
// path such as .linux.security_context.namespace_options.network, empty
// for the file as a whole) and what is wrong.
type Error struct {
	File string
	Path string
	Msg  string
	// Syntax marks errors found before the document's structure could be
	// read (size, YAML syntax, depth); they have no Path.
	Syntax bool
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// withFile sets the file name on an *Error.
func withFile(err error, file string) error {
	var e *Error
	if errors.As(err, &e) && e.File == "" {
		e.File = file
	}
	return err
}

// Unmarshal decodes a YAML or JSON document into m with the strict rules
// described in the package documentation. It checks no required fields.
func Unmarshal(data []byte, m proto.Message) error {
	if len(data) > MaxSize {
		return &Error{Msg: fmt.Sprintf("%d bytes is over the %d MiB limit for config files", len(data), MaxSize>>20), Syntax: true}
	}
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		msg := yamlMessage(err)
		if strings.Contains(msg, "cannot start any token") && bytes.ContainsRune(data, '\t') {
			msg += " (YAML is indented with spaces, not tabs)"
		}
		return &Error{Msg: "not valid YAML or JSON: " + msg, Syntax: true}
	}
	root, err := parseJSON(j)
	if err != nil {
		return err
	}
	switch root.kind {
	case kindNull:
		return &Error{Msg: "the file is empty", Syntax: true}
	case kindObject:
	default:
		return &Error{Msg: "want an object (field: value, ...) at the top, got " + describe(root)}
	}
	return message(m.ProtoReflect(), root, "")
}

// yamlMessage makes a YAML error one line without the converter's prefix.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// node is a JSON value that keeps the order of object members, so errors
// are reported in document order.
type node struct {
	kind    kind
	str     string // a string, or a number's literal
	b       bool
	members []member
	items   []*node
}

type member struct {
	key string
	val *node
}

type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Msg: "more than one document", Syntax: true}
	}
	return n, nil
}

func parseValue(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("nested more than %d levels deep", maxDepth), Syntax: true}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, &Error{Path: path, Msg: "not valid JSON: " + err.Error(), Syntax: true}
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, b: t}, nil
	case json.Number:
		return &node{kind: kindNumber, str: string(t)}, nil
	case string:
		return &node{kind: kindString, str: t}, nil
	case json.Delim:
		if t == '{' {
			n := &node{kind: kindObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, &Error{Path: path, Msg: "not valid JSON: " + err.Error(), Syntax: true}
				}
				key, _ := kt.(string)
				v, err := parseValue(dec, path+keyPath(key), depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key: key, val: v})
			}
			_, err := dec.Token()
			return n, err
		}
		n := &node{kind: kindArray}
		for dec.More() {
			v, err := parseValue(dec, fmt.Sprintf("%s[%d]", path, len(n.items)), depth+1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		_, err := dec.Token()
		return n, err
	}
	return nil, &Error{Path: path, Msg: fmt.Sprintf("unexpected JSON token %v", tok), Syntax: true}
}

// keyPath renders an object key as a path step: .name, or ["a.b/c"] for
// keys that are not identifiers (label and annotation keys).
func keyPath(key string) string {
	ident := key != ""
	for i, r := range key {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			ident = false
			break
		}
	}
	if ident {
		return "." + key
	}
	return "[" + strconv.Quote(key) + "]"
}

// describe names a JSON value for "want X, got Y" messages.
func describe(n *node) string {
	switch n.kind {
	case kindNull:
		return "null"
	case kindBool:
		return fmt.Sprintf("the boolean %t", n.b)
	case kindNumber:
		return "the number " + short(n.str)
	case kindString:
		return "the string " + strconv.Quote(short(n.str))
	case kindObject:
		return "an object"
	}
	return "a list"
}

func short(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func typeError(path, want string, n *node) error {
	msg := fmt.Sprintf("want %s, got %s", want, describe(n))
	if want == "a string" && (n.kind == kindBool || n.kind == kindNumber) {
		msg += " (quote it: YAML reads unquoted numbers, yes/no, on/off and y/n as numbers and booleans)"
	}
	return &Error{Path: path, Msg: msg}
}

func message(m protoreflect.Message, n *node, path string) error {
	if n.kind != kindObject {
		return typeError(path, "an object", n)
	}
	fields := m.Descriptor().Fields()
	seen := make(map[protoreflect.FieldNumber]string, len(n.members))
	for _, mem := range n.members {
		p := path + keyPath(mem.key)
		fd := fields.ByName(protoreflect.Name(mem.key))
		if fd == nil {
			fd = fields.ByJSONName(mem.key)
		}
		if fd == nil {
			return &Error{Path: p, Msg: "unknown field" + suggest(fields, mem.key)}
		}
		if prev, ok := seen[fd.Number()]; ok {
			return &Error{Path: p, Msg: fmt.Sprintf("field %s is given twice (as %s and %s)", fd.Name(), prev, mem.key)}
		}
		seen[fd.Number()] = mem.key
		if mem.val.kind == kindNull {
			continue // null leaves a field unset, as in protojson
		}
		if err := field(m, fd, mem.val, p); err != nil {
			return err
		}
	}
	return nil
}

func field(m protoreflect.Message, fd protoreflect.FieldDescriptor, n *node, path string) error {
	switch {
	case fd.IsMap():
		if n.kind != kindObject {
			return typeError(path, "a map (key: value, ...)", n)
		}
		mp := m.Mutable(fd).Map()
		for _, mem := range n.members {
			p := path + keyPath(mem.key)
			k, err := mapKey(fd.MapKey(), mem.key, p)
			if err != nil {
				return err
			}
			if mem.val.kind == kindNull {
				return &Error{Path: p, Msg: "want a value, got null"}
			}
			vfd := fd.MapValue()
			if vfd.Message() != nil {
				v := mp.NewValue()
				if err := message(v.Message(), mem.val, p); err != nil {
					return err
				}
				mp.Set(k, v)
				continue
			}
			v, err := scalar(vfd, mem.val, p)
			if err != nil {
				return err
			}
			mp.Set(k, v)
		}
	case fd.IsList():
		if n.kind != kindArray {
			return typeError(path, "a list", n)
		}
		l := m.Mutable(fd).List()
		for i, it := range n.items {
			p := fmt.Sprintf("%s[%d]", path, i)
			if it.kind == kindNull {
				return &Error{Path: p, Msg: "want a list item, got null"}
			}
			if fd.Message() != nil {
				e := l.NewElement()
				if err := message(e.Message(), it, p); err != nil {
					return err
				}
				l.Append(e)
				continue
			}
			v, err := scalar(fd, it, p)
			if err != nil {
				return err
			}
			l.Append(v)
		}
	case fd.Message() != nil:
		return message(m.Mutable(fd).Message(), n, path)
	default:
		v, err := scalar(fd, n, path)
		if err != nil {
			return err
		}
		m.Set(fd, v)
	}
	return nil
}

func mapKey(fd protoreflect.FieldDescriptor, key, path string) (protoreflect.MapKey, error) {
	if fd.Kind() == protoreflect.StringKind {
		return protoreflect.ValueOfString(key).MapKey(), nil
	}
	v, err := scalar(fd, &node{kind: kindString, str: key}, path)
	if err != nil {
		return protoreflect.MapKey{}, err
	}
	return v.MapKey(), nil
}

// keyValue is the message whose bytes value is a plain string in config
// files (cri-api's KeyValue JSON form).
const keyValue protoreflect.FullName = "runtime.v1.KeyValue"

func scalar(fd protoreflect.FieldDescriptor, n *node, path string) (protoreflect.Value, error) {
	// Map keys arrive as strings; integer and bool keys are parsed from them.
	isKey := fd.ContainingMessage() != nil && fd.ContainingMessage().IsMapEntry() && fd.Number() == 1
	switch fd.Kind() {
	case protoreflect.StringKind:
		if n.kind != kindString {
			return protoreflect.Value{}, typeError(path, "a string", n)
		}
		return protoreflect.ValueOfString(n.str), nil
	case protoreflect.BoolKind:
		if isKey && n.kind == kindString {
			b, err := strconv.ParseBool(n.str)
			if err != nil {
				return protoreflect.Value{}, typeError(path, "true or false", n)
			}
			return protoreflect.ValueOfBool(b), nil
		}
		if n.kind != kindBool {
			return protoreflect.Value{}, typeError(path, "true or false", n)
		}
		return protoreflect.ValueOfBool(n.b), nil
	case protoreflect.EnumKind:
		return enumValue(fd.Enum(), n, path)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		v, err := integer(n, path, "int32", isKey, func(s string) (any, error) { return strconv.ParseInt(s, 10, 32) })
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfInt32(int32(v.(int64))), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		v, err := integer(n, path, "int64", true, func(s string) (any, error) { return strconv.ParseInt(s, 10, 64) })
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfInt64(v.(int64)), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		v, err := integer(n, path, "uint32", isKey, func(s string) (any, error) { return strconv.ParseUint(s, 10, 32) })
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfUint32(uint32(v.(uint64))), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		v, err := integer(n, path, "uint64", true, func(s string) (any, error) { return strconv.ParseUint(s, 10, 64) })
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfUint64(v.(uint64)), nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		if n.kind != kindNumber {
			return protoreflect.Value{}, typeError(path, "a number", n)
		}
		bits := 64
		if fd.Kind() == protoreflect.FloatKind {
			bits = 32
		}
		f, err := strconv.ParseFloat(n.str, bits)
		if err != nil {
			return protoreflect.Value{}, &Error{Path: path, Msg: fmt.Sprintf("%s is out of range", n.str)}
		}
		if bits == 32 {
			return protoreflect.ValueOfFloat32(float32(f)), nil
		}
		return protoreflect.ValueOfFloat64(f), nil
	case protoreflect.BytesKind:
		if n.kind != kindString {
			return protoreflect.Value{}, typeError(path, "a string", n)
		}
		if fd.ContainingMessage().FullName() == keyValue {
			return protoreflect.ValueOfBytes([]byte(n.str)), nil
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(n.str); err == nil {
				return protoreflect.ValueOfBytes(b), nil
			}
		}
		return protoreflect.Value{}, &Error{Path: path, Msg: "want base64-encoded bytes"}
	}
	return protoreflect.Value{}, &Error{Path: path, Msg: fmt.Sprintf("fields of kind %s are not supported", fd.Kind())}
}

// integer parses a JSON number (or, when strings are allowed, a string of
// digits) with parse, reporting out-of-range values by type.
func integer(n *node, path, typ string, allowString bool, parse func(string) (any, error)) (any, error) {
	switch {
	case n.kind == kindNumber, n.kind == kindString && allowString:
	case allowString:
		return nil, typeError(path, "an integer (a number or a string of digits)", n)
	default:
		return nil, typeError(path, "an integer", n)
	}
	v, err := parse(n.str)
	if err == nil {
		return v, nil
	}
	if errors.Is(err, strconv.ErrRange) || strings.HasPrefix(typ, "u") && strings.HasPrefix(n.str, "-") {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("%s is out of range for %s", short(n.str), typ)}
	}
	return nil, typeError(path, "an integer", n)
}

func enumValue(ed protoreflect.EnumDescriptor, n *node, path string) (protoreflect.Value, error) {
	var v protoreflect.EnumValueDescriptor
	switch n.kind {
	case kindString:
		v = ed.Values().ByName(protoreflect.Name(n.str))
		if v == nil {
			return protoreflect.Value{}, &Error{Path: path, Msg: fmt.Sprintf("%s is not a %s: want one of %s", strconv.Quote(short(n.str)), ed.Name(), enumChoices(ed))}
		}
	case kindNumber:
		i, err := strconv.ParseInt(n.str, 10, 32)
		if err == nil {
			v = ed.Values().ByNumber(protoreflect.EnumNumber(i))
		}
		if v == nil {
			return protoreflect.Value{}, &Error{Path: path, Msg: fmt.Sprintf("%s is not a %s: want one of %s", short(n.str), ed.Name(), enumChoices(ed))}
		}
	default:
		return protoreflect.Value{}, typeError(path, "an enum name or number ("+enumChoices(ed)+")", n)
	}
	return protoreflect.ValueOfEnum(v.Number()), nil
}

func enumChoices(ed protoreflect.EnumDescriptor) string {
	vals := ed.Values()
	parts := make([]string, vals.Len())
	for i := range vals.Len() {
		parts[i] = fmt.Sprintf("%d (%s)", vals.Get(i).Number(), vals.Get(i).Name())
	}
	return strings.Join(parts, ", ")
}

// suggest proposes the field a mistyped key probably meant: the same name
// in another case or spelling (LogDirectory, log-directory), or one within
// two edits; otherwise it lists the valid fields.
func suggest(fields protoreflect.FieldDescriptors, key string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	best, bestDist := "", 3
	names := make([]string, fields.Len())
	for i := range fields.Len() {
		name := string(fields.Get(i).Name())
		names[i] = name
		if norm(name) == norm(key) {
			return fmt.Sprintf(" (did you mean %s?)", name)
		}
		if len(key) > 3 && (strings.HasPrefix(norm(name), norm(key)) || strings.HasPrefix(norm(key), norm(name))) {
			best, bestDist = name, 0
		}
		if len(key) > 3 {
			if d := editDistance(strings.ToLower(key), name); d < bestDist {
				best, bestDist = name, d
			}
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return " (valid fields: " + strings.Join(names, ", ") + ")"
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
