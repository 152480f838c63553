package commands

import (
	"fmt"
	"strings"

	"github.com/crictl/crictl/pkg/profile"
	"github.com/crictl/crictl/pkg/tracing"
	"github.com/urfave/cli/v2"
)

// startObservers starts the profiles and the tracing the global flags ask
// for (--profile-cpu, --profile-mem, --enable-tracing); endObservers ends
// them when the run is over. Without those flags they cost nothing.
func (g *globalOptions) startObservers(c *cli.Context, f *Factory) error {
	if g.profileCPU != "" || g.profileMem != "" {
		p, err := profile.Start(g.profileCPU, g.profileMem)
		if err != nil {
			return err
		}
		f.profile = p
	}
	if g.enableTracing {
		tr, err := tracing.New(tracing.Config{
			Endpoint:               g.tracingEndpoint,
			SamplingRatePerMillion: g.tracingRate,
			ServiceVersion:         f.Version,
		}, tracedName(c))
		if err != nil {
			return &UsageError{Err: err}
		}
		f.tracer = tr
	}
	return nil
}

// tracedName is the root span's name: the command path as the command tree
// knows it ("pods", "create jsonschema"; aliases resolved), or "crictl".
func tracedName(c *cli.Context) string {
	var names []string
	cmds := c.App.Commands
	for _, a := range c.Args().Slice() {
		cmd := findCommand(cmds, a)
		if cmd == nil {
			break
		}
		names = append(names, cmd.Name)
		if cmds = cmd.Subcommands; len(cmds) == 0 {
			break
		}
	}
	if len(names) == 0 {
		return "crictl"
	}
	return strings.Join(names, " ")
}

// endObservers ends the root span with the run's exit code, writes the
// profiles, and sends the spans (bounded in time). A profile that could
// not be written fails the run; spans that could not be sent are one
// warning line and leave the exit code alone.
func (f *Factory) endObservers(code int, runErr error) int {
	if f.tracer != nil {
		msg := ""
		if code != 0 && runErr != nil {
			msg = oneLine(runErr.Error())
		}
		if code != 0 && msg == "" {
			// reported item by item already (errSilent), or an exit
			// code passed through from the container
			msg = fmt.Sprintf("exit code %d", code)
		}
		f.tracer.End(code, msg)
	}
	if err := f.profile.Stop(); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(err.Error()))
		if code == 0 {
			code = 1
		}
	}
	if f.tracer != nil {
		if err := f.tracer.Shutdown(); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "crictl: warning: tracing: %s\n", oneLine(err.Error()))
		}
	}
	return code
}
