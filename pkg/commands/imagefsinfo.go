package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newImageFsInfoCommand(f *Factory) *cli.Command {
	var out outputOptions
	return &cli.Command{
		Flags:  out.flags(inspectFormats...),
		Action: action(func(c *cli.Context) error { return runImageFsInfo(c.Context, f, &out) }, noArgs, out.validate),
	}
}

var _ = register(command{name: "imagefsinfo", group: groupImages, build: newImageFsInfoCommand,
	usage: "Return image filesystem info"})

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
