package commands

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
)

type configOptions struct {
	get  string
	set  cli.StringSlice
	list bool
}

func newConfigCommand(f *Factory) *cli.Command {
	o := &configOptions{}
	return &cli.Command{
		Description: "Keys: " + strings.Join(config.Keys(), ", ") + ".\n" +
			"The file is the one --config or $CRI_CONFIG_FILE names, else " + config.DefaultPath + ".\n" +
			"--set keeps the file's comments and creates it (mode 0600) when missing; --get and --list never write.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "get", Destination: &o.get, Usage: "print the value of KEY"},
			&cli.StringSliceFlag{Name: "set", Destination: &o.set, Usage: "set KEY=VALUE[,KEY=VALUE...] (repeatable)"},
			&cli.BoolFlag{Name: "list", Destination: &o.list, Usage: "list every key and its value"},
		},
		Action: func(c *cli.Context) error {
			return runConfig(c, f, o)
		},
	}
}

var _ = register(command{name: "config", group: groupClient, args: argConfigKey, build: newConfigCommand,
	usage: "Get and set crictl client configuration options", argsUsage: "[KEY VALUE]"})

func runConfig(c *cli.Context, f *Factory, o *configOptions) error {
	cmd := commandPath(c)
	path, _, err := config.ConfigPath(f.flags, f.Getenv)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	var pairs [][2]string
	for _, s := range o.set.Value() {
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usagef(cmd, "incorrectly specified option: --set %q, expected KEY=VALUE", kv)
			}
			pairs = append(pairs, [2]string{k, v})
		}
	}
	switch c.NArg() {
	case 0:
	case 2:
		pairs = append(pairs, [2]string{c.Args().Get(0), c.Args().Get(1)})
	default:
		return usagef(cmd, "config takes KEY VALUE, or one of --get, --set, --list")
	}
	modes := 0
	for _, b := range []bool{o.get != "", len(pairs) > 0, o.list} {
		if b {
			modes++
		}
	}
	switch {
	case modes == 0:
		return cli.ShowSubcommandHelp(c)
	case modes > 1:
		return usagef(cmd, "use one of --get, --set (or KEY VALUE) and --list at a time")
	}

	file, err := config.Load(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return err
	}
	if missing {
		file = config.New(path)
	}
	for _, w := range file.Warnings() {
		f.warnf("%s", w)
	}

	switch {
	case o.get != "":
		v, err := file.Get(o.get)
		if err != nil {
			return usagef(cmd, "%v", err)
		}
		_, err = fmt.Fprintln(f.IO.Out, output.Escape(v))
		return err
	case o.list:
		t := output.NewTable("KEY", "VALUE")
		for _, kv := range file.List() {
			t.Row(kv[0], kv[1])
		}
		return t.Write(f.IO.Out, false)
	}
	for _, kv := range pairs {
		if err := file.Set(kv[0], kv[1]); err != nil {
			return usagef(cmd, "%v", err)
		}
	}
	return file.Save()
}
