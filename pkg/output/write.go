package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"
)

// MarshalJSON returns the canonical JSON document of v, indented by two
// spaces and ending in a newline. A proto.Message is rendered with protojson
// (lowerCamel names, enum names, int64 as strings, default values emitted) as
// the reference does, normalised so that it is byte-stable across builds
// (see marshalProto); generic values (maps, lists and scalars) by
// appendValue; anything else with encoding/json (sorted map keys).
// Neither escapes <, > and & (protojson never does, and "<redacted>" should
// read as it is).
func MarshalJSON(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok {
		doc, err := marshalProto(nil, m, "")
		return append(doc, '\n'), err
	}
	if out, ok := appendValue(nil, v, ""); ok {
		return append(out, '\n'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode turns a canonical JSON document into generic Go values (numbers as
// json.Number) for templates and for building composite documents.
func Decode(doc []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	return v, nil
}

// Document writes v as JSON, YAML or through a template. When escape is true
// (stdout is a terminal) template output has control characters from the
// data escaped, keeping newlines and tabs.
func Document(w io.Writer, f Format, tmpl *template.Template, v any, escape bool) error {
	if m, ok := v.(proto.Message); ok && f == JSON {
		return writeProtoJSON(w, m)
	}
	doc, err := MarshalJSON(v)
	if err != nil {
		return err
	}
	switch f {
	case JSON:
		_, err = w.Write(doc)
		return err
	case YAML:
		y, err := yaml.JSONToYAML(doc)
		if err != nil {
			return fmt.Errorf("encoding YAML: %w", err)
		}
		_, err = w.Write(y)
		return err
	case GoTemplate:
		data, err := Decode(doc)
		if err != nil {
			return err
		}
		var out strings.Builder
		if err := tmpl.Execute(&out, data); err != nil {
			return fmt.Errorf("executing template: %w", err)
		}
		s := out.String()
		if escape {
			s = EscapeText(s)
		}
		_, err = io.WriteString(w, s+"\n")
		return err
	}
	return fmt.Errorf("output format %q is not a document format", f)
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"index": index,
}
