package kube

import (
	"context"
	"strings"
	"sync"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ImageClient returns the image service client; the image service is
// dialed only when a listing needs it.
type ImageClient func() (runtimeapi.ImageServiceClient, error)

// ListPods lists the pods f selects, newest first, limited by --latest and
// --last: one ListPodSandbox call with the ID, state and label equalities
// as the CRI filter, the rest matched here.
func ListPods(ctx context.Context, rs runtimeapi.RuntimeServiceClient, f *PodFilter) ([]*runtimeapi.PodSandbox, error) {
	r, err := rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: f.runtimeFilter()})
	if err != nil {
		return nil, err
	}
	pods := make([]*runtimeapi.PodSandbox, 0, len(r.Items))
	for _, p := range r.Items {
		if f.Match(p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(), p.GetLabels()) {
			pods = append(pods, p)
		}
	}
	SortNewestFirst(pods)
	return Limit(pods, f.Latest, f.Last), nil
}

// Containers is a filtered, sorted container list joined with the pods
// (and, when asked for, the images) it refers to.
type Containers struct {
	Items  []*runtimeapi.Container
	Pods   PodIndex
	Images ImageIndex
	// Errs are failed secondary lookups (the pods or images that were
	// only to be shown); the list itself is complete.
	Errs []error
}

// Join says which lists ListContainers joins to the containers besides
// those the filter needs.
type Join struct {
	// Pods: ListPodSandbox, for POD and NAMESPACE.
	Pods bool
	// Images: ListImages, for image names.
	Images bool
}

// ListContainers lists the containers f selects, pause containers left out,
// newest first and limited: ListContainers with the CRI filter and,
// concurrently, ListPodSandbox when the pods are needed (to show or match
// them) and ListImages when the images are.
func ListContainers(ctx context.Context, rs runtimeapi.RuntimeServiceClient, images ImageClient, f *ContainerFilter, join Join) (*Containers, error) {
	needImages := join.Images || f.Image != ""
	needPods := join.Pods || f.needsPods()
	var is runtimeapi.ImageServiceClient
	if needImages {
		var err error
		if is, err = images(); err != nil {
			return nil, err
		}
	}

	var (
		wg         sync.WaitGroup
		pr         *runtimeapi.ListPodSandboxResponse
		ir         *runtimeapi.ListImagesResponse
		pErr, iErr error
	)
	if needPods {
		wg.Go(func() { pr, pErr = rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}) })
	}
	if needImages {
		wg.Go(func() { ir, iErr = is.ListImages(ctx, &runtimeapi.ListImagesRequest{}) })
	}
	cr, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: f.runtimeFilter()})
	wg.Wait()
	if err != nil {
		return nil, err
	}

	res := &Containers{Pods: PodIndex{}}
	switch {
	case pErr != nil:
		// Kubelet's labels stand in for the pods (PodOf); the error is
		// reported with the list.
		res.Errs = append(res.Errs, pErr)
	case pr != nil:
		res.Pods = IndexPods(pr.Items)
	}
	switch {
	case iErr != nil && f.Image != "":
		return nil, iErr
	case iErr != nil:
		res.Errs = append(res.Errs, iErr)
	case ir != nil:
		res.Images = ir.Images
	}

	var img *runtimeapi.Image
	if f.Image != "" {
		img = res.Images.Find(f.Image)
	}
	for _, c := range cr.Containers {
		if f.MatchContainer(c, res.Pods, img) {
			res.Items = append(res.Items, c)
		}
	}
	SortNewestFirst(res.Items)
	res.Items = Limit(res.Items, f.Latest, f.Last)
	return res, nil
}

// MatchContainer reports whether the filter selects c, a container of one
// of pods, leaving out what only a whole list can tell (the state, which
// the runtime applies, and --latest/--last); img is the image f.Image
// names, if known. Pause containers are never selected.
func (f *ContainerFilter) MatchContainer(c *runtimeapi.Container, pods PodIndex, img *runtimeapi.Image) bool {
	if IsSandboxContainer(c) || !strings.HasPrefix(c.GetId(), f.ID) {
		return false
	}
	_, ns := pods.PodOf(c)
	if !f.Match(c.GetMetadata().GetName(), ns, c.GetLabels()) {
		return false
	}
	if f.Pod != "" {
		id := c.GetPodSandboxId()
		p, known := pods[id]
		switch {
		case IsFullID(f.Pod):
			if id != f.Pod {
				return false
			}
		case !known || (!strings.HasPrefix(id, f.Pod) && p.GetMetadata().GetName() != f.Pod):
			return false
		}
	}
	return f.Image == "" || ContainerUses(c, f.Image, img)
}

// MatchPod reports whether the filter selects p, leaving out the state and
// --latest/--last.
func (f *PodFilter) MatchPod(p *runtimeapi.PodSandbox) bool {
	return strings.HasPrefix(p.GetId(), f.ID) && f.Match(p.GetMetadata().GetName(), p.GetMetadata().GetNamespace(), p.GetLabels())
}
