package commands

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newRunCommand(f *Factory) *cli.Command {
	o := &createOptions{}
	return o.command(f, true, nil, func(ctx context.Context, _ []string) error { return runRun(ctx, f, o) })
}

var _ = register(command{name: "run", group: groupContainers, args: argFile, changes: true, build: newRunCommand,
	usage: "Run a new container in a new pod", argsUsage: "CONTAINER-CONFIG.[json|yaml] POD-CONFIG.[json|yaml]", help: runHelp})

// runHelp is the description in "crictl run --help".
const runHelp = `Pulls the image (unless --no-pull or disable-pull-on-run), creates the pod, creates and starts the
container, and prints the container's ID. When a step after the pod's creation fails, the pod is
stopped and removed again.`

// runRun pulls first, so a failed pull leaves nothing behind, then makes
// the pod, the container and starts it; when creating or starting the
// container fails, the pod is stopped and removed again.
func runRun(ctx context.Context, f *Factory, o *createOptions) error {
	if err := o.pullAll(ctx, f); err != nil {
		return err
	}
	podID, err := runPodSandbox(ctx, f, o.pod, o.runtime, &o.timeout)
	if err != nil {
		return err
	}
	id, err := createContainer(ctx, f, o, podID)
	if err == nil {
		var rs runtimeapi.RuntimeServiceClient
		if rs, err = f.Runtime(); err == nil {
			if _, err = rs.StartContainer(o.timeout.forContainer(ctx), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
				err = fmt.Errorf("starting the container %s: %w", id, err)
			}
		}
	}
	if err != nil {
		return rollbackPod(ctx, f, podID, err)
	}
	_, err = fmt.Fprintln(f.IO.Out, id)
	return err
}

// rollbackPod stops and removes the pod run created, after cause, even
// when cause is an interruption; the error reports both.
func rollbackPod(ctx context.Context, f *Factory, podID string, cause error) error {
	ctx = context.WithoutCancel(ctx)
	rs, err := f.Runtime()
	if err == nil {
		if _, err = rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID}); err == nil {
			_, err = rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podID})
		}
	}
	if err != nil {
		return fmt.Errorf("%w; removing the pod %s that run created failed too: %w (remove it with 'crictl rmp -f %s')", cause, podID, err, podID)
	}
	return fmt.Errorf("%w (the pod %s that run created was removed)", cause, podID)
}
