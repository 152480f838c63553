package commands

import (
	"context"
	"strings"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newMetricDescsCommand(f *Factory) *cli.Command {
	var out outputOptions
	return &cli.Command{
		Flags:  out.flags(output.JSON, output.YAML, output.GoTemplate, output.TableFormat),
		Action: action(func(c *cli.Context) error { return runMetricDescs(c.Context, f, &out) }, noArgs, out.validate),
	}
}

var _ = register(command{name: "metricdescs", group: groupRuntime, build: newMetricDescsCommand,
	usage: "List metric descriptors. Returns information about the metrics available through the CRI",
	help: `Prints the runtime's ListMetricDescriptors reply: the name, help text and label keys of each
metric metricsp reports, as {"descriptors": [...]} (the reference's shape), or one line per
metric with -o table. A runtime without the call (containerd before 1.7) is named with its
version, exit 1.`})

func runMetricDescs(ctx context.Context, f *Factory, out *outputOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r, err := rs.ListMetricDescriptors(ctx, &runtimeapi.ListMetricDescriptorsRequest{})
	if err != nil {
		return unsupported(ctx, rs, err)
	}
	if out.format != output.TableFormat {
		return out.document(f, r)
	}
	t := output.NewTable("NAME", "LABELS", "HELP")
	for _, d := range r.GetDescriptors() {
		t.Row(d.GetName(), strings.Join(d.GetLabelKeys(), ","), d.GetHelp())
	}
	return t.Write(f.IO.Out, false)
}
