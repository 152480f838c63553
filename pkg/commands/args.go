package commands

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// reorderArgs moves flags written after positional arguments in front of
// them, because urfave/cli v2 (Go's flag package) stops parsing at the first
// positional argument: `crictl inspect ID -o json` would otherwise look up a
// container named "-o". Global flags stay before the command; everything
// after "--" and the command part of exec are left untouched.
func (a *app) reorderArgs(args []string) []string {
	if len(args) < 2 {
		return args
	}
	// Global flags, then the command name.
	_, i := splitGlobalFlags(a.Flags, args)
	out := slices.Clone(args[:i])
	if i >= len(args) || args[i] == "--" {
		return append(out, args[i:]...)
	}
	cmd := a.find(args[i])
	if cmd == nil {
		return append(out, args[i:]...)
	}
	out = append(out, args[i])
	if cmd.SkipFlagParsing {
		return append(out, args[i+1:]...)
	}
	return append(out, reorderCommandArgs(cmd, a.spec(cmd).passThrough, args[i+1:])...)
}

// splitGlobalFlags finds the global flags at the front of args (args[0]
// is the program): it returns their tokens, without the values they take,
// and the index of what follows them: the command name, "--", or
// len(args). Short options may be combined (-Dr SOCKET), as the app allows.
func splitGlobalFlags(global []cli.Flag, args []string) (flags []string, end int) {
	end = 1
	for end < len(args) && args[end] != "--" && isFlagToken(args[end]) {
		flags = append(flags, args[end])
		if takesValue(global, args[end], true) && !strings.Contains(args[end], "=") {
			end++ // its value
		}
		end++
	}
	return flags, min(end, len(args))
}

// reorderCommandArgs puts a command's flags before its positional
// arguments; with passThrough, everything from the first positional
// argument on is left as it is.
func reorderCommandArgs(cmd *cli.Command, passThrough bool, args []string) []string {
	var flags, pos []string
	stopAtArg := passThrough
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !isFlagToken(a) {
			if len(pos) == 0 && len(flags) == 0 {
				if sub := findCommand(cmd.Subcommands, a); sub != nil {
					return append([]string{a}, reorderCommandArgs(sub, false, args[i+1:])...)
				}
			}
			pos = append(pos, a)
			if stopAtArg {
				pos = append(pos, args[i+1:]...)
				break
			}
			continue
		}
		flags = append(flags, a)
		if takesValue(cmd.Flags, a, true) && !strings.Contains(a, "=") && i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	if len(pos) == 0 {
		return flags
	}
	needSep := false
	for _, p := range pos {
		if strings.HasPrefix(p, "-") {
			needSep = true
			break
		}
	}
	// A pass-through command (exec) needs "--" only when its first word
	// looks like a flag; otherwise urfave stops at it by itself.
	if needSep && (!stopAtArg || strings.HasPrefix(pos[0], "-")) {
		flags = append(flags, "--")
	}
	return append(flags, pos...)
}

func isFlagToken(a string) bool {
	return len(a) > 1 && a[0] == '-'
}

// takesValue reports whether the flag token a (e.g. "-o", "--output",
// "-qo") consumes the next argument as its value.
func takesValue(flags []cli.Flag, a string, shortHandling bool) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	if f := lookupFlag(flags, name); f != nil {
		return flagTakesValue(f)
	}
	// Combined short flags (-qa, -it, -qo json): the last one decides.
	if shortHandling && !strings.HasPrefix(a, "--") && len(name) > 1 {
		if f := lookupFlag(flags, name[len(name)-1:]); f != nil {
			return flagTakesValue(f)
		}
	}
	return false
}

func lookupFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if flagHasName(f, name) {
			return f
		}
	}
	return nil
}

// flagHasName reports whether name is f's name or an alias. urfave's
// Names() runs a regular expression over every name and allocates: called
// for each flag of each argument, that was 6% of `crictl inspect`'s
// allocations.
func flagHasName(f cli.Flag, name string) bool {
	var own string
	var aliases []string
	switch f := f.(type) {
	case *cli.BoolFlag:
		own, aliases = f.Name, f.Aliases
	case *cli.StringFlag:
		own, aliases = f.Name, f.Aliases
	case *cli.IntFlag:
		own, aliases = f.Name, f.Aliases
	case *cli.Int64Flag:
		own, aliases = f.Name, f.Aliases
	case *cli.StringSliceFlag:
		own, aliases = f.Name, f.Aliases
	case *cli.DurationFlag:
		own, aliases = f.Name, f.Aliases
	case *cli.Float64Flag:
		own, aliases = f.Name, f.Aliases
	default:
		return slices.Contains(f.Names(), name)
	}
	return own == name || slices.Contains(aliases, name)
}

func flagTakesValue(f cli.Flag) bool {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
