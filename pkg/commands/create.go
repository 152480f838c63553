package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newCreateCommand(f *Factory) *cli.Command {
	o := &createOptions{}
	return o.command(f, false, func(c *cli.Context) error {
		if err := kube.CheckArg("pod", c.Args().First()); err != nil {
			return usagef(commandPath(c), "%v", err)
		}
		return nil
	}, func(ctx context.Context, args []string) error { return runCreate(ctx, f, o, args[0]) })
}

var _ = register(command{name: "create", group: groupContainers, args: argPod, firstArgOnly: true, changes: true, build: newCreateCommand,
	usage: "Create a new container in a pod", argsUsage: "POD CONTAINER-CONFIG.[json|yaml] POD-CONFIG.[json|yaml]", help: createHelp})

// createHelp is the description in "crictl create --help".
const createHelp = `POD is the pod's ID, ID prefix or name; POD-CONFIG is the config it was created from. Prints the
new container's ID. The image is not pulled unless --with-pull or pull-image-on-create is given.`

func runCreate(ctx context.Context, f *Factory, o *createOptions, podArg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	podID, err := resolve.New(rs, resolve.Scope{}).Pod(ctx, podArg)
	if err != nil {
		return err
	}
	if err := o.pullAll(ctx, f); err != nil {
		return err
	}
	id, err := createContainer(ctx, f, o, podID)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f.IO.Out, id)
	return err
}

func createContainer(ctx context.Context, f *Factory, o *createOptions, podID string) (string, error) {
	rs, err := f.Runtime()
	if err != nil {
		return "", err
	}
	resp, err := rs.CreateContainer(o.timeout.forContainer(ctx), &runtimeapi.CreateContainerRequest{
		PodSandboxId: podID, Config: o.ctr, SandboxConfig: o.pod,
	})
	if err != nil {
		return "", fmt.Errorf("creating the container %s: %w", o.ctr.GetMetadata().GetName(), err)
	}
	return resp.GetContainerId(), nil
}
