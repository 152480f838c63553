package commands

import (
	"bytes"
	"context"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type metricspOptions struct {
	out      outputOptions
	watch    bool
	rawEvery string
	every    time.Duration
}

func newMetricspCommand(f *Factory) *cli.Command {
	o := &metricspOptions{}
	flags := append(o.out.flags(output.JSON, output.YAML, output.GoTemplate),
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "print the metrics again every --interval until Ctrl-C: in place on a terminal, one JSON document per line elsewhere"},
		intervalFlag(&o.rawEvery, "with --watch, how often to print the metrics (`DURATION`: 1s, 500ms, 2)"))
	return &cli.Command{
		Flags: flags,
		Action: action(func(c *cli.Context) error { return runMetricsp(c.Context, f, o) }, noArgs, o.out.validate,
			func(c *cli.Context) (err error) {
				o.every, err = parseInterval(commandPath(c), "interval", o.rawEvery, watch.DefaultInterval)
				return err
			}),
	}
}

var _ = register(command{name: "metricsp", group: groupPods, build: newMetricspCommand,
	usage: "List pod metrics. Metrics are unstructured key/value pairs gathered by CRI meant to replace cAdvisor's /metrics/cadvisor endpoint",
	help: `Prints the runtime's ListPodSandboxMetrics reply as {"podMetrics": [...]} (the reference's
shape); metricdescs describes the metrics. A runtime without the call (containerd before 1.7)
is named with its version, exit 1.`})

func runMetricsp(ctx context.Context, f *Factory, o *metricspOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
		r, err := rs.ListPodSandboxMetrics(ctx, &runtimeapi.ListPodSandboxMetricsRequest{})
		if err != nil {
			return nil, unsupported(ctx, rs, err)
		}
		return r, nil
	}
	if !o.watch {
		r, err := fetch(ctx)
		if err != nil {
			return err
		}
		return o.out.document(f, r)
	}
	return watchFrames(ctx, f, o.out.format, o.every, func(ctx context.Context, w *bytes.Buffer, redraw bool) error {
		r, err := fetch(ctx)
		if err != nil {
			return err
		}
		return watchDocument(f, w, &o.out, r, redraw)
	})
}
