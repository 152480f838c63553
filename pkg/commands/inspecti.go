package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type inspectiOptions struct {
	name   string
	filter imageFilterFlag
	print  inspectFlags
}

func newInspectiCommand(f *Factory) *cli.Command {
	o := &inspectiOptions{}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "name", Destination: &o.name, Usage: "with no IMAGE given: inspect the images of this REPOSITORY[:TAG]"},
		o.filter.flag("with no IMAGE given: filter images as `images --filter` does (repeatable)"),
	}
	return &cli.Command{
		Flags: append(flags, o.print.flags(inspectFormats...)...),
		Action: action(func(c *cli.Context) error { return runInspecti(c.Context, f, o, c.Args().Slice()) },
			checkImageArgs, o.print.out.validate, o.filter.validate),
	}
}

var _ = register(command{name: "inspecti", group: groupImages, args: argImage, build: newInspectiCommand,
	usage: "Display the status of one or more images", argsUsage: "[IMAGE (name[:tag], digest, ID or ID prefix)...]", help: inspectiHelp})

// inspectiHelp is the description in "crictl inspecti --help".
const inspectiHelp = `With no image given, inspects the images --name and --filter select (all images by default).`

func runInspecti(ctx context.Context, f *Factory, o *inspectiOptions, args []string) error {
	refs := args
	if len(refs) == 0 {
		images, err := listImages(ctx, f, o.name)
		if err != nil {
			return err
		}
		for _, img := range o.filter.apply(images) {
			refs = append(refs, img.GetId())
		}
	}
	is, err := f.Image()
	if err != nil {
		return err
	}
	quiet := o.print.quiet
	return inspectAll(ctx, f, &o.print.out, refs, nil, inspected[*runtimeapi.ImageStatusResponse]{
		redact: o.print.redact,
		fetch: func(ctx context.Context, ref string) (*runtimeapi.ImageStatusResponse, error) {
			if strings.TrimSpace(ref) == "" {
				return nil, errors.New("empty image reference")
			}
			r, err := is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}, Verbose: !quiet})
			if err == nil && r.GetImage() == nil {
				err = fmt.Errorf("image %q not found", ref)
			}
			return r, err
		},
		doc: func(r *runtimeapi.ImageStatusResponse) (statusDoc, error) {
			return cridoc.Image(r)
		},
		table: func(kv *output.KV, r *runtimeapi.ImageStatusResponse) { imageStatusTable(kv, r, !quiet) },
	})
}

func imageStatusTable(kv *output.KV, r *runtimeapi.ImageStatusResponse, verbose bool) {
	img := r.GetImage()
	kv.Add("ID", img.GetId())
	for _, t := range img.GetRepoTags() {
		kv.Add("Tag", t)
	}
	for _, d := range img.GetRepoDigests() {
		kv.Add("Digest", d)
	}
	kv.Add("Size", output.Size(img.GetSize()))
	if img.GetPinned() {
		kv.Add("Pinned", "true")
	}
	if verbose {
		infoLines(kv, r.GetInfo())
	}
	kv.Blank()
}
