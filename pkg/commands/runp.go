package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/criconfig"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// cancelTimeout is --cancel-timeout/-T of runp, create and run.
type cancelTimeout struct {
	raw string
	d   time.Duration
}

func (t *cancelTimeout) flag() cli.Flag {
	return &cli.StringFlag{Name: "cancel-timeout", Aliases: []string{"T"}, Destination: &t.raw, DefaultText: "--timeout, twice that for the pod",
		Usage: "timeout of each request that creates or starts the pod or container, as a duration (30s) or whole seconds"}
}

func (t *cancelTimeout) validate(c *cli.Context) error {
	if t.raw == "" {
		return nil
	}
	d, err := config.ParseTimeout(t.raw)
	if err != nil {
		return usagef(commandPath(c), "--cancel-timeout: %v", err)
	}
	if d < 0 {
		return usagef(commandPath(c), "--cancel-timeout %s: must be 0 or more", t.raw)
	}
	t.d = d
	return nil
}

// forSandbox bounds RunPodSandbox: --cancel-timeout, else twice the
// global timeout (pod creation sets up networking), as the reference.
func (t *cancelTimeout) forSandbox(ctx context.Context, f *Factory) context.Context {
	if t.d > 0 {
		return cri.WithTimeout(ctx, t.d)
	}
	if cfg, err := f.Config(); err == nil {
		return cri.WithTimeout(ctx, 2*cfg.Timeout)
	}
	return ctx
}

// forContainer bounds CreateContainer and StartContainer: --cancel-timeout,
// else the global timeout.
func (t *cancelTimeout) forContainer(ctx context.Context) context.Context {
	if t.d > 0 {
		return cri.WithTimeout(ctx, t.d)
	}
	return ctx
}

type runpOptions struct {
	runtime string
	timeout cancelTimeout
}

func newRunpCommand(f *Factory) *cli.Command {
	o := &runpOptions{}
	return &cli.Command{
		Name:      "runp",
		Usage:     "Run a new pod",
		ArgsUsage: "POD-CONFIG.[json|yaml]",
		Description: "Prints the new pod's ID. The config file uses the CRI's PodSandboxConfig fields, in snake_case\n" +
			"or camelCase; see docs/config-files.md and 'crictl runp jsonschema'.",
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
