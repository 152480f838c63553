package commands

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type psOptions struct {
	filter       filterFlags
	list         listFlags
	follow       followOptions
	resolveImage bool

	containers *kube.ContainerFilter
}

func newPsCommand(f *Factory) *cli.Command {
	o := &psOptions{}
	flags := append(o.filter.flags(selectionUsage(false, "", "")),
		&cli.BoolFlag{Name: "resolve-image-path", Aliases: []string{"r"}, Destination: &o.resolveImage, Usage: "show the image's repository:tag instead of its ID"})
	flags = append(flags, o.list.flags("container", "IDs")...)
	return &cli.Command{
		UsageText: "crictl ps [options]",
		Flags:     append(flags, o.follow.flags("containers")...),
		Action: action(func(c *cli.Context) error {
			if o.follow.watch {
				return runPsWatch(c.Context, f, o)
			}
			return runPs(c.Context, f, o)
		}, noArgs, o.list.out.validate, func(c *cli.Context) (err error) {
			if o.containers, err = o.filter.containerFilter(commandPath(c)); err != nil {
				return err
			}
			return o.follow.validate(c, &o.list, o.filter.latest, o.filter.last)
		}),
	}
}

var _ = register(command{name: "ps", group: groupContainers, build: newPsCommand,
	usage: "List containers"})

func runPs(ctx context.Context, f *Factory, o *psOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	// Documents print the runtime's containers as they are: the pods are
	// needed only to filter by them.
	doc := o.list.out.isDocument()
	res, err := kube.ListContainers(ctx, rs, f.Image, o.containers, kube.Join{Pods: !doc, Images: o.resolveImage && !doc})
	if err != nil {
		return err
	}
	if err := printList(f, &o.list, &runtimeapi.ListContainersResponse{Containers: res.Items}, res.Items,
		func() error { return psVerbose(f, res) },
		func() *output.Table {
			return psTable(res, f.Now(), o.list.noTrunc, o.resolveImage, o.list.out.format == output.Wide)
		}); err != nil {
		return err
	}
	return f.reportErrors(res.Errs)
}

// runPsWatch prints the list as ps does, then a line for each change of
// a container the filters select (whatever its state), until Ctrl-C.
func runPsWatch(ctx context.Context, f *Factory, o *psOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	var img *runtimeapi.Image
	return o.follow.follow(ctx, f, rs, &o.list, followed{
		containers: true,
		list: func(ctx context.Context) (any, *output.Table, error) {
			doc := o.list.out.isDocument()
			res, err := kube.ListContainers(ctx, rs, f.Image, o.containers, kube.Join{Pods: !doc, Images: o.resolveImage && !doc})
			if err != nil {
				return nil, nil, err
			}
			for _, e := range res.Errs {
				f.warnf("%v", e)
			}
			if o.containers.Image != "" {
				img = res.Images.Find(o.containers.Image)
			}
			return &runtimeapi.ListContainersResponse{Containers: res.Items},
				psTable(res, f.Now(), o.list.noTrunc, o.resolveImage, o.list.out.format == output.Wide), nil
		},
		match: func(ch watch.Change) bool {
			pods := kube.PodIndex{}
			if ch.Pod != nil {
				pods[ch.Pod.GetId()] = ch.Pod
			}
			return !ch.IsPod() && o.containers.MatchContainer(ch.Container, pods, img)
		},
		header: changeHeader("CHANGE"),
		widths: changeWidths,
		line: func(ch watch.Change) []string {
			pods := kube.PodIndex{}
			if ch.Pod != nil {
				pods[ch.Pod.GetId()] = ch.Pod
			}
			pod, ns := pods.PodOf(ch.Container)
			return []string{f.changeTime(ch.Time), string(ch.Kind), output.TruncateID(ch.Container.GetId(), "", o.list.noTrunc),
				ch.Container.GetMetadata().GetName(), pod, ns}
		},
		key: "container",
	})
}

func psTable(res *kube.Containers, now time.Time, noTrunc, resolve, wide bool) *output.Table {
	header := []string{"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"}
	if wide {
		header = append(header, "IMAGE ID", "POD UID")
	}
	t := output.NewTable(header...)
	podIDs := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		podIDs = append(podIDs, c.GetPodSandboxId())
	}
	idCol := output.NewIDColumn(idsOf(res.Items), "", noTrunc)
	podCol := output.NewIDColumn(podIDs, "", noTrunc)
	for _, c := range res.Items {
		pod, ns := res.Pods.PodOf(c)
		image := c.GetImage().GetImage()
		if resolve {
			image = res.Images.RepoTag(c)
		} else if strings.HasPrefix(image, "sha256:") {
			image = output.TruncateID(image, "sha256:", noTrunc)
		}
		t.Row(
			idCol.Format(c.GetId()),
			image,
			output.Age(now, time.Unix(0, c.GetCreatedAt())),
			kube.ContainerState(c.GetState()),
			c.GetMetadata().GetName(),
			strconv.FormatUint(uint64(c.GetMetadata().GetAttempt()), 10),
			podCol.Format(c.GetPodSandboxId()),
			pod,
			ns,
			output.TruncateID(c.GetImageRef(), "sha256:", noTrunc),
			res.Pods[c.GetPodSandboxId()].GetMetadata().GetUid(),
		)
	}
	return t
}

func psVerbose(f *Factory, res *kube.Containers) error {
	var kv output.KV
	now := f.Now()
	for _, c := range res.Items {
		pod, ns := res.Pods.PodOf(c)
		// The reference's lines in its order; what crictl adds (Pod) comes
		// last, so a script reading lines by position reads ours alike.
		kv.Add("ID", c.GetId())
		kv.Add("PodID", c.GetPodSandboxId())
		kv.Add("Namespace", ns)
		addIf(&kv, "Name", c.GetMetadata().GetName())
		kv.Add("Attempt", strconv.FormatUint(uint64(c.GetMetadata().GetAttempt()), 10))
		kv.Add("State", kube.ContainerState(c.GetState()))
		kv.Add("Image", c.GetImage().GetImage())
		kv.Add("Created", output.Age(now, time.Unix(0, c.GetCreatedAt())))
		addMap(&kv, "Labels", c.GetLabels())
		addMap(&kv, "Annotations", c.GetAnnotations())
		kv.Add("Pod", pod)
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}
