package commands

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newStopCommand, group: groupContainers, args: argContainer})
}

type stopOptions struct {
	grace  int64
	all    bool
	filter filterFlags
}

func newStopCommand(f *Factory) *cli.Command {
	o := &stopOptions{}
	flags := []cli.Flag{
		&cli.Int64Flag{Name: "timeout", Aliases: []string{"t"}, Destination: &o.grace,
			Usage: "seconds a container gets to stop after its stop signal before it is killed (0: killed at once)"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "stop every running container"},
	}
	flags = append(flags, o.filter.flags(containerScopeUsage("stop"))...)
	return &cli.Command{
		Name:      "stop",
		Usage:     "Stop one or more running containers",
		ArgsUsage: "CONTAINER (ID, ID prefix or name)... | --all",
		Description: "Prints the ID of each container stopped, as it completes; a failure is reported on stderr\n" +
			"and the others go on (exit 1 when any failed). Each StopContainer call may take --timeout\n" +
			"(the global one) plus the grace period.\n\n" + bulkHelp,
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := bulkArgs(c, o.all, "container", "--all"); err != nil {
				return err
			}
			if o.grace < 0 || o.grace > math.MaxInt32 {
				return usagef(commandPath(c), "--timeout %d: want whole seconds, 0 or more", o.grace)
			}
			if err := o.filter.validate(commandPath(c)); err != nil {
				return err
			}
			return runStop(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runStop(ctx context.Context, f *Factory, o *stopOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	rep := newReporter(ctx, f)
	running := runtimeapi.ContainerState_CONTAINER_RUNNING
	ts, listed, err := selectContainers(ctx, rs, rep, args, o.all, o.filter.scope(),
		&runtimeapi.ContainerStateValue{State: running},
		func(c *runtimeapi.Container) bool { return c.GetState() == running })
	if err != nil {
		return err
	}
	if o.all && len(ts) == 0 {
		rep.note("no running containers to stop")
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	// The runtime answers StopContainer only once the container is gone,
	// which may take the whole grace period.
	callCtx := ctx
	if cfg.Timeout > 0 {
		callCtx = cri.WithTimeout(ctx, cfg.Timeout+time.Duration(o.grace)*time.Second)
	}
	b := newBulk(ctx, rep, listed)
	b.run(len(ts), "containers", func(i int) {
		id := ts[i].id
		if err := b.call(func() error {
			_, err := rs.StopContainer(callCtx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: o.grace})
			return err
		}); err != nil {
			rep.fail(fmt.Errorf("stopping container %s: %w", id, err))
			return
		}
		rep.success(output.Escape(id))
	})
	return rep.result()
}
