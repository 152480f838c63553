package commands

import (
	"context"
	"net"
	"strings"

	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func newUpdateRuntimeConfigCommand(f *Factory) *cli.Command {
	var podCIDR string
	return &cli.Command{
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pod-cidr", Aliases: []string{"p"}, Destination: &podCIDR,
				Usage: "the `CIDR` of pod IP addresses (two, comma-separated, for dual stack); \"\" lets the runtime leave it out"},
		},
		Action: action(func(c *cli.Context) error {
			return runUpdateRuntimeConfig(c.Context, f, podCIDR)
		}, noArgs, func(c *cli.Context) error {
			if !c.IsSet("pod-cidr") {
				return usagef(commandPath(c), "nothing to update: give --pod-cidr")
			}
			return checkPodCIDR(commandPath(c), podCIDR)
		}),
	}
}

var _ = register(command{name: "update-runtime-config", group: groupRuntime, build: newUpdateRuntimeConfigCommand, changes: true,
	usage: "Update the runtime configuration",
	help: `Sends the pod CIDR to the runtime (UpdateRuntimeConfig), as kubelet does when the node is given
its range; the runtime uses it for its network configuration. The CIDR is checked before it is
sent, since a runtime may write it into the CNI configuration as it is.`})

// checkPodCIDR accepts "" or one or two comma-separated CIDRs.
func checkPodCIDR(cmd, v string) error {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > 2 {
		return usagef(cmd, "--pod-cidr %q: at most two CIDRs (one IPv4, one IPv6)", v)
	}
	for _, p := range parts {
		if _, _, err := net.ParseCIDR(p); err != nil {
			return usagef(cmd, "--pod-cidr %q: %q is not a CIDR such as 10.244.0.0/24", v, p)
		}
	}
	return nil
}

func runUpdateRuntimeConfig(ctx context.Context, f *Factory, podCIDR string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	_, err = rs.UpdateRuntimeConfig(ctx, &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{
		NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: podCIDR},
	}})
	if err != nil {
		return unsupported(ctx, rs, err)
	}
	f.notef("Runtime config successfully updated")
	return nil
}
