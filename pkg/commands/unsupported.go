package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/crictl/crictl/pkg/cri"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// unsupported turns a runtime's Unimplemented answer into one line that
// names the call and the runtime's name and version (asked with Version),
// e.g. "containerd 1.6.20~ds1 does not implement RuntimeConfig"; any other
// error, or a Version call that fails too, is returned as it is.
func unsupported(ctx context.Context, rs runtimeapi.RuntimeServiceClient, err error) error {
	var ce *cri.Error
	if !cri.IsUnimplemented(err) || !errors.As(err, &ce) {
		return err
	}
	v, verr := rs.Version(ctx, &runtimeapi.VersionRequest{})
	if verr != nil || v.GetRuntimeName() == "" {
		return err
	}
	return fmt.Errorf("%s %s does not implement %s", v.GetRuntimeName(), v.GetRuntimeVersion(), ce.Method)
}
