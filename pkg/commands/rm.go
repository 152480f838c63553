package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type rmOptions struct {
	force, keepLogs bool
}

func newRmCommand(f *Factory) *cli.Command {
	o := &rmOptions{}
	return bulkCommand{
		description: "Prints the ID of each container removed, as it completes; a failure is reported on stderr\n" +
			"and the others go on (exit 1 when any failed). A running container is refused unless\n" +
			"--force is given.\n\n" +
			"After the runtime removed a container, its log file and rotations (LOGPATH.*) are deleted\n" +
			"unless --keep-logs is given: only regular files, never through a symbolic link, and only\n" +
			"when the path is absolute, names a .log file and has no symbolic link among its\n" +
			"directories. Anything else is left alone with a warning.",
		verb:          "remove",
		none:          "No containers to remove",
		noArgsIsUsage: true,
		flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Destination: &o.force, Usage: "stop a running container first (killed at once), then remove it"},
			&cli.BoolFlag{Name: "keep-logs", Aliases: []string{"k"}, Destination: &o.keepLogs, Usage: "keep the container's log file and its rotations"},
		},
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			return func(b *bulk, t target) { removeContainer(ctx, rs, b, o, t) }, nil
		},
	}.build(f)
}

var _ = register(command{name: "rm", group: groupContainers, args: argContainer, changes: true, build: newRmCommand,
	usage: "Remove one or more containers"})

func removeContainer(ctx context.Context, rs runtimeapi.RuntimeServiceClient, b *bulk, o *rmOptions, t target) {
	id := t.id
	doing := "removing container " + id
	state, logPath := t.ctrState, ""
	// The status gives the log path; with --keep-logs it is needed only
	// when the state is not known from a list.
	if !o.keepLogs || !t.knownState {
		st := b.containerStatus(ctx, rs, id, doing)
		if st == nil {
			return
		}
		state, logPath = st.GetState(), st.GetLogPath()
	}
	if state == runtimeapi.ContainerState_CONTAINER_RUNNING {
		if !o.force {
			b.rep.fail(fmt.Errorf("container %q is running, please stop it first (or use --force)", id))
			return
		}
		if !b.do("stopping container "+id, func() error {
			_, err := rs.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: id, Timeout: 0})
			return err
		}) {
			return
		}
	}
	// Logs are deleted only under /var/log/pods or the pod's log
	// directory, which must be asked for while the container exists.
	allowed := []string{logs.PodLogRoot}
	if !o.keepLogs && logPath != "" {
		if _, err := logs.Confine(logPath, logs.PodLogRoot); errors.As(err, new(*logs.OutsideError)) {
			if dir, err := podLogDir(ctx, rs, id); err == nil && dir != "" {
				allowed = append(allowed, dir)
			}
		}
	}
	if !b.do(doing, func() error {
		_, err := rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id})
		return err
	}) {
		return
	}
	b.rep.success(output.Escape(id))
	if o.keepLogs || logPath == "" {
		return
	}
	_, skipped, err := logs.RemoveFiles(logPath, allowed...)
	for _, s := range skipped {
		b.rep.warn("container %s: left %s alone: it is a %s, not a regular file", id, s.Path, s.Kind)
	}
	if err != nil {
		b.rep.warn("container %s: log files not deleted: %v", id, err)
	}
}
