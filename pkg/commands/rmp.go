package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newRmpCommand(f *Factory) *cli.Command {
	var force bool
	return bulkCommand{
		description: "Prints \"Removed sandbox ID\" for each pod removed, as it completes; a failure is reported\n" +
			"on stderr and the others go on (exit 1 when any failed). A ready pod is refused unless\n" +
			"--force is given. The runtime removes the pod's containers.",
		pods:          true,
		verb:          "remove",
		none:          "No pods to remove",
		noArgsIsUsage: true,
		flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Destination: &force, Usage: "stop a ready pod first, then remove it"},
		},
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			return func(b *bulk, t target) { removePod(ctx, rs, b, force, t) }, nil
		},
	}.build(f)
}

var _ = register(command{name: "rmp", group: groupPods, args: argPod, changes: true, build: newRmpCommand,
	usage: "Remove one or more pods"})

func removePod(ctx context.Context, rs runtimeapi.RuntimeServiceClient, b *bulk, force bool, t target) {
	id, state := t.id, t.podState
	doing := "removing pod " + id
	if !t.knownState {
		var ok bool
		if state, ok = b.podState(ctx, rs, id, doing); !ok {
			return
		}
	}
	if state == runtimeapi.PodSandboxState_SANDBOX_READY {
		if !force {
			b.rep.fail(fmt.Errorf("pod sandbox %q is running, please stop it first (stopp, or use --force)", id))
			return
		}
		if !b.do("stopping pod "+id, func() error { return stopPod(ctx, rs, id) }) {
			return
		}
	}
	if !b.do(doing, func() error {
		_, err := rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id})
		return err
	}) {
		return
	}
	b.rep.success("Removed sandbox " + output.Escape(id))
}
