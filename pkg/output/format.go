package output

import (
	"fmt"
	"strings"
	"text/template"
)

// Format is an output format selected with -o.
type Format string

// The formats. Wide is the table with extra columns.
const (
	TableFormat Format = "table"
	Wide        Format = "wide"
	JSON        Format = "json"
	YAML        Format = "yaml"
	GoTemplate  Format = "go-template"
)

// ParseFormat checks s against the formats a command supports. The empty
// string selects def. A `go-template=TEMPLATE` value (kubectl's spelling) is
// split into the format and its template.
func ParseFormat(s string, def Format, allowed ...Format) (Format, string, error) {
	if s == "" {
		return def, "", nil
	}
	tmpl := ""
	if rest, ok := strings.CutPrefix(s, string(GoTemplate)+"="); ok {
		s, tmpl = string(GoTemplate), rest
	}
	for _, f := range allowed {
		if string(f) == s {
			return f, tmpl, nil
		}
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		names[i] = string(f)
	}
	return "", "", fmt.Errorf("unsupported output format %q (use one of: %s)", s, strings.Join(names, ", "))
}

// ParseTemplate parses a go-template with crictl's functions and
// missingkey=error, so a bad template fails before any RPC.
func ParseTemplate(text string) (*template.Template, error) {
	if text == "" {
		return nil, fmt.Errorf("-o go-template needs a template: use --template '{{...}}' or -o go-template='{{...}}'")
	}
	t, err := template.New("output").Funcs(templateFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid template: %w", err)
	}
	return t, nil
}
