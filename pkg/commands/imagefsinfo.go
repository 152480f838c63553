package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/cridoc"
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
		doc, err := cridoc.Status(r, nil, nil)
		if err != nil {
			return err
		}
		return out.document(f, doc)
	}
	var kv output.KV
	fsTable(&kv, "Container", r.GetContainerFilesystems())
	fsTable(&kv, "Image", r.GetImageFilesystems())
	_, err = kv.WriteTo(f.IO.Out)
	return err
}

// fsTable writes filesystems as the reference's imagefsinfo -o table does,
// line for line: a "<title> Filesystem" line, then TimeStamp, Disk, Inodes
// and Mountpoint of each, so a script reading those lines reads ours alike.
func fsTable(kv *output.KV, title string, fss []*runtimeapi.FilesystemUsage) {
	kv.Line(title + " Filesystem")
	for i, fs := range fss {
		n := "[" + strconv.Itoa(i) + "]"
		kv.Add("TimeStamp"+n, strconv.FormatInt(fs.GetTimestamp(), 10))
		kv.Add("Disk"+n, output.HumanSize(fs.GetUsedBytes().GetValue()))
		kv.Add("Inodes"+n, strconv.FormatUint(fs.GetInodesUsed().GetValue(), 10))
		kv.Add("Mountpoint"+n, fs.GetFsId().GetMountpoint())
	}
}
