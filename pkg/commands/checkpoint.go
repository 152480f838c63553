package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// checkpointWait bounds a checkpoint call when --timeout does not: the
// runtime stops the container's processes and writes their memory out,
// which takes far longer than the per-call --timeout.
const checkpointWait = 5 * time.Minute

type checkpointOptions struct {
	export  string
	timeout int64

	// dir: export names a directory, each archive goes into it.
	dir bool
}

func newCheckpointCommand(f *Factory) *cli.Command {
	o := &checkpointOptions{}
	return bulkCommand{
		description: "Checkpoints each container into a tar archive the runtime writes (CheckpointContainer; it\n" +
			"needs criu on the node). --export names the archive, as an absolute path or relative to the\n" +
			"current directory (the runtime is sent the absolute path). With several containers, or when\n" +
			"--export names an existing directory, each archive goes into that directory as\n" +
			"checkpoint-<container ID>.tar. Prints the ID of each container checkpointed, as it completes;\n" +
			"a failure is reported on stderr and the others go on (exit 1 when any failed).",
		flags: []cli.Flag{
			&cli.StringFlag{Name: "export", Aliases: []string{"e"}, Destination: &o.export,
				Usage: "the tar `ARCHIVE` to write (/path/to/checkpoint.tar), or a directory to write one per container into"},
			&cli.Int64Flag{Name: "timeout", Destination: &o.timeout,
				Usage: "seconds the runtime may take for each checkpoint (0: the runtime's default; crictl waits up to " + checkpointWait.String() + ")"},
		},
		check: o.validate,
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			return func(b *bulk, t target) { o.checkpoint(ctx, f, rs, b, t.id) }, nil
		},
	}.build(f)
}

var _ = register(command{name: "checkpoint", group: groupContainers, args: argContainer, changes: true, build: newCheckpointCommand,
	usage: "Checkpoint one or more running containers"})

func (o *checkpointOptions) validate(c *cli.Context) error {
	cmd := commandPath(c)
	if o.export == "" {
		// the reference's words
		return usagef(cmd, "cannot checkpoint a container without specifying the checkpoint destination. Use --export=/path/to/checkpoint.tar")
	}
	if o.timeout < 0 {
		return usagef(cmd, "--timeout %d: must be 0 or more seconds", o.timeout)
	}
	abs, err := filepath.Abs(o.export)
	if err != nil {
		return usagef(cmd, "--export %q: %v", o.export, err)
	}
	o.export = abs
	fi, err := os.Stat(abs)
	o.dir = err == nil && fi.IsDir()
	switch {
	case o.dir:
	case c.NArg() > 1:
		return usagef(cmd, "--export %s: with several containers, give a directory to write one archive per container into", abs)
	default:
		if pi, err := os.Stat(filepath.Dir(abs)); err != nil || !pi.IsDir() {
			return usagef(cmd, "--export %s: no directory %s to write the archive into", abs, filepath.Dir(abs))
		}
	}
	return nil
}

// checkpoint checkpoints one container and reports it.
func (o *checkpointOptions) checkpoint(ctx context.Context, f *Factory, rs runtimeapi.RuntimeServiceClient, b *bulk, id string) {
	loc := o.export
	if o.dir {
		loc = filepath.Join(o.export, "checkpoint-"+id+".tar")
	}
	wait := checkpointWait
	if o.timeout > 0 {
		if cfg, err := f.Config(); err == nil {
			wait = time.Duration(o.timeout)*time.Second + cfg.Timeout
		}
	}
	// Called once, not through the runner's retries: a checkpoint that
	// timed out may still be running in the runtime.
	_, err := rs.CheckpointContainer(cri.WithTimeout(ctx, wait), &runtimeapi.CheckpointContainerRequest{
		ContainerId: id, Location: loc, Timeout: o.timeout,
	})
	switch {
	case err == nil:
		b.rep.success(id)
	case cri.IsNotFound(err):
		b.rep.fail(notFound("container", id, err))
	default:
		// the reference's words
		b.rep.fail(fmt.Errorf("checkpointing the container %q failed: %w", id, unsupported(ctx, rs, err)))
	}
}
