package commands

import (
	"context"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/urfave/cli/v2"
)

// cancelTimeout is --cancel-timeout/-T of runp, create and run.
type cancelTimeout struct {
	raw string
	d   time.Duration
}

func (t *cancelTimeout) flag() cli.Flag {
	return &cli.StringFlag{Name: "cancel-timeout", Aliases: []string{"T"}, Destination: &t.raw, DefaultText: "--timeout, twice that for the pod",
		Usage: "timeout of each request that creates or starts the pod or container, as a duration (30s) or whole seconds"}
}

func (t *cancelTimeout) validate(c *cli.Context) error {
	if t.raw == "" {
		return nil
	}
	d, err := config.ParseTimeout(t.raw)
	if err != nil {
		return usagef(commandPath(c), "--cancel-timeout: %v", err)
	}
	if d < 0 {
		return usagef(commandPath(c), "--cancel-timeout %s: must be 0 or more", t.raw)
	}
	t.d = d
	return nil
}

// forSandbox bounds RunPodSandbox: --cancel-timeout, else twice the
// global timeout (pod creation sets up networking), as the reference.
func (t *cancelTimeout) forSandbox(ctx context.Context, f *Factory) context.Context {
	if t.d > 0 {
		return cri.WithTimeout(ctx, t.d)
	}
	if cfg, err := f.Config(); err == nil {
		return cri.WithTimeout(ctx, 2*cfg.Timeout)
	}
	return ctx
}

// forContainer bounds CreateContainer and StartContainer: --cancel-timeout,
// else the global timeout.
func (t *cancelTimeout) forContainer(ctx context.Context) context.Context {
	if t.d > 0 {
		return cri.WithTimeout(ctx, t.d)
	}
	return ctx
}
