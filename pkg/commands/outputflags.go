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

// listFlags are the printing flags of the commands that list (pods, ps,
// images): -v, -q, --no-trunc, --no-headers and -o.
type listFlags struct {
	verbose, quiet, noTrunc, noHeaders bool
	out                                outputOptions
}

// flags declares them for a list of nouns ("pod"); full words --no-trunc.
func (l *listFlags) flags(noun, full string) []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Destination: &l.verbose, Usage: "show every field of each " + noun},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &l.quiet, Usage: "print only " + noun + " IDs"},
		&cli.BoolFlag{Name: "no-trunc", Destination: &l.noTrunc, Usage: "show full " + full},
		&cli.BoolFlag{Name: "no-headers", Destination: &l.noHeaders, Usage: "print tables without the header line"},
	}, l.out.flags(listFormats...)...)
}

// printList prints a list: doc as a document, the IDs (-q), the verbose
// blocks (-v), or the table.
func printList[T hasID](f *Factory, l *listFlags, doc any, items []T, verbose func() error, table func() *output.Table) error {
	switch {
	case l.out.isDocument():
		return l.out.document(f, doc)
	case l.quiet:
		return writeIDs(f, items)
	case l.verbose:
		return verbose()
	}
	return table().Write(f.IO.Out, l.noHeaders)
}

// inspectFlags are the printing flags of the commands that print objects'
// status (inspect, inspectp, inspecti, info): -q, --redact and -o.
type inspectFlags struct {
	quiet, redact bool
	out           outputOptions
}

func (o *inspectFlags) flags(formats ...output.Format) []cli.Flag {
	return append([]cli.Flag{
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "leave out the runtime's verbose info"},
		&cli.BoolFlag{Name: "redact", Destination: &o.redact, Usage: "replace secret-looking values (env, annotations, registry credentials) with <redacted>, as bundle does"},
	}, o.out.flags(formats...)...)
}

func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef(commandPath(c), "unexpected argument %q: %s takes no arguments", c.Args().First(), c.Command.Name)
	}
	return nil
}
