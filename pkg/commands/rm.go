package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newRmCommand, group: groupContainers, args: argContainer})
}

type rmOptions struct {
	force, keepLogs, all bool
	filter               filterFlags
}

func newRmCommand(f *Factory) *cli.Command {
	o := &rmOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Destination: &o.force, Usage: "stop a running container first (killed at once), then remove it"},
		&cli.BoolFlag{Name: "keep-logs", Aliases: []string{"k"}, Destination: &o.keepLogs, Usage: "keep the container's log file and its rotations"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "remove every container"},
	}
	flags = append(flags, o.filter.flags(containerScopeUsage("remove"))...)
	return &cli.Command{
		Name:      "rm",
		Usage:     "Remove one or more containers",
		ArgsUsage: "CONTAINER (ID, ID prefix or name)... | --all",
		Description: "Prints the ID of each container removed, as it completes; a failure is reported on stderr\n" +
			"and the others go on (exit 1 when any failed). A running container is refused unless\n" +
			"--force is given.\n\n" +
			"After the runtime removed a container, its log file and rotations (LOGPATH.*) are deleted\n" +
			"unless --keep-logs is given: only regular files, never through a symbolic link, and only\n" +
			"when the path is absolute, names a .log file and has no symbolic link among its\n" +
			"directories. Anything else is left alone with a warning.\n\n" + bulkHelp,
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := bulkArgs(c, o.all, "container", "--all"); err != nil {
				return err
			}
			if err := o.filter.validate(commandPath(c)); err != nil {
				return err
			}
			return runRm(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runRm(ctx context.Context, f *Factory, o *rmOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	rep := newReporter(ctx, f)
	ts, listed, err := selectContainers(ctx, rs, rep, args, o.all, o.filter.scope(), nil, nil)
	if err != nil {
		return err
	}
	if o.all && len(ts) == 0 {
		rep.note("no containers to remove")
		return nil
	}
	b := newBulk(ctx, rep, listed)
	b.run(len(ts), "containers", func(i int) { removeContainer(ctx, rs, b, o, ts[i]) })
	return rep.result()
}

func removeContainer(ctx context.Context, rs runtimeapi.RuntimeServiceClient, b *bulk, o *rmOptions, t target) {
	rep := b.rep
	id := t.id
	state, logPath := t.ctrState, ""
	// The status gives the log path; with --keep-logs it is needed only
	// when the state is not known from a list.
	if !o.keepLogs || !t.knownState {
		var resp *runtimeapi.ContainerStatusResponse
		err := b.call(func() (err error) {
			resp, err = rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
			return err
		})
		if err != nil {
			if cri.IsNotFound(err) {
				rep.fail(notFound("container", id, err))
			} else {
				rep.fail(fmt.Errorf("removing container %s: %w", id, err))
			}
			return
		}
		state, logPath = resp.GetStatus().GetState(), resp.GetStatus().GetLogPath()
	}
	if state == runtimeapi.ContainerState_CONTAINER_RUNNING {
		if !o.force {
			rep.fail(fmt.Errorf("removing container %s: it is running; stop it first or use --force", id))
			return
		}
		if err := b.call(func() error {
			_, err := rs.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 0})
			return err
		}); err != nil {
			rep.fail(fmt.Errorf("stopping container %s: %w", id, err))
			return
		}
	}
	if err := b.call(func() error {
		_, err := rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id})
		return err
	}); err != nil {
		rep.fail(fmt.Errorf("removing container %s: %w", id, err))
		return
	}
	rep.success(output.Escape(id))
	if o.keepLogs || logPath == "" {
		return
	}
	_, skipped, err := logs.RemoveFiles(logPath)
	for _, s := range skipped {
		rep.warn("container %s: left %s alone: it is a %s, not a regular file", id, s.Path, s.Kind)
	}
	if err != nil {
		rep.warn("container %s: log files not deleted: %v", id, err)
	}
}
