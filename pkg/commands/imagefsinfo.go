package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func init() {
	register(command{build: newImageFsInfoCommand, group: groupImages})
}

func newImageFsInfoCommand(f *Factory) *cli.Command {
	var out outputOptions
	return &cli.Command{
		Name:  "imagefsinfo",
		Usage: "Return image filesystem info",
		Flags: out.flags(inspectFormats...),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			if err := out.validate(c); err != nil {
				return err
			}
			return runImageFsInfo(c.Context, f, &out)
		},
	}
}

func runImageFsInfo(ctx context.Context, f *Factory, out *outputOptions) error {
	is, err := f.Image()
	if err != nil {
		return err
	}
	r, err := is.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	if err != nil {
		return err
	}
	if out.format != output.TableFormat {
		doc, err := newStatusDoc(r, nil, nil)
		if err != nil {
			return err
		}
		return out.document(f, doc)
	}
	var kv output.KV
	fsTable(&kv, "Image Filesystem", r.GetImageFilesystems())
	fsTable(&kv, "Container Filesystem", r.GetContainerFilesystems())
	_, err = kv.WriteTo(f.IO.Out)
	return err
}

func fsTable(kv *output.KV, title string, fss []*runtimeapi.FilesystemUsage) {
	kv.Header(title)
	for i, fs := range fss {
		n := "[" + strconv.Itoa(i) + "]"
		kv.Add("\tTimeStamp"+n, strconv.FormatInt(fs.GetTimestamp(), 10))
		kv.Add("\tMountpoint"+n, fs.GetFsId().GetMountpoint())
		if fs.GetUsedBytes() != nil {
			kv.Add("\tDisk"+n, output.Size(fs.GetUsedBytes().GetValue()))
		}
		if fs.GetInodesUsed() != nil {
			kv.Add("\tInodes"+n, strconv.FormatUint(fs.GetInodesUsed().GetValue(), 10))
		}
	}
}
