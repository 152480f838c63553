package commands

import (
	"context"
	"math"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newStopCommand(f *Factory) *cli.Command {
	var grace int64
	return bulkCommand{
		description: "Prints the ID of each container stopped, as it completes; a failure is reported on stderr\n" +
			"and the others go on (exit 1 when any failed). Each StopContainer call may take --timeout\n" +
			"(the global one) plus the grace period.",
		verb:    "stop",
		running: true,
		none:    "No running containers found",
		flags: []cli.Flag{
			&cli.Int64Flag{Name: "timeout", Aliases: []string{"t"}, Destination: &grace,
				Usage: "seconds a container gets to stop after its stop signal before it is killed (0: killed at once)"},
		},
		check: func(c *cli.Context) error {
			if grace < 0 || grace > math.MaxInt32 {
				return usagef(commandPath(c), "--timeout %d: want whole seconds, 0 or more", grace)
			}
			return nil
		},
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			cfg, err := f.Config()
			if err != nil {
				return nil, err
			}
			// The runtime answers StopContainer only once the container
			// is gone, which may take the whole grace period.
			callCtx := ctx
			if cfg.Timeout > 0 {
				callCtx = cri.WithTimeout(ctx, cfg.Timeout+time.Duration(grace)*time.Second)
			}
			return func(b *bulk, t target) {
				if b.do("stopping container "+t.id, func() error {
					_, err := rs.StopContainer(callCtx, &runtimeapi.StopContainerRequest{ContainerId: t.id, Timeout: grace})
					return err
				}) {
					b.rep.success(output.Escape(t.id))
				}
			}, nil
		},
	}.build(f)
}

var _ = register(command{name: "stop", group: groupContainers, args: argContainer, changes: true, build: newStopCommand,
	usage: "Stop one or more running containers"})
