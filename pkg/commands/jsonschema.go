package commands

import (
	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/urfave/cli/v2"
)

// The jsonschema subcommands print the JSON Schemas of the config files
// that runp, create, run and pull read.

// podSchemaCommand is the jsonschema subcommand of runp and pull.
func podSchemaCommand(f *Factory, usage string) *cli.Command {
	return &cli.Command{
		Name:    "jsonschema",
		Aliases: []string{"js"},
		Usage:   usage,
		Description: "A JSON Schema (draft 2020-12) generated from the CRI's PodSandboxConfig: snake_case property\n" +
			"names, enums as numbers or names. Config files may also use the camelCase names inspect prints.",
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			_, err := f.IO.Out.Write(criconfig.PodSchema())
			return err
		},
	}
}

// configSchemaCommand is the jsonschema subcommand of create and run.
func configSchemaCommand(f *Factory) *cli.Command {
	var pod, ctr bool
	return &cli.Command{
		Name:    "jsonschema",
		Aliases: []string{"js"},
		Usage:   "Print the JSON Schema of pod or container config files",
		Description: "JSON Schemas (draft 2020-12) generated from the CRI's PodSandboxConfig (--pod) and ContainerConfig\n" +
			"(--container); with both, the pod's comes first. Config files may also use the camelCase names.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "pod", Aliases: []string{"p"}, Destination: &pod, Usage: "print the pod config schema"},
			&cli.BoolFlag{Name: "container", Aliases: []string{"c"}, Destination: &ctr, Usage: "print the container config schema"},
		},
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if !pod && !ctr {
				return usagef(commandPath(c), "choose the schema: --pod (-p), --container (-c) or both")
			}
			if pod {
				if _, err := f.IO.Out.Write(criconfig.PodSchema()); err != nil {
					return err
				}
			}
			if ctr {
				if _, err := f.IO.Out.Write(criconfig.ContainerSchema()); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
