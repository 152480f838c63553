// Package commands is crictl's command tree.
//
// Main builds a fresh urfave/cli App for every run (no package-level command
// values, so tests run many apps in parallel), moves flags written after
// positional arguments to where urfave expects them, runs the command, and
// turns the returned error into one line on stderr and an exit code.
//
// A command is a constructor newXCommand(f *Factory) *cli.Command, an options
// struct its flags bind into, and a run function. Commands reach the runtime
// only through the Factory, which resolves the configuration (flag > env >
// file > default) and dials lazily, so a command that needs only the image
// service never dials the runtime service and one that needs no RPC never
// touches the socket. Output goes to f.IO.Out through pkg/output.
package commands
