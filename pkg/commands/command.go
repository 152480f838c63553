package commands

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"
)

// command is what the rest of the tree knows about one top-level command.
// Each command's file registers its own next to the command itself, so adding a command edits no other file: the app, help,
// argument reordering and completion are all derived from these.
type command struct {
	// name, aliases, usage (one line), argsUsage and help (the
	// description) are what help and docs/commands.md show.
	name      string
	aliases   []string
	usage     string
	argsUsage string
	help      string
	// build makes the command afresh for one run: its flags, action and
	// subcommands (and, where computed, its arguments' usage and help).
	build func(f *Factory) *cli.Command
	// group is the command's heading in help.
	group group
	// args is what the positional arguments name, for completion.
	args argKind
	// firstArgOnly: only the first positional argument is an object;
	// what follows is a command line, ports or config files.
	firstArgOnly bool
	// passThrough: the first positional argument ends flag parsing and
	// everything after it is passed on untouched (exec's command).
	passThrough bool
	// changes: the command can change the node (create, stop or remove
	// objects, pull, change settings) or anything inside a container
	// (exec, attach, port-forward); read-only mode refuses it.
	changes bool
	// wholeTree: the command looks at the other commands (help,
	// __complete), so a run of it builds them all; any other run builds
	// only its own command (newAppFor).
	wholeTree bool
}

// group is a heading of the command list in help.
type group string

const (
	groupPods       group = "Pods"
	groupContainers group = "Containers"
	groupImages     group = "Images"
	groupRuntime    group = "Runtime"
	groupClient     group = "Using crictl"
)

// argKind is what a command's positional arguments name.
type argKind int

const (
	argNone argKind = iota
	argContainer
	argPod
	argImage
	argConfigKey
	argShell
	// argFile: file names, which the shell completes.
	argFile
	// argCommand: command names (help).
	argCommand
)

// registered is every top-level command, in registration order; the app
// sorts them by name.
var registered []command

// register adds a command to the tree; each command file calls it once,
// next to the command (var _ = register(...)).
func register(c command) struct{} {
	if c.build == nil {
		panic("commands: register without build")
	}
	registered = append(registered, c)
	return struct{}{}
}

// app is the command tree of one run with the descriptors of its
// top-level commands.
type app struct {
	*cli.App
	specs map[*cli.Command]command
}

// specsKey is where newApp keeps the descriptors in the cli.App's
// Metadata, for commands that look at the whole tree (__complete).
const specsKey = "crictl.commands"

// appOf is the tree a running command is part of.
func appOf(c *cli.Context) *app {
	specs, _ := c.App.Metadata[specsKey].(map[*cli.Command]command)
	return &app{App: c.App, specs: specs}
}

// spec returns the descriptor of a top-level command.
func (a *app) spec(cmd *cli.Command) command {
	return a.specs[cmd]
}

// find returns the top-level command called name (or an alias), or nil.
func (a *app) find(name string) *cli.Command {
	return findCommand(a.Commands, name)
}

// buildCommands builds the commands of the descriptors, checking that names
// are unique, and returns them sorted by name with their descriptors.
func buildCommands(f *Factory, descs []command) ([]*cli.Command, map[*cli.Command]command, error) {
	specs := make(map[*cli.Command]command, len(descs))
	var cmds []*cli.Command
	seen := map[string]bool{}
	for _, c := range descs {
		cmd := c.build(f)
		cmd.Name, cmd.Aliases, cmd.Usage = c.name, c.aliases, c.usage
		if c.argsUsage != "" {
			cmd.ArgsUsage = c.argsUsage
		}
		if c.help != "" {
			cmd.Description = c.help
		}
		for _, n := range cmd.Names() {
			if seen[n] {
				return nil, nil, fmt.Errorf("commands: two commands are called %q", n)
			}
			seen[n] = true
		}
		if !cmd.Hidden {
			cmd.Category = string(c.group)
		}
		if c.changes {
			act, name := cmd.Action, c.name
			cmd.Action = func(ctx *cli.Context) error {
				if err := f.refuseIfReadOnly(name); err != nil {
					return err
				}
				return act(ctx)
			}
		}
		specs[cmd] = c
		cmds = append(cmds, cmd)
	}
	slices.SortFunc(cmds, func(a, b *cli.Command) int { return cmp.Compare(a.Name, b.Name) })
	return cmds, specs, nil
}

// showUsage prints the command's usage as one line on stderr (stdout is
// for data) and ends with exit 0: what the reference does (with the whole
// help, on stdout) when a command that removes things is given nothing.
func showUsage(c *cli.Context, f *Factory) error {
	f.printError(fmt.Errorf("nothing given; usage: crictl %s [options] %s", commandPath(c), c.Command.ArgsUsage))
	return nil
}

// action is the usual Action of a command: its checks in order (nil ones
// are skipped), all before any RPC, then run.
func action(run func(*cli.Context) error, checks ...func(*cli.Context) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		for _, check := range checks {
			if check == nil {
				continue
			}
			if err := check(c); err != nil {
				return err
			}
		}
		return run(c)
	}
}
