package commands

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
)

// outputOptions are -o/--output and --template, declared once for every
// command with the formats it supports.
type outputOptions struct {
	raw      string
	template string
	def      output.Format
	allowed  []output.Format

	format output.Format
	tmpl   *template.Template
}

func (o *outputOptions) flags(def output.Format, allowed ...output.Format) []cli.Flag {
	o.def, o.allowed = def, allowed
	names := make([]string, len(allowed))
	hasTemplate := false
	for i, f := range allowed {
		names[i] = string(f)
		hasTemplate = hasTemplate || f == output.GoTemplate
	}
	fl := []cli.Flag{&cli.StringFlag{
		Name: "output", Aliases: []string{"o"}, Destination: &o.raw,
		Usage: "output format, one of: " + strings.Join(names, ", "), DefaultText: string(def),
	}}
	if hasTemplate {
		fl = append(fl, &cli.StringFlag{Name: "template", Destination: &o.template,
			Usage: "the go-template for -o go-template (crictl's functions: json, title, lower, upper)"})
	}
	return fl
}

// validate parses -o and the template before any RPC.
func (o *outputOptions) validate(c *cli.Context) error {
	f, tmpl, err := output.ParseFormat(o.raw, o.def, o.allowed...)
	if err != nil {
		return usagef(commandPath(c), "%v", err)
	}
	o.format = f
	if f != output.GoTemplate {
		if o.template != "" {
			return usagef(commandPath(c), "--template needs -o go-template")
		}
		return nil
	}
	if tmpl == "" {
		tmpl = o.template
	}
	if o.tmpl, err = output.ParseTemplate(tmpl); err != nil {
		return usagef(commandPath(c), "%v", err)
	}
	return nil
}

// isDocument reports whether the format is JSON, YAML or a template.
func (o *outputOptions) isDocument() bool {
	return o.format == output.JSON || o.format == output.YAML || o.format == output.GoTemplate
}

func (o *outputOptions) document(f *Factory, v any) error {
	return output.Document(f.IO.Out, o.format, o.tmpl, v, f.IO.OutTTY)
}

func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef(commandPath(c), "unexpected argument %q: %s takes no arguments", c.Args().First(), c.Command.Name)
	}
	return nil
}

// selection is what pods and containers are both selected by: --name,
// --namespace, --regex, --label/--selector, --latest and --last.
type selection struct {
	name, namespace string
	regex           bool
	labels          labelFilter
	latest          bool
	last            int

	nameM, nsM *nameMatcher
}

// validate compiles the name matchers and label filters.
func (s *selection) validate(cmd string) error {
	var err error
	if s.nameM, err = newNameMatcher("name", s.name, s.regex); err != nil {
		return usagef(cmd, "%v", err)
	}
	if s.nsM, err = newNameMatcher("namespace", s.namespace, s.regex); err != nil {
		return usagef(cmd, "%v", err)
	}
	if err := s.labels.parse(); err != nil {
		return usagef(cmd, "%v", err)
	}
	if s.last < 0 {
		return usagef(cmd, "--last %d: must be 0 or more", s.last)
	}
	return nil
}

// match reports whether an object with this name, namespace and labels is
// selected.
func (s *selection) match(name, namespace string, labels map[string]string) bool {
	return s.nameM.match(name) && s.nsM.match(namespace) && s.labels.match(labels)
}

// nameMatcher matches --name/--namespace values: exactly, or as the
// reference's unanchored regular expressions with --regex.
type nameMatcher struct {
	exact string
	re    *regexp.Regexp
}

func newNameMatcher(flag, value string, regex bool) (*nameMatcher, error) {
	if value == "" {
		return nil, nil
	}
	if !regex {
		return &nameMatcher{exact: value}, nil
	}
	re, err := regexp.Compile(value)
	if err != nil {
		return nil, fmt.Errorf("--%s: invalid regular expression %q: %w", flag, value, err)
	}
	return &nameMatcher{re: re}, nil
}

func (m *nameMatcher) match(s string) bool {
	if m == nil {
		return true
	}
	if m.re != nil {
		return m.re.MatchString(s)
	}
	return m.exact == s
}
