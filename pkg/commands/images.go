package commands

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/crictl/crictl/pkg/imageref"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type imagesOptions struct {
	list            listFlags
	filter          imageFilterFlag
	digests, pinned bool
}

func newImagesCommand(f *Factory) *cli.Command {
	o := &imagesOptions{}
	flags := []cli.Flag{
		o.filter.flag("filter images (repeatable, applied in order): dangling=true|false, reference=REGEX, before=IMAGE, since=IMAGE"),
		&cli.BoolFlag{Name: "digests", Destination: &o.digests, Usage: "show digests"},
		&cli.BoolFlag{Name: "pinned", Destination: &o.pinned, Usage: "show whether each image is pinned"},
	}
	return &cli.Command{
		Flags: append(flags, o.list.flags("image", "image IDs and digests")...),
		Action: action(func(c *cli.Context) error { return runImages(c.Context, f, o, c.Args().First()) },
			func(c *cli.Context) error {
				if c.NArg() > 1 {
					return usagef(commandPath(c), "images takes at most one REPOSITORY[:TAG] argument")
				}
				return checkImageArgs(c)
			}, o.list.out.validate, o.filter.validate),
	}
}

var _ = register(command{name: "images", aliases: []string{"image", "img"}, group: groupImages, args: argImage, build: newImagesCommand,
	usage: "List images", argsUsage: "[REPOSITORY[:TAG]]"})

// checkImageArgs checks image arguments before any RPC, as pull does: an
// image ID or ID prefix (hex, with or without "sha256:"), or a reference
// by the distribution grammar; never a round trip to learn that "a b" or
// "UPPER/x" names nothing.
func checkImageArgs(c *cli.Context) error {
	for _, a := range c.Args().Slice() {
		if kube.IsHex(strings.TrimPrefix(a, "sha256:")) {
			continue
		}
		if _, err := imageref.Parse(a); err != nil {
			return usagef(commandPath(c), "%v", err)
		}
	}
	return nil
}

// imageFilterFlag is --filter/-f of images and inspecti.
type imageFilterFlag struct {
	values cli.StringSlice
}

func (o *imageFilterFlag) flag(usage string) cli.Flag {
	return &cli.StringSliceFlag{Name: "filter", Aliases: []string{"f"}, Destination: &o.values, Usage: usage}
}

func (o *imageFilterFlag) validate(c *cli.Context) error {
	for _, fl := range o.values.Value() {
		if err := checkImageFilter(fl); err != nil {
			return usagef(commandPath(c), "%v", err)
		}
	}
	return nil
}

// apply keeps the images the filters select, in order.
func (o *imageFilterFlag) apply(images []*runtimeapi.Image) []*runtimeapi.Image {
	for _, fl := range o.values.Value() {
		images = applyImageFilter(images, fl)
	}
	return images
}

func checkImageFilter(fl string) error {
	k, v, ok := strings.Cut(fl, "=")
	switch {
	case !ok:
	case k == "dangling":
		if v != "true" && v != "false" {
			return fmt.Errorf("--filter %q: dangling takes true or false", fl)
		}
		return nil
	case k == "reference":
		if _, err := regexp.Compile(v); err != nil {
			return fmt.Errorf("--filter %q: invalid regular expression: %w", fl, err)
		}
		return nil
	case k == "before" || k == "since":
		return nil
	}
	return fmt.Errorf("unknown filter flag: %s (use dangling=, reference=, before= or since=)", fl)
}

// listImages lists images and applies the REPO[:TAG] argument on our side:
// containerd 1.6 ignores the CRI image filter and returns every image.
func listImages(ctx context.Context, f *Factory, repo string) ([]*runtimeapi.Image, error) {
	is, err := f.Image()
	if err != nil {
		return nil, err
	}
	req := &runtimeapi.ListImagesRequest{}
	if repo != "" {
		req.Filter = &runtimeapi.ImageFilter{Image: &runtimeapi.ImageSpec{Image: repo}}
	}
	r, err := is.ListImages(ctx, req)
	if err != nil {
		return nil, err
	}
	images := r.Images
	if repo != "" {
		images = slices.DeleteFunc(slices.Clone(images), func(img *runtimeapi.Image) bool { return !kube.MatchesRepo(img, repo) })
	}
	kube.SortImages(images)
	return images, nil
}

func runImages(ctx context.Context, f *Factory, o *imagesOptions, repo string) error {
	images, err := listImages(ctx, f, repo)
	if err != nil {
		return err
	}
	images = o.filter.apply(images)
	wide := o.list.out.format == output.Wide
	return printList(f, &o.list, &runtimeapi.ListImagesResponse{Images: images}, images,
		func() error { return imagesVerbose(f, images) },
		func() *output.Table { return imagesTable(images, o.digests || wide, o.pinned || wide, o.list.noTrunc) })
}

func applyImageFilter(images []*runtimeapi.Image, fl string) []*runtimeapi.Image {
	k, v, _ := strings.Cut(fl, "=")
	var keep []*runtimeapi.Image
	switch k {
	case "dangling":
		for _, img := range images {
			if (len(img.GetRepoTags()) == 0) == (v == "true") {
				keep = append(keep, img)
			}
		}
	case "reference":
		re := regexp.MustCompile(v)
		for _, img := range images {
			for _, name := range imageNames(img) {
				if name == v || re.MatchString(name) {
					keep = append(keep, img)
					break
				}
			}
		}
	case "since", "before":
		// The CRI has no image creation time; like the reference, the
		// order of the list stands in for it: since=X keeps what is listed
		// before X, before=X what is listed after it.
		at := slices.IndexFunc(images, func(img *runtimeapi.Image) bool {
			return kube.MatchesRepo(img, v) || strings.HasPrefix(strings.TrimPrefix(img.GetId(), "sha256:"), strings.TrimPrefix(v, "sha256:"))
		})
		if at < 0 {
			return images
		}
		if k == "since" {
			return images[:at]
		}
		return images[at+1:]
	}
	return keep
}

// imageNames are an image's repositories, from its tags and digests.
func imageNames(img *runtimeapi.Image) []string {
	var names []string
	for _, t := range img.GetRepoTags() {
		repo, _ := imageref.SplitRepoTag(t)
		names = append(names, repo, t)
	}
	for _, d := range img.GetRepoDigests() {
		name, _, _ := strings.Cut(d, "@")
		names = append(names, name)
	}
	return names
}

func imagesTable(images []*runtimeapi.Image, digests, pinned, noTrunc bool) *output.Table {
	header := []string{"IMAGE", "TAG"}
	if digests {
		header = append(header, "DIGEST")
	}
	header = append(header, "IMAGE ID", "SIZE")
	if pinned {
		header = append(header, "PINNED")
	}
	t := output.NewTable(header...)
	for _, img := range images {
		name, digest := "<none>", "<none>"
		if len(img.GetRepoDigests()) > 0 {
			name, digest, _ = strings.Cut(img.GetRepoDigests()[0], "@")
		}
		id := output.TruncateID(img.GetId(), "sha256:", noTrunc)
		if digest != "<none>" {
			digest = output.TruncateID(digest, "sha256:", noTrunc)
		}
		size := output.Size(img.GetSize())
		tags := img.GetRepoTags()
		if len(tags) == 0 {
			tags = []string{name + ":<none>"}
		}
		for _, tag := range tags {
			repo, tg := imageref.SplitRepoTag(tag)
			if repo == "<none>" {
				repo = name
			}
			row := []string{repo, tg}
			if digests {
				row = append(row, digest)
			}
			row = append(row, id, size)
			if pinned {
				row = append(row, strconv.FormatBool(img.GetPinned()))
			}
			t.Row(row...)
		}
	}
	return t
}

func imagesVerbose(f *Factory, images []*runtimeapi.Image) error {
	var kv output.KV
	for _, img := range images {
		// The reference's lines: one RepoTags line per tag and one
		// RepoDigests line per digest (scripts split on ": " and take
		// the second field).
		kv.Add("ID", img.GetId())
		for _, t := range img.GetRepoTags() {
			kv.Add("RepoTags", t)
		}
		for _, d := range img.GetRepoDigests() {
			kv.Add("RepoDigests", d)
		}
		if img.GetSize() != 0 {
			kv.Add("Size", strconv.FormatUint(img.GetSize(), 10))
		}
		if img.GetUid() != nil {
			kv.Add("Uid", strconv.FormatInt(img.GetUid().GetValue(), 10))
		}
		addIf(&kv, "Username", img.GetUsername())
		if img.GetPinned() {
			kv.Add("Pinned", "true")
		}
		kv.Blank()
	}
	_, err := kv.WriteTo(f.IO.Out)
	return err
}
