package commands

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/hostroot"
	"github.com/crictl/crictl/pkg/tracing"
	"github.com/urfave/cli/v2"
)

type globalOptions struct {
	configPath      string
	runtimeEndpoint string
	imageEndpoint   string
	timeout         string
	debug           bool
	maxRetries      int
	hostRoot        string
	readOnly        bool

	enableTracing   bool
	tracingEndpoint string
	tracingRate     int
	profileCPU      string
	profileMem      string
}

// newApp builds the whole command tree from the registered commands.
func newApp(f *Factory) *app {
	g := &globalOptions{}
	return newAppOf(f, g, globalFlags(g, f), registered)
}

// newAppFor builds the tree one run with these arguments needs: only the
// command being run when the arguments name one that does not look at
// the others, no command for --version, and the whole tree otherwise
// (help, __complete, an unknown command, no command). Building every
// command's flags for every run cost 4% of `crictl inspect`'s CPU and
// about 100 of its page faults (docs/benchmarks.md, "Start-up and page
// faults").
func newAppFor(f *Factory, args []string) *app {
	g := &globalOptions{}
	global := globalFlags(g, f)
	return newAppOf(f, g, global, commandsFor(global, args))
}

// commandsFor returns the descriptors a run with args needs (see newAppFor).
func commandsFor(global []cli.Flag, args []string) []command {
	flags, end := splitGlobalFlags(global, args)
	version := false
	for _, fl := range flags {
		switch strings.TrimLeft(fl, "-") {
		case "help", "h":
			return registered
		case "version", "v":
			version = true
		}
	}
	if end < len(args) && args[end] != "--" {
		for _, c := range registered {
			if c.name == args[end] || slices.Contains(c.aliases, args[end]) {
				if c.wholeTree {
					return registered
				}
				return []command{c}
			}
		}
		return registered
	}
	if version {
		return nil
	}
	return registered
}

// newAppOf builds the app of the descriptors descs, with the global flags
// global bound to g.
func newAppOf(f *Factory, g *globalOptions, global []cli.Flag, descs []command) *app {
	cmds, specs, err := buildCommands(f, descs)
	if err != nil {
		panic(err)
	}
	a := &cli.App{
		Name:                   "crictl",
		Usage:                  "client for CRI",
		Version:                f.Version,
		Writer:                 f.IO.Out,
		ErrWriter:              f.IO.ErrOut,
		Reader:                 f.IO.In,
		UseShortOptionHandling: true,
		// urfave's help and version flags are package-level values that
		// every App mutates while parsing; fresh ones per App keep
		// concurrent runs (the tests) independent.
		HideHelp:       true,
		HideVersion:    true,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return &UsageError{Cmd: commandPath(c), Err: err}
		},
		Flags: global,
		Before: func(c *cli.Context) error {
			return g.apply(c, f)
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(f.IO.Out, "crictl version %s\n", f.Version)
				return err
			}
			if c.Args().Present() {
				return &UsageError{Err: fmt.Errorf("unknown command %q; run 'crictl help' for the list of commands", c.Args().First())}
			}
			return cli.ShowAppHelp(c)
		},
		Commands: cmds,
		Metadata: map[string]any{specsKey: specs},
	}
	for _, cmd := range a.Commands {
		hideHelpCommands(cmd)
	}
	return &app{App: a, specs: specs}
}

func helpFlag() cli.Flag {
	return &cli.BoolFlag{Name: "help", Aliases: []string{"h"}, Usage: "show help"}
}

func newHelpCommand(*Factory) *cli.Command {
	return &cli.Command{
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return cli.ShowCommandHelp(c, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

var _ = register(command{name: "help", aliases: []string{"h"}, group: groupClient, args: argCommand, build: newHelpCommand, wholeTree: true,
	usage: "Show the list of commands or the help of one command", argsUsage: "[COMMAND]"})

func hideHelpCommands(cmd *cli.Command) {
	cmd.HideHelpCommand = true
	cmd.HideHelp = true
	cmd.Flags = append(cmd.Flags, helpFlag())
	if cmd.OnUsageError == nil {
		cmd.OnUsageError = func(c *cli.Context, err error, _ bool) error {
			return &UsageError{Cmd: commandPath(c), Err: err}
		}
	}
	for _, sub := range cmd.Subcommands {
		hideHelpCommands(sub)
	}
}

// commandPath is the command's full name, "create jsonschema" for a
// subcommand.
func commandPath(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		// The root contexts carry no command or the app's own.
		if ctx.Command == nil || ctx.Command.Name == "" || ctx.Command.Name == c.App.Name {
			continue
		}
		if len(names) == 0 || names[0] != ctx.Command.Name {
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(names, " ")
}

func (g *globalOptions) apply(c *cli.Context, f *Factory) error {
	fl := config.Flags{}
	if c.IsSet("config") {
		fl.ConfigPath = &g.configPath
	}
	if c.IsSet("runtime-endpoint") {
		fl.RuntimeEndpoint = &g.runtimeEndpoint
	}
	if c.IsSet("image-endpoint") {
		fl.ImageEndpoint = &g.imageEndpoint
	}
	if c.IsSet("timeout") {
		d, err := config.ParseTimeout(g.timeout)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--timeout: %w", err)}
		}
		fl.Timeout = &d
	}
	if c.IsSet("debug") {
		fl.Debug = &g.debug
	}
	if c.IsSet("max-retries") {
		fl.MaxRetries = &g.maxRetries
	}
	if c.IsSet("host-root") {
		root, err := hostroot.New(g.hostRoot)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--host-root: %w", err)}
		}
		fl.HostRoot = root
	}
	if c.IsSet("read-only") {
		fl.ReadOnly = &g.readOnly
	}
	f.flags = fl
	return g.startObservers(c, f)
}

// globalFlags are the flags before the command, bound to g.
func globalFlags(g *globalOptions, f *Factory) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Destination: &g.configPath,
			Usage: "location of the client config file; also $CRI_CONFIG_FILE", DefaultText: config.DefaultPath},
		&cli.BoolFlag{Name: "debug", Aliases: []string{"D"}, Destination: &g.debug,
			Usage: "show the requests sent to the runtime and its replies (secrets redacted)"},
		&cli.StringFlag{Name: "host-root", Destination: &g.hostRoot,
			Usage: "directory where the host's file system is mounted (kubectl debug node, a DaemonSet): the default sockets, the default config file and the log paths the runtime reports are read under it, never outside it", DefaultText: "/"},
		&cli.StringFlag{Name: "image-endpoint", Aliases: []string{"i"}, Destination: &g.imageEndpoint,
			Usage: "endpoint of the CRI image service; also $IMAGE_SERVICE_ENDPOINT (default: the runtime endpoint)"},
		&cli.IntFlag{Name: "max-retries", Value: 3, Destination: &g.maxRetries,
			Usage: "retries of a refused connection, within --timeout (negative: as many as fit)"},
		&cli.StringFlag{Name: "runtime-endpoint", Aliases: []string{"r"}, Destination: &g.runtimeEndpoint,
			Usage: "endpoint of the CRI runtime service; also $CONTAINER_RUNTIME_ENDPOINT (default: the first of " + strings.Join(f.DefaultEndpoints, ", ") + " that answers)"},
		&cli.StringFlag{Name: "timeout", Aliases: []string{"t"}, Value: "2s", Destination: &g.timeout,
			Usage: "timeout of connecting to the runtime and of each request, as a duration (2s, 500ms) or whole seconds"},
		&cli.BoolFlag{Name: "read-only", Destination: &g.readOnly,
			Usage: "refuse every command that can change the node or a container; also $" + config.EnvReadOnly + "=1 or read-only: true in the config file (a flag cannot turn those off)"},
		&cli.BoolFlag{Name: "enable-tracing", Destination: &g.enableTracing,
			Usage: "send OpenTelemetry spans of the command and of each CRI call to --tracing-endpoint (OTLP over gRPC, without TLS)"},
		&cli.StringFlag{Name: "tracing-endpoint", Value: tracing.DefaultEndpoint, Destination: &g.tracingEndpoint,
			Usage: "HOST:PORT of the OpenTelemetry collector that --enable-tracing sends spans to"},
		&cli.IntFlag{Name: "tracing-sampling-rate-per-million", Value: -1, Destination: &g.tracingRate,
			Usage: "runs traced per million with --enable-tracing: -1 or 1000000 every run, 0 none"},
		&cli.StringFlag{Name: "profile-cpu", Destination: &g.profileCPU, TakesFile: true,
			Usage: "write a pprof CPU profile of the run to `FILE`"},
		&cli.StringFlag{Name: "profile-mem", Destination: &g.profileMem, TakesFile: true,
			Usage: "write a pprof heap profile at the end of the run to `FILE`"},
		helpFlag(),
		&cli.BoolFlag{Name: "version", Aliases: []string{"v"}, Usage: "print crictl's version"},
	}
}
