package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/logs"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// confineLog checks a log path the runtime reported for a container before
// crictl reads or deletes it: after following symbolic links it must lie
// under kubelet's /var/log/pods or the log directory the container's pod
// was created with. It returns the resolved path, to be used instead of the
// reported one. The pod's directory is asked for (ListContainers for the
// pod, then its verbose PodSandboxStatus) only when the path is not under
// /var/log/pods.
func confineLog(ctx context.Context, rs runtimeapi.RuntimeServiceClient, containerID, path string) (string, error) {
	resolved, err := logs.Confine(path, logs.PodLogRoot)
	var outside *logs.OutsideError
	if !errors.As(err, &outside) {
		return resolved, err
	}
	dir, derr := podLogDir(ctx, rs, containerID)
	if derr != nil {
		return "", fmt.Errorf("%w (the pod's log directory could not be read: %w)", err, derr)
	}
	return logs.Confine(path, logs.PodLogRoot, dir)
}

// podLogDir is the log directory of the container's pod; "" when the
// runtime does not say.
func podLogDir(ctx context.Context, rs runtimeapi.RuntimeServiceClient, containerID string) (string, error) {
	cr, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{Id: containerID}})
	if err != nil {
		return "", err
	}
	for _, c := range cr.GetContainers() {
		if c.GetId() != containerID {
			continue
		}
		st, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: c.GetPodSandboxId(), Verbose: true})
		if err != nil {
			return "", err
		}
		return kube.PodLogDirectory(st.GetInfo()), nil
	}
	return "", nil
}
