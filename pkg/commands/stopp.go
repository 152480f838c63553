package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newStoppCommand, group: groupPods, args: argPod})
}

type stoppOptions struct {
	all    bool
	filter filterFlags
}

func newStoppCommand(f *Factory) *cli.Command {
	o := &stoppOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "stop every ready pod"},
	}
	flags = append(flags, o.filter.flags(podScopeUsage("stop"))...)
	return &cli.Command{
		Name:      "stopp",
		Usage:     "Stop one or more running pods",
		ArgsUsage: "POD (ID, ID prefix or name)... | --all",
		Description: "Prints \"Stopped sandbox ID\" for each pod stopped, as it completes; a failure is reported\n" +
			"on stderr and the others go on (exit 1 when any failed).\n\n" + bulkHelp,
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := bulkArgs(c, o.all, "pod", "--all"); err != nil {
				return err
			}
			if err := o.filter.validate(commandPath(c)); err != nil {
				return err
			}
			return runStopp(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runStopp(ctx context.Context, f *Factory, o *stoppOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	rep := newReporter(ctx, f)
	ready := runtimeapi.PodSandboxState_SANDBOX_READY
	ts, listed, err := selectPods(ctx, rs, rep, args, o.all, o.filter.scope(),
		&runtimeapi.PodSandboxStateValue{State: ready},
		func(p *runtimeapi.PodSandbox) bool { return p.GetState() == ready })
	if err != nil {
		return err
	}
	if o.all && len(ts) == 0 {
		rep.note("no ready pods to stop")
		return nil
	}
	b := newBulk(ctx, rep, listed)
	b.run(len(ts), "pods", func(i int) {
		id := ts[i].id
		if err := b.call(func() error {
			_, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id})
			return err
		}); err != nil {
			rep.fail(fmt.Errorf("stopping pod %s: %w", id, err))
			return
		}
		rep.success("Stopped sandbox " + output.Escape(id))
	})
	return rep.result()
}
