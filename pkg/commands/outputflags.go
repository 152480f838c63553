package commands

import (
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

// Format lists of the commands: the first is the default.
var (
	listFormats    = []output.Format{output.TableFormat, output.Wide, output.JSON, output.YAML, output.GoTemplate}
	inspectFormats = []output.Format{output.JSON, output.YAML, output.GoTemplate, output.TableFormat}
)

// flags declares -o with the formats a command has (the first is the
// default) and, when go-template is one of them, --template.
func (o *outputOptions) flags(formats ...output.Format) []cli.Flag {
	def, allowed := formats[0], formats
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
