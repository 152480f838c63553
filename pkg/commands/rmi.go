package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type rmiOptions struct {
	all, prune bool
}

func newRmiCommand(f *Factory) *cli.Command {
	o := &rmiOptions{}
	return &cli.Command{
		Description: "Prints \"Deleted: TAG\" for each tag (or digest) of each image removed, as it completes; a\n" +
			"failure is reported on stderr and the others go on (exit 1 when any failed). Images are\n" +
			"resolved by crictl from one image list; removing an image by one of its tags removes the\n" +
			"image with all its tags (a warning names them).\n\n" +
			"--prune removes the images no container uses (in any state), except pinned images and the\n" +
			"runtime's sandbox (pause) image; when the runtime does not report its sandbox image, every\n" +
			"image named .../pause is kept.\n\n" + bulkHelp,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "remove every image"},
			&cli.BoolFlag{Name: "prune", Aliases: []string{"q"}, Destination: &o.prune, Usage: "remove every image that is not used, pinned or the sandbox image"},
		},
		Action: func(c *cli.Context) error {
			cmd := commandPath(c)
			switch {
			case o.all && o.prune:
				return usagef(cmd, "give --all or --prune, not both")
			case c.NArg() == 0 && !o.all && !o.prune:
				// As the reference: nothing to remove is not an error
				// (`crictl rmi $(crictl images -q)` on an empty node).
				return showUsage(c, f)
			case c.NArg() > 0 && (o.all || o.prune):
				return usagef(cmd, "give images or --all/--prune, not both")
			}
			for _, a := range c.Args().Slice() {
				if strings.TrimSpace(a) == "" || strings.ContainsAny(a, " \t\n\x00") {
					return usagef(cmd, "%q is not an image reference or ID", a)
				}
			}
			return runRmi(c.Context, f, o, c.Args().Slice())
		},
	}
}

var _ = register(command{name: "rmi", group: groupImages, args: argImage, changes: true, build: newRmiCommand,
	usage: "Remove one or more images", argsUsage: "IMAGE (tag, name, digest, ID or ID prefix)... | --all | --prune"})

func runRmi(ctx context.Context, f *Factory, o *rmiOptions, args []string) error {
	rep := newReporter(ctx, f)
	is, err := f.Image()
	if err != nil {
		return err
	}
	var (
		prune pruneInfo
		wg    sync.WaitGroup
	)
	if o.prune {
		rs, err := f.Runtime()
		if err != nil {
			return err
		}
		wg.Go(func() { prune = loadPruneInfo(ctx, rs) })
	}
	resp, err := is.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	wg.Wait()
	if err != nil {
		return err
	}
	images := resp.GetImages()
	ix := kube.ImageIndex(images)

	var doomed []*runtimeapi.Image
	switch {
	case o.prune:
		if prune.err != nil {
			return prune.err
		}
		doomed = prune.unused(rep, ix)
		if len(doomed) == 0 {
			rep.note("No images to remove")
			return nil
		}
	case o.all:
		doomed = images
		if len(doomed) == 0 {
			rep.note("No images to remove")
			return nil
		}
	default:
		seen := map[string]bool{}
		for _, a := range args {
			img, err := resolve.Image(ix, a)
			if err != nil {
				rep.fail(err)
				continue
			}
			if seen[img.GetId()] {
				continue
			}
			seen[img.GetId()] = true
			if tags := img.GetRepoTags(); len(tags) > 1 && kube.NamesTag(img, a) {
				rep.warn("%s is one of the %d tags of image %s; removing it deletes all of them: %s",
					a, len(tags), img.GetId(), strings.Join(tags, ", "))
			}
			doomed = append(doomed, img)
		}
	}

	b := newBulk(ctx, rep, true)
	b.run(len(doomed), "images", func(i int) {
		img := doomed[i]
		if err := b.call(func() error {
			_, err := is.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: img.GetId()}})
			return err
		}); err != nil {
			rep.fail(fmt.Errorf("removing image %s: %w", kube.ImageName(img), err))
			return
		}
		rep.success(deletedLines(img)...)
	})
	return rep.result()
}

// deletedLines are the reference's output for a removed image: its tags,
// else its digests (an image pulled by digest has no tag), else its ID.
func deletedLines(img *runtimeapi.Image) []string {
	names := img.GetRepoTags()
	if len(names) == 0 {
		names = img.GetRepoDigests()
	}
	if len(names) == 0 {
		names = []string{img.GetId()}
	}
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = "Deleted: " + output.Escape(n)
	}
	return lines
}

// pruneInfo is what --prune must keep besides pinned images: the images of
// all containers (any state, pause containers included when the runtime
// lists them) and the runtime's sandbox image.
type pruneInfo struct {
	containers   []*runtimeapi.Container
	sandboxImage string // "" when the runtime does not report one
	err          error
}

// loadPruneInfo makes ListContainers and a verbose Status concurrently.
func loadPruneInfo(ctx context.Context, rs runtimeapi.RuntimeServiceClient) pruneInfo {
	var p pruneInfo
	var (
		wg     sync.WaitGroup
		st     *runtimeapi.StatusResponse
		stErr  error
		ctrErr error
		cr     *runtimeapi.ListContainersResponse
	)
	wg.Go(func() { st, stErr = rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: true}) })
	cr, ctrErr = rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	wg.Wait()
	switch {
	case ctrErr != nil:
		p.err = ctrErr
	case stErr != nil && !cri.IsUnimplemented(stErr):
		p.err = fmt.Errorf("cannot tell the runtime's sandbox image, so nothing was removed: %w", stErr)
	default:
		p.containers = cr.GetContainers()
		p.sandboxImage = sandboxImageOf(st.GetInfo())
	}
	return p
}

// sandboxImageOf reads the sandbox (pause) image from verbose Status info:
// containerd puts its CRI config, with "sandboxImage", under "config".
func sandboxImageOf(info map[string]string) string {
	var cfg struct {
		SandboxImage string `json:"sandboxImage"`
	}
	if raw, ok := info["config"]; ok && json.Unmarshal([]byte(raw), &cfg) == nil {
		return cfg.SandboxImage
	}
	return ""
}

// unused returns the listed images --prune removes.
func (p pruneInfo) unused(rep *reporter, ix kube.ImageIndex) []*runtimeapi.Image {
	keep := map[string]bool{}
	for _, c := range p.containers {
		for _, ref := range []string{c.GetImageRef(), c.GetImage().GetImage(), c.GetImageId()} {
			if ref == "" {
				continue
			}
			if img := ix.Find(ref); img != nil {
				keep[img.GetId()] = true
			}
		}
	}
	if p.sandboxImage != "" {
		if img := ix.Find(p.sandboxImage); img != nil {
			keep[img.GetId()] = true
		}
	} else {
		kept := false
		for _, img := range ix {
			if kube.IsPauseImage(img) {
				keep[img.GetId()] = true
				kept = true
			}
		}
		if kept {
			rep.warn("the runtime does not report its sandbox image; keeping every image named .../pause")
		}
	}
	var out []*runtimeapi.Image
	for _, img := range ix {
		if !img.GetPinned() && !keep[img.GetId()] {
			out = append(out, img)
		}
	}
	return out
}
