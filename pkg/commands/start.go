package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newStartCommand(f *Factory) *cli.Command {
	return &cli.Command{
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef(commandPath(c), "start needs at least one container")
			}
			for _, a := range c.Args().Slice() {
				if err := kube.CheckArg("container", a); err != nil {
					return usagef(commandPath(c), "%v", err)
				}
			}
			return runStart(c.Context, f, c.Args().Slice())
		},
	}
}

var _ = register(command{name: "start", group: groupContainers, args: argContainer, changes: true, build: newStartCommand,
	usage: "Start one or more created containers", argsUsage: "CONTAINER (ID, ID prefix or name)...", help: startHelp})

// startHelp is the description in "crictl start --help".
const startHelp = `Starts the containers one after another and prints the ID of each one started. A container
that cannot be started is reported and the others are still started; the exit code is then 1.`

func runStart(ctx context.Context, f *Factory, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r := resolve.New(rs, resolve.Scope{})
	failed := false
	report := func(err error) {
		failed = true
		f.printError(err)
	}
	// A runtime that cannot be reached fails every item the same way:
	// one error, not one per container.
	unreachable := func(err error) bool {
		var ce *cri.Error
		return errors.As(err, &ce) && ce.Code == codes.Unavailable
	}
	for _, a := range args {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		id, err := r.Container(ctx, a)
		if unreachable(err) {
			return err
		}
		if err != nil {
			report(err)
			continue
		}
		if _, err := rs.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
			switch {
			case unreachable(err):
				return err
			case cri.IsNotFound(err):
				report(notFound("container", a, err))
			default:
				report(fmt.Errorf("starting the container %s: %w", a, err))
			}
			continue
		}
		if _, err := fmt.Fprintln(f.IO.Out, id); err != nil {
			return err
		}
	}
	if failed {
		return errSilent
	}
	return nil
}
