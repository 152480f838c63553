package commands

import (
	"context"

	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newInfoCommand(f *Factory) *cli.Command {
	var o inspectFlags
	return &cli.Command{
		Flags:  o.flags(output.JSON, output.YAML, output.GoTemplate),
		Action: action(func(c *cli.Context) error { return runInfo(c.Context, f, &o) }, noArgs, o.out.validate),
	}
}

var _ = register(command{name: "info", group: groupRuntime, build: newInfoCommand,
	usage: "Display information of the container runtime"})

func runInfo(ctx context.Context, f *Factory, o *inspectFlags) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r, err := rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: !o.quiet})
	if err != nil {
		return err
	}
	doc, err := cridoc.Info(redacted(o.redact, r))
	if err != nil {
		return err
	}
	return o.out.document(f, doc)
}
