package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type podsOptions struct {
	filter filterFlags
	list   listFlags

	pods *kube.PodFilter
}

func newPodsCommand(f *Factory) *cli.Command {
	o := &podsOptions{}
	flags := o.filter.flags(selectionUsage(true, "", ""))
	return &cli.Command{
		UsageText: "crictl pods [options]",
		Flags:     append(flags, o.list.flags("pod", "IDs")...),
		Action: action(func(c *cli.Context) error { return runPods(c.Context, f, o) },
			noArgs, o.list.out.validate, func(c *cli.Context) (err error) {
				o.pods, err = o.filter.podFilter(commandPath(c))
				return err
			}),
	}
}

var _ = register(command{name: "pods", group: groupPods, build: newPodsCommand,
	usage: "List pods"})

func runPods(ctx context.Context, f *Factory, o *podsOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	pods, err := kube.ListPods(ctx, rs, o.pods)
	if err != nil {
		return err
	}
	return printList(f, &o.list, &runtimeapi.ListPodSandboxResponse{Items: pods}, pods,
		func() error { return podsVerbose(f, pods) },
		func() *output.Table {
			return podsTable(pods, f.Now(), o.list.noTrunc, o.list.out.format == output.Wide)
		})
}

func podsTable(pods []*runtimeapi.PodSandbox, now time.Time, noTrunc, wide bool) *output.Table {
	header := []string{"POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"}
	if wide {
		header = append(header, "UID")
	}
	t := output.NewTable(header...)
	idCol := output.NewIDColumn(idsOf(pods), "", noTrunc)
	for _, p := range pods {
		md := p.GetMetadata()
		t.Row(
			idCol.Format(p.GetId()),
			output.Age(now, time.Unix(0, p.GetCreatedAt())),
			kube.PodState(p.GetState()),
			md.GetName(),
			md.GetNamespace(),
			strconv.FormatUint(uint64(md.GetAttempt()), 10),
			kube.RuntimeHandler(p.GetRuntimeHandler()),
			md.GetUid(),
		)
	}
	return t
}

func podsVerbose(f *Factory, pods []*runtimeapi.PodSandbox) error {
	var kv output.KV
	for _, p := range pods {
		md := p.GetMetadata()
		kv.Add("ID", p.GetId())
		addIf(&kv, "Name", md.GetName())
		addIf(&kv, "UID", md.GetUid())
		addIf(&kv, "Namespace", md.GetNamespace())
		if md.GetAttempt() != 0 {
			kv.Add("Attempt", strconv.FormatUint(uint64(md.GetAttempt()), 10))
		}
		kv.Add("Status", kube.PodState(p.GetState()))
		kv.Add("Created", f.localTime(p.GetCreatedAt()).String())
		addMap(&kv, "Labels", p.GetLabels())
		addMap(&kv, "Annotations", p.GetAnnotations())
		kv.Add("Runtime", kube.RuntimeHandler(p.GetRuntimeHandler()))
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}
