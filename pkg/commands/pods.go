package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type podsOptions struct {
	filter filterFlags
	list   listFlags
	follow followOptions

	pods *kube.PodFilter
}

func newPodsCommand(f *Factory) *cli.Command {
	o := &podsOptions{}
	flags := o.filter.flags(selectionUsage(true, "", ""))
	flags = append(flags, o.list.flags("pod", "IDs")...)
	return &cli.Command{
		UsageText: "crictl pods [options]",
		Flags:     append(flags, o.follow.flags("pods")...),
		Action: action(func(c *cli.Context) error {
			if o.follow.watch {
				return runPodsWatch(c.Context, f, o)
			}
			return runPods(c.Context, f, o)
		}, noArgs, o.list.out.validate, func(c *cli.Context) (err error) {
			if o.pods, err = o.filter.podFilter(commandPath(c)); err != nil {
				return err
			}
			return o.follow.validate(c, &o.list, o.filter.latest, o.filter.last)
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

// runPodsWatch prints the list as pods does, then a line for each change
// of a pod the filters select (whatever its state), until Ctrl-C.
func runPodsWatch(ctx context.Context, f *Factory, o *podsOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	return o.follow.follow(ctx, f, rs, &o.list, followed{
		list: func(ctx context.Context) (any, *output.Table, error) {
			pods, err := kube.ListPods(ctx, rs, o.pods)
			if err != nil {
				return nil, nil, err
			}
			return &runtimeapi.ListPodSandboxResponse{Items: pods}, podsTable(pods, f.Now(), o.list.noTrunc, o.list.out.format == output.Wide), nil
		},
		match:  func(ch watch.Change) bool { return ch.IsPod() && o.pods.MatchPod(ch.Pod) },
		header: []string{"TIME", "CHANGE", "POD ID", "NAME", "NAMESPACE"},
		widths: podChangeWidths,
		line: func(ch watch.Change) []string {
			md := ch.Pod.GetMetadata()
			return []string{f.changeTime(ch.Time), string(ch.Kind), output.TruncateID(ch.Pod.GetId(), "", o.list.noTrunc), md.GetName(), md.GetNamespace()}
		},
		key: "pod",
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
