package commands

import (
	"context"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerFilter is the set of flags that select containers (ps, inspect,
// and later exec and stats).
type containerFilter struct {
	selection
	all                   bool
	id, pod, image, state string

	stateV *runtimeapi.ContainerStateValue
}

func (o *containerFilter) flags(withAll bool) []cli.Flag {
	fl := []cli.Flag{
		&cli.StringFlag{Name: "id", Destination: &o.id, Usage: "keep only the container with this ID (or ID prefix)"},
		&cli.StringFlag{Name: "name", Destination: &o.name, Usage: "keep only containers with this name (exact; a regular expression with --regex)"},
		&cli.StringFlag{Name: "namespace", Destination: &o.namespace, Usage: "keep only containers of pods in this namespace (exact; a regular expression with --regex)"},
		&cli.StringFlag{Name: "pod", Aliases: []string{"p"}, Destination: &o.pod, Usage: "keep only containers of this pod (pod ID, ID prefix or name)"},
		&cli.StringFlag{Name: "image", Destination: &o.image, Usage: "keep only containers of this image (name[:tag], digest or image ID)"},
		&cli.BoolFlag{Name: "regex", Destination: &o.regex, Usage: "match --name and --namespace as unanchored regular expressions, as the reference crictl"},
		&cli.StringFlag{Name: "state", Aliases: []string{"s"}, Destination: &o.state, Usage: "keep only containers in this state: created, running, exited or unknown"},
		&cli.BoolFlag{Name: "latest", Aliases: []string{"l"}, Destination: &o.latest, Usage: "show only the most recently created container (any state)"},
		&cli.IntFlag{Name: "last", Aliases: []string{"n"}, Destination: &o.last, Usage: "show only the N most recently created containers, any state (0: all)"},
	}
	if withAll {
		fl = append(fl, &cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.all, Usage: "show containers in every state, not only running ones"})
	}
	return append(fl, o.labels.flags()...)
}

func (o *containerFilter) validate(c *cli.Context) error {
	cmd := commandPath(c)
	var err error
	if o.stateV, err = parseContainerState(o.state); err != nil {
		return usagef(cmd, "%v", err)
	}
	return o.selection.validate(cmd)
}

// containerList is a filtered, sorted container list joined with the pods
// (and, when asked for, the images) it refers to.
type containerList struct {
	containers []*runtimeapi.Container
	pods       podIndex
	images     imageIndex
	// errs are failed secondary lookups; the list itself is complete.
	errs []error
}

// list makes ListContainers and, concurrently, ListPodSandbox when the
// pods are needed (to show or filter by them) and ListImages when the
// images are; then it joins and filters.
func (o *containerFilter) list(ctx context.Context, f *Factory, needPods, needImages bool) (*containerList, error) {
	rs, err := f.Runtime()
	if err != nil {
		return nil, err
	}
	filter := &runtimeapi.ContainerFilter{Id: o.id, LabelSelector: o.labels.exact}
	switch {
	case o.stateV != nil:
		filter.State = o.stateV
	case !o.all && !o.latest && o.last == 0:
		filter.State = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	if isFullID(o.pod) {
		filter.PodSandboxId = o.pod
	}
	needImages = needImages || o.image != ""
	needPods = needPods || o.namespace != "" || (o.pod != "" && !isFullID(o.pod))
	var is runtimeapi.ImageServiceClient
	if needImages {
		if is, err = f.Image(); err != nil {
			return nil, err
		}
	}

	var (
		wg                 sync.WaitGroup
		cr                 *runtimeapi.ListContainersResponse
		pr                 *runtimeapi.ListPodSandboxResponse
		ir                 *runtimeapi.ListImagesResponse
		cErr, pErr, imgErr error
	)
	if needPods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr, pErr = rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		}()
	}
	if needImages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ir, imgErr = is.ListImages(ctx, &runtimeapi.ListImagesRequest{})
		}()
	}
	cr, cErr = rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: filter})
	wg.Wait()
	if cErr != nil {
		return nil, cErr
	}

	res := &containerList{pods: podIndex{}}
	if pErr != nil {
		res.errs = append(res.errs, pErr)
	} else if pr != nil {
		res.pods = indexPods(pr.Items)
	}
	if needImages {
		if imgErr != nil {
			if o.image != "" {
				return nil, imgErr
			}
			res.errs = append(res.errs, imgErr)
		} else {
			res.images = newImageIndex(ir.Images)
		}
	}

	var podIDs map[string]bool
	if o.pod != "" && !isFullID(o.pod) {
		podIDs = map[string]bool{}
		for id, p := range res.pods {
			if strings.HasPrefix(id, o.pod) || p.GetMetadata().GetName() == o.pod {
				podIDs[id] = true
			}
		}
	}
	var img *runtimeapi.Image
	if o.image != "" {
		img = res.images.find(o.image)
	}

	for _, c := range cr.Containers {
		if isSandboxContainer(c) {
			continue
		}
		_, ns := res.pods.podOf(c)
		if !o.match(c.GetMetadata().GetName(), ns, c.GetLabels()) {
			continue
		}
		if podIDs != nil && !podIDs[c.GetPodSandboxId()] {
			continue
		}
		if o.image != "" && !imageMatches(c, o.image, img) {
			continue
		}
		res.containers = append(res.containers, c)
	}
	sortContainers(res.containers)
	res.containers = limit(res.containers, o.latest, o.last)
	return res, nil
}

func imageMatches(c *runtimeapi.Container, ref string, img *runtimeapi.Image) bool {
	if c.GetImage().GetImage() == ref || c.GetImageRef() == ref {
		return true
	}
	if img == nil {
		return false
	}
	if c.GetImageRef() == img.GetId() || c.GetImage().GetImage() == img.GetId() {
		return true
	}
	for _, t := range img.GetRepoTags() {
		if t == c.GetImage().GetImage() {
			return true
		}
	}
	for _, d := range img.GetRepoDigests() {
		if d == c.GetImageRef() || d == c.GetImage().GetImage() {
			return true
		}
	}
	return false
}

// isFullID reports whether s looks like a full 64-hex-digit CRI ID.
func isFullID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
