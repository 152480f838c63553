package commands

import (
	"context"
	"errors"
	"time"

	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newAttachCommand(f *Factory) *cli.Command {
	o := &sessionFlags{}
	return &cli.Command{
		Flags: o.flags("stdin", "send crictl's stdin to the container", "attach to the container's terminal",
			"detach and leave the container running"),
		Action: action(func(c *cli.Context) error { return runAttach(c.Context, f, o, c.Args().First()) },
			func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usagef(commandPath(c), "attach takes one container (ID, ID prefix or name)")
				}
				return o.validate(c, f)
			}),
	}
}

var _ = register(command{name: "attach", group: groupContainers, args: argContainer, firstArgOnly: true, changes: true, build: newAttachCommand,
	usage: "Attach to a running container", argsUsage: "CONTAINER (ID, ID prefix or name)", help: attachHelp})

// attachHelp is the description in "crictl attach --help".
const attachHelp = `Shows the container's output (and, with -i, sends it crictl's stdin) until the container
ends, the detach keys are typed (with -t) or Ctrl-C; when the container has ended, crictl exits
with its exit code.`

func runAttach(ctx context.Context, f *Factory, o *sessionFlags, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	id, err := resolve.New(rs, resolve.Scope{}).Container(ctx, arg)
	if err != nil {
		return err
	}
	resp, err := rs.Attach(ctx, &runtimeapi.AttachRequest{
		ContainerId: id, Stdin: o.stdin, Tty: o.tty, Stdout: true, Stderr: !o.tty,
	})
	if err != nil {
		return err
	}
	err = o.run(ctx, f, resp.GetUrl(), f.IO.Out, f.IO.ErrOut)
	if err != nil || ctx.Err() != nil {
		return err
	}
	return attachExitCode(ctx, f, rs, id)
}

// attachExitCode is the container's exit code once an attach session ended
// by itself: the stream does not carry it, the container's status does. A
// container that is still running (its output was closed, or stdin ended)
// gives 0.
func attachExitCode(ctx context.Context, f *Factory, rs runtimeapi.RuntimeServiceClient, id string) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	// The runtime records the exit a moment after the output closes.
	deadline := time.Now().Add(min(cfg.Timeout, time.Second))
	for {
		st, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			// The session itself went well; the exit code is a bonus.
			return nil
		}
		if st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_EXITED {
			if code := st.GetStatus().GetExitCode(); code != 0 {
				return &ExitError{Code: exitCodeOf(int(code))}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
