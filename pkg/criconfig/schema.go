package criconfig

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SchemaDraft is the JSON Schema dialect of Schema's documents.
const SchemaDraft = "https://json-schema.org/draft/2020-12/schema"

// PodSchema is the JSON Schema of pod config files.
func PodSchema() []byte {
	return Schema((&runtimeapi.PodSandboxConfig{}).ProtoReflect().Descriptor())
}

// ContainerSchema is the JSON Schema of container config files.
func ContainerSchema() []byte {
	return Schema((&runtimeapi.ContainerConfig{}).ProtoReflect().Descriptor())
}

// required lists the fields the loaders insist on, by message (a switch,
// not a map: no package initialization at start-up).
func required(name protoreflect.FullName) []string {
	switch name {
	case "runtime.v1.PodSandboxConfig":
		return []string{"metadata"}
	case "runtime.v1.PodSandboxMetadata":
		return []string{"name", "namespace"}
	case "runtime.v1.ContainerConfig":
		return []string{"metadata", "image"}
	case "runtime.v1.ContainerMetadata":
		return []string{"name"}
	case "runtime.v1.ImageSpec":
		return []string{"image"}
	}
	return nil
}

// Schema returns a JSON Schema (draft 2020-12) of the config file whose
// top-level message is md, generated from the protobuf descriptors: one
// definition per message under $defs, properties by proto (snake_case)
// name in field order, enums as their numbers and names, 64-bit integers
// as numbers or strings of digits. The output is deterministic and ends
// in a newline.
func Schema(md protoreflect.MessageDescriptor) []byte {
	g := &schemaGen{defs: map[protoreflect.FullName]obj{}}
	g.visit(md)
	defs := obj{}
	for _, name := range g.order {
		defs = append(defs, kv{string(name.Name()), g.defs[name]})
	}
	doc := obj{
		{"$schema", SchemaDraft},
		{"title", string(md.Name())},
		{"$ref", "#/$defs/" + string(md.Name())},
		{"$defs", defs},
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err) // the document holds only strings, numbers, lists and objects
	}
	var buf bytes.Buffer
	_ = json.Indent(&buf, raw, "", "  ")
	buf.WriteByte('\n')
	return buf.Bytes()
}

type schemaGen struct {
	defs  map[protoreflect.FullName]obj
	order []protoreflect.FullName
}

// visit adds the definition of md and of every message it refers to, in
// the order they are first reached.
func (g *schemaGen) visit(md protoreflect.MessageDescriptor) {
	if _, ok := g.defs[md.FullName()]; ok {
		return
	}
	g.defs[md.FullName()] = nil
	g.order = append(g.order, md.FullName())
	props := obj{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		props = append(props, kv{string(fd.Name()), g.fieldSchema(fd)})
	}
	def := obj{{"type", "object"}, {"properties", props}, {"additionalProperties", false}}
	if req := required(md.FullName()); len(req) > 0 {
		def = append(def, kv{"required", req})
	}
	g.defs[md.FullName()] = def
}

func (g *schemaGen) fieldSchema(fd protoreflect.FieldDescriptor) any {
	switch {
	case fd.IsMap():
		return obj{{"type", "object"}, {"additionalProperties", g.valueSchema(fd.MapValue())}}
	case fd.IsList():
		return obj{{"type", "array"}, {"items", g.valueSchema(fd)}}
	}
	return g.valueSchema(fd)
}

func (g *schemaGen) valueSchema(fd protoreflect.FieldDescriptor) any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		g.visit(fd.Message())
		return obj{{"$ref", "#/$defs/" + string(fd.Message().Name())}}
	case protoreflect.StringKind:
		return obj{{"type", "string"}}
	case protoreflect.BytesKind:
		if fd.ContainingMessage().FullName() == keyValue {
			return obj{{"type", "string"}}
		}
		return obj{{"type", "string"}, {"contentEncoding", "base64"}}
	case protoreflect.BoolKind:
		return obj{{"type", "boolean"}}
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		var nums, names []any
		for i := range vals.Len() {
			nums = append(nums, int32(vals.Get(i).Number()))
			names = append(names, string(vals.Get(i).Name()))
		}
		return obj{{"enum", append(nums, names...)}}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return obj{{"type", "integer"}, {"minimum", math.MinInt32}, {"maximum", math.MaxInt32}}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return obj{{"type", "integer"}, {"minimum", 0}, {"maximum", uint32(math.MaxUint32)}}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return obj{{"type", []string{"integer", "string"}}, {"pattern", "^-?[0-9]+$"}}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return obj{{"type", []string{"integer", "string"}}, {"minimum", 0}, {"pattern", "^[0-9]+$"}}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return obj{{"type", "number"}}
	}
	return obj{}
}

// obj is a JSON object that keeps its keys in order.
type obj []kv

type kv struct {
	key string
	val any
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
