package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestCommandReference keeps docs/commands.md in step with the command
// tree: go test -update rewrites it.
func TestCommandReference(t *testing.T) {
	f := testFactory(IOStreams{}, nil)
	f.DefaultEndpoints = []string{"unix:///run/containerd/containerd.sock", "unix:///run/crio/crio.sock", "unix:///var/run/cri-dockerd.sock"}
	app := newApp(f)
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("Generated from the command tree by `make golden`; do not edit by hand.\n\n")
	b.WriteString("```\ncrictl [global options] command [command options] [arguments...]\n```\n\n")
	b.WriteString("Flags may follow arguments (`crictl inspect ID -o json`); global options go before the command.\n\n")
	b.WriteString("## Global options\n\n")
	writeFlags(&b, app.Flags)
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		writeCommand(&b, c, "")
	}
	path := filepath.Join("..", "..", "docs", "commands.md")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != b.String() {
		t.Errorf("docs/commands.md is out of date: run make golden")
	}
}

func writeCommand(b *strings.Builder, c *cli.Command, parent string) {
	name := strings.TrimSpace(parent + " " + c.Name)
	fmt.Fprintf(b, "## %s\n\n%s.\n\n", name, strings.TrimSuffix(c.Usage, "."))
	usage := "crictl " + name
	if len(c.Flags) > 0 {
		usage += " [options]"
	}
	if c.ArgsUsage != "" {
		usage += " " + c.ArgsUsage
	}
	fmt.Fprintf(b, "```\n%s\n```\n\n", usage)
	if len(c.Aliases) > 0 {
		fmt.Fprintf(b, "Aliases: `%s`.\n\n", strings.Join(c.Aliases, "`, `"))
	}
	if c.Description != "" {
		b.WriteString(c.Description + "\n\n")
	}
	writeFlags(b, c.Flags)
	for _, sub := range c.Subcommands {
		if !sub.Hidden {
			writeCommand(b, sub, name)
		}
	}
}

func writeFlags(b *strings.Builder, flags []cli.Flag) {
	if len(flags) == 0 {
		return
	}
	b.WriteString("| Flag | Description |\n|---|---|\n")
	for _, fl := range flags {
		var names []string
		for _, n := range fl.Names() {
			if len(n) == 1 {
				names = append(names, "`-"+n+"`")
			} else {
				names = append(names, "`--"+n+"`")
			}
		}
		usage := ""
		if d, ok := fl.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
			if d.TakesValue() {
				def := d.GetDefaultText()
				if def == "" {
					def = d.GetValue()
				}
				if def != "" && def != `""` && def != "[]" {
					usage += fmt.Sprintf(" (default: %s)", strings.Trim(def, `"`))
				}
			}
		}
		fmt.Fprintf(b, "| %s | %s |\n", strings.Join(names, ", "), strings.ReplaceAll(usage, "|", "\\|"))
	}
	b.WriteString("\n")
}
