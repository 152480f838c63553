package commands

import (
	"context"
	"errors"
	"time"

	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stream"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newAttachCommand, group: groupContainers, args: argContainer, firstArgOnly: true})
}

type attachOptions struct {
	stream     streamOptions
	tty, stdin bool
	detachKeys string
	keys       []byte
}

func newAttachCommand(f *Factory) *cli.Command {
	o := &attachOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "stdin", Aliases: []string{"i"}, Destination: &o.stdin, Usage: "send crictl's stdin to the container"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Destination: &o.tty, Usage: "attach to the container's terminal (needs -i and a terminal on stdin)"},
		&cli.StringFlag{Name: "detach-keys", Value: stream.DefaultDetachKeys, Destination: &o.detachKeys,
			Usage: `with -t: the keys that detach and leave the container running (ctrl-<letter> or a character, comma-separated; "" disables)`},
	}
	flags = append(flags, o.stream.flags()...)
	return &cli.Command{
		Name:      "attach",
		Usage:     "Attach to a running container",
		ArgsUsage: "CONTAINER (ID, ID prefix or name)",
		Description: "Shows the container's output (and, with -i, sends it crictl's stdin) until the container\n" +
			"ends, the detach keys are typed (with -t) or Ctrl-C; when the container has ended, crictl exits\n" +
			"with its exit code.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			cmd := commandPath(c)
			if c.NArg() != 1 {
				return usagef(cmd, "attach takes one container (ID, ID prefix or name)")
			}
			if o.tty && !o.stdin {
				return usagef(cmd, "-t/--tty needs -i/--stdin")
			}
			if o.tty {
				if _, ok := stdinFd(f); !ok {
					return usagef(cmd, "-t/--tty needs a terminal on stdin; leave out -t to pipe input")
				}
			}
			var err error
			if o.keys, err = stream.ParseDetachKeys(o.detachKeys); err != nil {
				return usagef(cmd, "--detach-keys: %v", err)
			}
			if err := o.stream.validate(c); err != nil {
				return err
			}
			return runAttach(c.Context, f, o, c.Args().First())
		},
	}
}

func runAttach(ctx context.Context, f *Factory, o *attachOptions, arg string) error {
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
	err = runStream(ctx, f, &o.stream, resp.GetUrl(), streamSession{
		stdin: o.stdin, tty: o.tty, keys: o.keys, out: f.IO.Out, errOut: f.IO.ErrOut,
	})
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
