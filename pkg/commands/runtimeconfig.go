package commands

import (
	"context"
	"fmt"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newRuntimeConfigCommand(f *Factory) *cli.Command {
	var out outputOptions
	return &cli.Command{
		Flags:  out.flags(output.TableFormat, output.JSON, output.YAML, output.GoTemplate),
		Action: action(func(c *cli.Context) error { return runRuntimeConfig(c.Context, f, &out) }, noArgs, out.validate),
	}
}

var _ = register(command{name: "runtime-config", group: groupRuntime, build: newRuntimeConfigCommand,
	usage: "Retrieve the container runtime configuration",
	help: `Prints the configuration the runtime reports through the RuntimeConfig call: the cgroup driver
kubelet must use, as the reference prints it ("cgroup driver:   SYSTEMD"), or the whole reply with
-o json, yaml or go-template. A runtime that does not implement the call (containerd before 1.7)
is named with its version, exit 1.`})

func runRuntimeConfig(ctx context.Context, f *Factory, out *outputOptions) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r, err := rs.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
	if err != nil {
		return unsupported(ctx, rs, err)
	}
	if out.format != output.TableFormat {
		return out.document(f, r)
	}
	if r.GetLinux() == nil {
		// As the reference: no Linux section, no line (a Windows runtime).
		return nil
	}
	d := r.GetLinux().GetCgroupDriver()
	// The reference's tabwriter pads the key to its width plus three.
	_, err = fmt.Fprintf(f.IO.Out, "cgroup driver:   %s\n", kube.EnumName(d.String(), int32(d)))
	return err
}
