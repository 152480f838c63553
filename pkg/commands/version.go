package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criVersion is the CRI API version crictl speaks.
const criVersion = "v1"

func newVersionCommand(f *Factory) *cli.Command {
	var out outputOptions
	return &cli.Command{
		Flags:  out.flags(output.TableFormat, output.JSON, output.YAML, output.GoTemplate),
		Action: action(func(c *cli.Context) error { return runVersion(c.Context, f, &out) }, noArgs, out.validate),
	}
}

var _ = register(command{name: "version", group: groupRuntime, build: newVersionCommand,
	usage: "Display runtime version information"})

func runVersion(ctx context.Context, f *Factory, out *outputOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r, err := rs.Version(ctx, &runtimeapi.VersionRequest{Version: criVersion})
	if err != nil {
		return err
	}
	if out.format != output.TableFormat {
		return out.document(f, cridoc.Version(r, f.Version))
	}
	// The reference's four lines, "Key:  value" (fmt.Println of two
	// operands), then crictl's own version.
	_, err = fmt.Fprintf(f.IO.Out, "Version:  %s\nRuntimeName:  %s\nRuntimeVersion:  %s\nRuntimeApiVersion:  %s\nCrictlVersion:  %s\n",
		output.Escape(r.Version), output.Escape(r.RuntimeName), output.Escape(r.RuntimeVersion), output.Escape(r.RuntimeApiVersion), f.Version)
	return err
}
