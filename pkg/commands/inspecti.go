package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newInspectiCommand, group: groupImages, args: argImage})
}

type inspectiOptions struct {
	name    string
	filters cli.StringSlice
	quiet   bool
	out     outputOptions
}

func newInspectiCommand(f *Factory) *cli.Command {
	o := &inspectiOptions{}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "name", Destination: &o.name, Usage: "with no IMAGE given: inspect the images of this REPOSITORY[:TAG]"},
		&cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Destination: &o.filters,
			Usage: "with no IMAGE given: filter images as `images --filter` does (repeatable)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "leave out the runtime's verbose info"},
	}
	flags = append(flags, o.out.flags(inspectFormats...)...)
	return &cli.Command{
		Name:        "inspecti",
		Usage:       "Display the status of one or more images",
		ArgsUsage:   "[IMAGE (name[:tag], digest, ID or ID prefix)...]",
		Description: "With no image given, inspects the images --name and --filter select (all images by default).",
		Flags:       flags,
		Action: func(c *cli.Context) error {
			if err := o.out.validate(c); err != nil {
				return err
			}
			for _, fl := range o.filters.Value() {
				if err := checkImageFilter(fl); err != nil {
					return usagef(commandPath(c), "%v", err)
				}
			}
			return runInspecti(c.Context, f, o, c.Args().Slice())
		},
	}
}

func runInspecti(ctx context.Context, f *Factory, o *inspectiOptions, args []string) error {
	refs := args
	if len(refs) == 0 {
		images, err := listImages(ctx, f, o.name)
		if err != nil {
			return err
		}
		for _, fl := range o.filters.Value() {
			images = applyImageFilter(images, fl)
		}
		for _, img := range images {
			refs = append(refs, img.GetId())
		}
	}
	is, err := f.Image()
	if err != nil {
		return err
	}
	return inspectAll(ctx, f, &o.out, refs, nil, inspected[*runtimeapi.ImageStatusResponse]{
		fetch: func(ctx context.Context, ref string) (*runtimeapi.ImageStatusResponse, error) {
			if strings.TrimSpace(ref) == "" {
				return nil, errors.New("empty image reference")
			}
			r, err := is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}, Verbose: !o.quiet})
			if err == nil && r.GetImage() == nil {
				err = fmt.Errorf("image %q not found", ref)
			}
			return r, err
		},
		doc: func(r *runtimeapi.ImageStatusResponse) (statusDoc, error) {
			return newStatusDoc(r.GetImage(), r.GetInfo(), nil)
		},
		table: func(kv *output.KV, r *runtimeapi.ImageStatusResponse) { imageStatusTable(kv, r, !o.quiet) },
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
