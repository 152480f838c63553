package commands

import (
	"context"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newInfoCommand, group: groupRuntime})
}

func newInfoCommand(f *Factory) *cli.Command {
	var out outputOptions
	var quiet bool
	flags := append(out.flags(output.JSON, output.YAML, output.GoTemplate),
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &quiet, Usage: "leave out the runtime's verbose info"})
	return &cli.Command{
		Name:  "info",
		Usage: "Display information of the container runtime",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := out.validate(c); err != nil {
				return err
			}
			return runInfo(c.Context, f, &out, quiet)
		},
	}
}

func runInfo(ctx context.Context, f *Factory, out *outputOptions, quiet bool) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r, err := rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: !quiet})
	if err != nil {
		return err
	}
	doc, err := newStatusDoc(r.GetStatus(), r.GetInfo(), nil)
	if err != nil {
		return err
	}
	if len(r.GetRuntimeHandlers()) > 0 {
		v, err := protoList(r.GetRuntimeHandlers())
		if err != nil {
			return err
		}
		doc["runtimeHandlers"] = v
	}
	if r.GetFeatures() != nil {
		v, err := protoValue(r.GetFeatures())
		if err != nil {
			return err
		}
		doc["features"] = v
	}
	return out.document(f, doc)
}
