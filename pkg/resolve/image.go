package resolve

import (
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Image finds the one image a reference names in the listed images: an ID
// (with or without "sha256:"), a tag or familiar name (busybox is
// docker.io/library/busybox:latest), a digest, or a unique ID prefix.
func Image(ix kube.ImageIndex, ref string) (*runtimeapi.Image, error) {
	if img := ix.Find(ref); img != nil {
		return img, nil
	}
	if found := ix.WithIDPrefix(ref); len(found) > 1 {
		ids := make([]string, len(found))
		for i, img := range found {
			ids[i] = output.TruncateID(strings.TrimPrefix(img.GetId(), "sha256:"), "", false)
		}
		return nil, fmt.Errorf("image ID prefix %q is ambiguous: %d images match (%s)", ref, len(ids), strings.Join(ids, ", "))
	}
	return nil, fmt.Errorf("no such image %q present (not an image tag, name, digest, ID or ID prefix)", ref)
}
