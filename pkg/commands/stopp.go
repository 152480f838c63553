package commands

import (
	"context"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newStoppCommand(f *Factory) *cli.Command {
	return bulkCommand{
		description: "Prints \"Stopped sandbox ID\" for each pod stopped, as it completes; a failure is reported\n" +
			"on stderr and the others go on (exit 1 when any failed).",
		pods:          true,
		verb:          "stop",
		running:       true,
		none:          "No ready pods to stop",
		noArgsIsUsage: true,
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			return func(b *bulk, t target) {
				if b.do("stopping pod "+t.id, func() error { return stopPod(ctx, rs, t.id) }) {
					b.rep.success("Stopped sandbox " + output.Escape(t.id))
				}
			}, nil
		},
	}.build(f)
}

var _ = register(command{name: "stopp", group: groupPods, args: argPod, changes: true, build: newStoppCommand,
	usage: "Stop one or more running pods"})

func stopPod(ctx context.Context, rs runtimeapi.RuntimeServiceClient, id string) error {
	_, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id})
	return err
}
