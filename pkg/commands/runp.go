package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type runpOptions struct {
	runtime string
	timeout cancelTimeout
}

func newRunpCommand(f *Factory) *cli.Command {
	o := &runpOptions{}
	return &cli.Command{
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "runtime", Aliases: []string{"r"}, Destination: &o.runtime,
				Usage: "runtime handler of the pod; the runtime defines the available ones"},
			o.timeout.flag(),
		},
		Subcommands: []*cli.Command{podSchemaCommand(f, "Print the JSON Schema of pod config files")},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef(commandPath(c), "runp takes one pod config file, got %d arguments", c.NArg())
			}
			if err := o.timeout.validate(c); err != nil {
				return err
			}
			cfg, err := criconfig.LoadPod(c.Args().First())
			if err != nil {
				return err
			}
			id, err := runPodSandbox(c.Context, f, cfg, o.runtime, &o.timeout)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, id)
			return err
		},
	}
}

var _ = register(command{name: "runp", group: groupPods, args: argFile, changes: true, build: newRunpCommand,
	usage: "Run a new pod", argsUsage: "POD-CONFIG.[json|yaml]", help: runpHelp})

// runpHelp is the description in "crictl runp --help".
const runpHelp = `Prints the new pod's ID. The config file uses the CRI's PodSandboxConfig fields, in snake_case
or camelCase; see docs/config-files.md and 'crictl runp jsonschema'.`

func runPodSandbox(ctx context.Context, f *Factory, cfg *runtimeapi.PodSandboxConfig, handler string, t *cancelTimeout) (string, error) {
	rs, err := f.Runtime()
	if err != nil {
		return "", err
	}
	resp, err := rs.RunPodSandbox(t.forSandbox(ctx, f), &runtimeapi.RunPodSandboxRequest{Config: cfg, RuntimeHandler: handler})
	if err != nil {
		return "", fmt.Errorf("running the pod %s: %w", cfg.GetMetadata().GetName(), err)
	}
	return resp.GetPodSandboxId(), nil
}
