package commands

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newPsCommand, group: groupContainers})
}

// containerListUsage words the filter flags of the commands that list
// containers (ps, inspect).
var containerListUsage = map[filterFlag]string{
	fID:        "keep only the container with this ID (or ID prefix)",
	fName:      "keep only containers with this name (exact; a regular expression with --regex)",
	fNamespace: "keep only containers of pods in this namespace (exact; a regular expression with --regex)",
	fPod:       "keep only containers of this pod (pod ID, ID prefix or name)",
	fImage:     "keep only containers of this image (name[:tag], digest or image ID)",
	fRegex:     regexUsage,
	fState:     "keep only containers in this state: created, running, exited or unknown",
	fLatest:    "show only the most recently created container (any state)",
	fLast:      "show only the N most recently created containers, any state (0: all)",
	fAll:       "show containers in every state, not only running ones",
	fLabel:     labelUsage,
	fSelector:  selectorUsage,
}

type psOptions struct {
	filter                  filterFlags
	verbose, quiet, noTrunc bool
	noHeaders, resolveImage bool
	out                     outputOptions

	containers *kube.ContainerFilter
}

func newPsCommand(f *Factory) *cli.Command {
	o := &psOptions{}
	flags := o.filter.flags(containerListUsage)
	flags = append(flags,
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Destination: &o.verbose, Usage: "show every field of each container"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "print only container IDs"},
		&cli.BoolFlag{Name: "no-trunc", Destination: &o.noTrunc, Usage: "show full IDs"},
		&cli.BoolFlag{Name: "no-headers", Destination: &o.noHeaders, Usage: "print tables without the header line"},
		&cli.BoolFlag{Name: "resolve-image-path", Aliases: []string{"r"}, Destination: &o.resolveImage, Usage: "show the image's repository:tag instead of its ID"},
	)
	flags = append(flags, o.out.flags(listFormats...)...)
	return &cli.Command{
		Name:      "ps",
		Usage:     "List containers",
		UsageText: "crictl ps [options]",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := o.out.validate(c); err != nil {
				return err
			}
			var err error
			if o.containers, err = o.filter.containerFilter(commandPath(c)); err != nil {
				return err
			}
			return runPs(c.Context, f, o)
		},
	}
}

func runPs(ctx context.Context, f *Factory, o *psOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	// Documents print the runtime's containers as they are: the pods are
	// needed only to filter by them.
	doc := o.out.isDocument()
	res, err := kube.ListContainers(ctx, rs, f.Image, o.containers, kube.Join{Pods: !doc, Images: o.resolveImage && !doc})
	if err != nil {
		return err
	}
	switch {
	case doc:
		err = o.out.document(f, &runtimeapi.ListContainersResponse{Containers: res.Items})
	case o.quiet:
		err = writeIDs(f, res.Items)
	case o.verbose:
		err = psVerbose(f, res)
	default:
		err = psTable(res, f.Now(), o.noTrunc, o.resolveImage, o.out.format == output.Wide).Write(f.IO.Out, o.noHeaders)
	}
	if err != nil {
		return err
	}
	return f.reportErrors(res.Errs)
}

func psTable(res *kube.Containers, now time.Time, noTrunc, resolve, wide bool) *output.Table {
	header := []string{"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"}
	if wide {
		header = append(header, "IMAGE ID", "POD UID")
	}
	t := output.NewTable(header...)
	ids := make([]string, 0, len(res.Items))
	podIDs := make([]string, 0, len(res.Items))
	for _, c := range res.Items {
		ids = append(ids, c.GetId())
		podIDs = append(podIDs, c.GetPodSandboxId())
	}
	idCol := output.NewIDColumn(ids, "", noTrunc)
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
		kv.Add("ID", c.GetId())
		kv.Add("PodID", c.GetPodSandboxId())
		kv.Add("Pod", pod)
		kv.Add("Namespace", ns)
		addIf(&kv, "Name", c.GetMetadata().GetName())
		kv.Add("Attempt", strconv.FormatUint(uint64(c.GetMetadata().GetAttempt()), 10))
		kv.Add("State", kube.ContainerState(c.GetState()))
		kv.Add("Image", c.GetImage().GetImage())
		kv.Add("Created", output.Age(now, time.Unix(0, c.GetCreatedAt())))
		addMap(&kv, "Labels", c.GetLabels())
		addMap(&kv, "Annotations", c.GetAnnotations())
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}
