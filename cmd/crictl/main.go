// Command crictl is a CLI for CRI-compatible container runtimes.
package main

import (
	"os"

	"github.com/crictl/crictl/pkg/commands"
)

func main() {
	os.Exit(commands.Main(os.Args)) //nolint:forbidigo // the only exit
}
