package crifake_test

import (
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/crictl/crictl/internal/crifake"
)

func TestNilSeedsDoNotPanic(t *testing.T) {
	t.Parallel()
	s, c := start(t)
	ctx := testCtx(t)
	pod := s.AddPod(nil, crifake.WithPodStatus(nil), crifake.WithNamespaceOptions(nil), crifake.WithPodConfig(nil), crifake.WithPodStats(nil))
	ctr := s.AddContainer(nil, crifake.WithContainerStatus(nil), crifake.WithResources(nil), crifake.WithMounts(nil), crifake.WithContainerStats(nil), crifake.WithContainerConfig(nil))
	s.AddImage(nil)
	crifake.PauseContainer(nil)
	crifake.KubeletContainer(nil, "x", 0, "", runtimeapi.ContainerState_CONTAINER_RUNNING, created)
	must[*runtimeapi.PodSandboxStatusResponse](t)(c.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod, Verbose: true}))
	must[*runtimeapi.ContainerStatusResponse](t)(c.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctr, Verbose: true}))
	must[*runtimeapi.ListPodSandboxStatsResponse](t)(c.rt.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{}))
	must[*runtimeapi.ListImagesResponse](t)(c.img.ListImages(ctx, &runtimeapi.ListImagesRequest{}))
	must[*runtimeapi.ImageStatusResponse](t)(c.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Verbose: true}))
	_, _ = c.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{})
	_, _ = c.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod})
	_, _ = c.img.PullImage(ctx, &runtimeapi.PullImageRequest{})
	_, _ = c.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{})
	_, _ = c.rt.UpdateContainerResources(ctx, &runtimeapi.UpdateContainerResourcesRequest{ContainerId: ctr})
}
