package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newRmpCommand, group: groupPods, args: argPod})
}

type rmpOptions struct {
	force, all bool
	filter     filterFlags
}

func newRmpCommand(f *Factory) *cli.Command {
	o := &rmpOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Destination: &o.force, Usage: "stop a ready pod first, then remove it"},
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "remove every pod"},
	}
	flags = append(flags, o.filter.flags(podScopeUsage("remove"))...)
	return &cli.Command{
		Name:      "rmp",
		Usage:     "Remove one or more pods",
		ArgsUsage: "POD (ID, ID prefix or name)... | --all",
		Description: "Prints \"Removed sandbox ID\" for each pod removed, as it completes; a failure is reported\n" +
			"on stderr and the others go on (exit 1 when any failed). A ready pod is refused unless\n" +
			"--force is given. The runtime removes the pod's containers.\n\n" + bulkHelp,
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := bulkArgs(c, o.all, "pod", "--all"); err != nil {
				return err
			}
			if err := o.filter.validate(commandPath(c)); err != nil {
				return err
			}
			return runRmp(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runRmp(ctx context.Context, f *Factory, o *rmpOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	rep := newReporter(ctx, f)
	ts, listed, err := selectPods(ctx, rs, rep, args, o.all, o.filter.scope(), nil, nil)
	if err != nil {
		return err
	}
	if o.all && len(ts) == 0 {
		rep.note("no pods to remove")
		return nil
	}
	b := newBulk(ctx, rep, listed)
	b.run(len(ts), "pods", func(i int) { removePod(ctx, rs, b, o, ts[i]) })
	return rep.result()
}

func removePod(ctx context.Context, rs runtimeapi.RuntimeServiceClient, b *bulk, o *rmpOptions, t target) {
	rep := b.rep
	id, state := t.id, t.podState
	if !t.knownState {
		var resp *runtimeapi.PodSandboxStatusResponse
		err := b.call(func() (err error) {
			resp, err = rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
			return err
		})
		if err != nil {
			if cri.IsNotFound(err) {
				rep.fail(notFound("pod", id, err))
			} else {
				rep.fail(fmt.Errorf("removing pod %s: %w", id, err))
			}
			return
		}
		state = resp.GetStatus().GetState()
	}
	if state == runtimeapi.PodSandboxState_SANDBOX_READY {
		if !o.force {
			rep.fail(fmt.Errorf("removing pod %s: it is ready (running); stop it first (stopp) or use --force", id))
			return
		}
		if err := b.call(func() error {
			_, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id})
			return err
		}); err != nil {
			rep.fail(fmt.Errorf("stopping pod %s: %w", id, err))
			return
		}
	}
	if err := b.call(func() error {
		_, err := rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id})
		return err
	}); err != nil {
		rep.fail(fmt.Errorf("removing pod %s: %w", id, err))
		return
	}
	rep.success("Removed sandbox " + output.Escape(id))
}
