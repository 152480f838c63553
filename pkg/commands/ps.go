package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type psOptions struct {
	containerFilter
	verbose, quiet, noTrunc bool
	noHeaders, resolveImage bool
	out                     outputOptions
}

func newPsCommand(f *Factory) *cli.Command {
	o := &psOptions{}
	flags := o.containerFilter.flags(true)
	flags = append(flags,
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Destination: &o.verbose, Usage: "show every field of each container"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "print only container IDs"},
		&cli.BoolFlag{Name: "no-trunc", Destination: &o.noTrunc, Usage: "show full IDs"},
		&cli.BoolFlag{Name: "no-headers", Destination: &o.noHeaders, Usage: "print tables without the header line"},
		&cli.BoolFlag{Name: "resolve-image-path", Aliases: []string{"r"}, Destination: &o.resolveImage, Usage: "show the image's repository:tag instead of its ID"},
	)
	flags = append(flags, o.out.flags(output.TableFormat, output.TableFormat, output.Wide, output.JSON, output.YAML, output.GoTemplate)...)
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
			if err := o.containerFilter.validate(c); err != nil {
				return err
			}
			return runPs(c.Context, f, o)
		},
	}
}

func runPs(ctx context.Context, f *Factory, o *psOptions) error {
	// Documents print the runtime's containers as they are: the pods are
	// needed only to filter by them.
	res, err := o.list(ctx, f, !o.out.isDocument(), o.resolveImage && !o.out.isDocument())
	if err != nil {
		return err
	}
	switch {
	case o.out.isDocument():
		err = o.out.document(f, &runtimeapi.ListContainersResponse{Containers: res.containers})
	case o.quiet:
		err = writeIDs(f, res.containers)
	case o.verbose:
		err = psVerbose(f, res)
	default:
		err = psTable(res, f.Now(), o.noTrunc, o.resolveImage, o.out.format == output.Wide).Write(f.IO.Out, o.noHeaders)
	}
	if err != nil {
		return err
	}
	return res.warnings(f)
}

func psTable(res *containerList, now time.Time, noTrunc, resolve, wide bool) *output.Table {
	header := []string{"CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD", "NAMESPACE"}
	if wide {
		header = append(header, "IMAGE ID", "POD UID")
	}
	t := output.NewTable(header...)
	ids := make([]string, 0, len(res.containers))
	podIDs := make([]string, 0, len(res.containers))
	for _, c := range res.containers {
		ids = append(ids, c.GetId())
		podIDs = append(podIDs, c.GetPodSandboxId())
	}
	idCol := output.NewIDColumn(ids, "", noTrunc)
	podCol := output.NewIDColumn(podIDs, "", noTrunc)
	for _, c := range res.containers {
		pod, ns := res.pods.podOf(c)
		image := c.GetImage().GetImage()
		if resolve {
			image = res.images.repoTag(c)
		} else if strings.HasPrefix(image, "sha256:") {
			image = output.TruncateID(image, "sha256:", noTrunc)
		}
		t.Row(
			idCol.Format(c.GetId()),
			image,
			output.Age(now, time.Unix(0, c.GetCreatedAt())),
			containerState(c.GetState()),
			c.GetMetadata().GetName(),
			strconv.FormatUint(uint64(c.GetMetadata().GetAttempt()), 10),
			podCol.Format(c.GetPodSandboxId()),
			pod,
			ns,
			output.TruncateID(c.GetImageRef(), "sha256:", noTrunc),
			res.pods[c.GetPodSandboxId()].GetMetadata().GetUid(),
		)
	}
	return t
}

func psVerbose(f *Factory, res *containerList) error {
	var kv output.KV
	now := f.Now()
	for _, c := range res.containers {
		pod, ns := res.pods.podOf(c)
		kv.Add("ID", c.GetId())
		kv.Add("PodID", c.GetPodSandboxId())
		kv.Add("Pod", pod)
		kv.Add("Namespace", ns)
		addIf(&kv, "Name", c.GetMetadata().GetName())
		kv.Add("Attempt", strconv.FormatUint(uint64(c.GetMetadata().GetAttempt()), 10))
		kv.Add("State", containerState(c.GetState()))
		kv.Add("Image", c.GetImage().GetImage())
		kv.Add("Created", output.Age(now, time.Unix(0, c.GetCreatedAt())))
		addMap(&kv, "Labels", c.GetLabels())
		addMap(&kv, "Annotations", c.GetAnnotations())
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}

// warnings reports the lookups that failed while the main list succeeded:
// the list is printed, the error follows on stderr, the exit code is 1.
func (res *containerList) warnings(f *Factory) error {
	if len(res.errs) == 0 {
		return nil
	}
	for _, e := range res.errs {
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(e.Error()))
	}
	return errSilent
}
