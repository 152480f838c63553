// Package commands is crictl's command tree.
//
// Main builds a fresh urfave/cli App for every run (no package-level command
// values, so tests run many apps in parallel), moves flags written after
// positional arguments to where urfave expects them, runs the command, and
// turns the returned error into one line on stderr and an exit code.
//
// A command is one file: an options struct its flags bind into, a
// constructor newXCommand(f *Factory) *cli.Command that declares the flags
// and an Action (checks, all before any RPC, then the run function), the
// command's descriptor (register: name, help, help group, what its
// arguments name), and the run function. Help, completion and argument
// reordering are derived from the descriptors. Commands reach the runtime
// only through the Factory, which resolves the configuration (flag > env >
// file > default) and dials lazily, so a command that needs only the image
// service never dials the runtime service and one that needs no RPC never
// touches the socket. Output goes to f.IO.Out through pkg/output.
package commands
