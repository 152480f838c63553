package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

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
	flags = append(flags, o.out.flags(output.JSON, output.JSON, output.YAML, output.GoTemplate, output.TableFormat)...)
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
	resps := make([]*runtimeapi.ImageStatusResponse, len(refs))
	errs := make([]error, len(refs))
	fanOut(len(refs), func(i int) {
		if errs[i] = checkImageArg(refs[i]); errs[i] != nil {
			return
		}
		resps[i], errs[i] = is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: refs[i]}, Verbose: !o.quiet})
		if errs[i] == nil && resps[i].GetImage() == nil {
			errs[i] = fmt.Errorf("image %q not found", refs[i])
		}
	})

	var docs []statusDoc
	var kv output.KV
	for i, r := range resps {
		if errs[i] != nil {
			continue
		}
		if o.out.format == output.TableFormat {
			imageStatusTable(&kv, r, !o.quiet)
			continue
		}
		doc, err := newStatusDoc(r.GetImage(), r.GetInfo(), nil)
		if err != nil {
			return err
		}
		docs = append(docs, doc)
	}
	if o.out.format == output.TableFormat {
		if _, err := kv.WriteTo(f.IO.Out); err != nil {
			return err
		}
	} else if err := writeDocs(f, &o.out, docs); err != nil {
		return err
	}
	return reportAll(f, errs)
}

func checkImageArg(ref string) error {
	if err := checkArg("image", ref); err != nil && ref == "" {
		return err
	}
	return nil
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
