package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/bundle"
	"github.com/crictl/crictl/pkg/dockerauth"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/redact"
	"github.com/urfave/cli/v2"
)

// exitPartial is the exit code of a bundle written with errors.
const exitPartial = 4

// bundleOutput are the flags that say where a bundle goes, shared by
// bundle and bundle merge.
type bundleOutput struct {
	output, dir   string
	force, base64 bool
	strict        bool
}

func (o *bundleOutput) flags(what, def string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Destination: &o.output, Usage: "write " + what + " as a tar.gz `FILE` (created under a temporary name, renamed when complete), or - for stdout", DefaultText: def},
		&cli.StringFlag{Name: "dir", Destination: &o.dir, Usage: "write " + what + " as files in this new (or empty) `DIRECTORY` instead"},
		&cli.BoolFlag{Name: "force", Destination: &o.force, Usage: "replace an existing output file (never a symbolic link)"},
		&cli.BoolFlag{Name: "base64", Destination: &o.base64, Usage: "with -o -: write the tar.gz as base64 lines between BEGIN and END lines, for a pod's log (bundle merge reads it back)"},
		&cli.BoolFlag{Name: "strict", Destination: &o.strict, Usage: "exit 1 instead of 4 when the bundle was written with errors"},
	}
}

func (o *bundleOutput) validate(cmd string) error {
	switch {
	case o.output != "" && o.dir != "":
		return usagef(cmd, "-o and --dir cannot be used together")
	case o.base64 && o.output != "-":
		return usagef(cmd, "--base64 needs -o -")
	case o.force && (o.output == "-" || o.dir != ""):
		return usagef(cmd, "--force applies to an output file only")
	}
	return nil
}

// open makes the sink: stdout, a directory, or a file (def when no flag
// names one). finish, after the sink is closed, ends a --base64 stream.
func (o *bundleOutput) open(f *Factory, def string, mtime time.Time) (sink bundle.Sink, finish func() error, err error) {
	finish = func() error { return nil }
	switch {
	case o.dir != "":
		sink, err = bundle.NewDirSink(o.dir)
	case o.output == "-":
		var w io.Writer = f.IO.Out
		if o.base64 {
			aw := bundle.NewArmorWriter(f.IO.Out)
			w, finish = aw, aw.Close
		} else if f.IO.OutTTY {
			return nil, nil, errors.New("refusing to write a tar.gz to a terminal: redirect stdout, or use --base64")
		}
		sink = bundle.NewStreamSink(w, mtime)
	default:
		p := o.output
		if p == "" {
			p = def
		}
		sink, err = bundle.NewFileSink(p, o.force, mtime)
	}
	return sink, finish, err
}

// done prints the final line and gives the exit: 0, 4 with errors (1 with
// --strict).
func (o *bundleOutput) done(f *Factory, what, location string, size int64, errs int) error {
	switch errs {
	case 0:
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s written to %s (%s, no errors)\n", what, output.Escape(location), output.HumanSize(uint64(size)))
		return nil
	case 1:
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s written to %s (%s, 1 error: see manifest.json)\n", what, output.Escape(location), output.HumanSize(uint64(size)))
	default:
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s written to %s (%s, %d errors: see manifest.json)\n", what, output.Escape(location), output.HumanSize(uint64(size)), errs)
	}
	if o.strict {
		return errSilent
	}
	return &ExitError{Code: exitPartial}
}

type bundleOptions struct {
	out                          bundleOutput
	filter                       filterFlags
	node                         string
	logLines                     int64
	logBytes, maxBytes, deadline string
	noRedact                     bool

	opts bundle.Options
}

func newBundleCommand(f *Factory) *cli.Command {
	o := &bundleOptions{}
	flags := append(o.out.flags("the bundle", "crictl-bundle-NODE-TIME.tar.gz"),
		&cli.StringFlag{Name: "node", Destination: &o.node, Usage: "the node's name in the bundle (default: $NODE_NAME, else the host's name)"},
		&cli.Int64Flag{Name: "log-lines", Value: bundle.DefaultLogLines, Destination: &o.logLines, Usage: "the last N lines of each container log, the previous attempt's too (-1: all)"},
		&cli.StringFlag{Name: "log-bytes", Value: "1Mi", Destination: &o.logBytes, Usage: "at most this much of each log, its newest part (512Ki, 1Mi)"},
		&cli.StringFlag{Name: "max-bytes", Value: "256Mi", Destination: &o.maxBytes, Usage: "at most this much in the whole bundle, uncompressed: logs stop when it is reached"},
		&cli.StringFlag{Name: "deadline", Value: "60s", Destination: &o.deadline, Usage: "finish within this time (each call to the runtime is also bounded by --timeout); what is missing by then is listed in manifest.json"},
		&cli.BoolFlag{Name: "no-redact", Destination: &o.noRedact, Usage: "keep secret-looking values (env, annotations, registry credentials) instead of replacing them with <redacted>"},
	)
	flags = append(flags, o.filter.flags(map[filterFlag]string{
		fNamespace: "only pods in this namespace: an exact namespace name, or a regular expression such as 'kube-.*'",
		fPod:       "only this pod (ID, ID prefix or name)",
		fName:      "only containers whose name matches this regular expression (and their pods)",
		fRegex:     regexUsage,
		fExact:     exactUsage,
		fLabel:     "only pods with this label, key=value (repeatable)",
		fSelector:  "only pods this label selector selects, in Kubernetes syntax",
	})...)
	return &cli.Command{
		Flags:       flags,
		Subcommands: []*cli.Command{newBundleMergeCommand(f)},
		Action: action(func(c *cli.Context) error { return runBundle(c.Context, f, o) }, noArgs,
			func(c *cli.Context) error { return o.validate(commandPath(c), f) }),
	}
}

var _ = register(command{name: "bundle", group: groupRuntime, build: newBundleCommand,
	usage: "Write a redacted support bundle of the node: runtime state, every pod, container and image, log tails",
	help:  bundleHelp})

// bundleHelp is the description in "crictl bundle --help".
const bundleHelp = `Collects, in one tar.gz: version, info, runtime-config, imagefsinfo, images, pods, ps -a,
stats and statsp, the inspect of every pod, container and image, and the last lines of every
container's log and of its previous attempt (rotated files included), with summary.txt first
and manifest.json last (what came from where, sizes, sha256, errors, redaction counts).
Secret-looking values are replaced with <redacted> unless --no-redact. The runtime's calls
run under --deadline: a runtime that hangs gives a bundle with errors, never a hang.
Exit 0: complete; 4: written with errors (--strict: 1); 1: nothing could be written.
'crictl bundle merge' joins the bundles of several nodes. See docs/bundle.md.`

func (o *bundleOptions) validate(cmd string, f *Factory) error {
	if err := o.out.validate(cmd); err != nil {
		return err
	}
	if err := o.filter.validate(cmd); err != nil {
		return err
	}
	if o.logLines == 0 || o.logLines < -1 {
		return usagef(cmd, "--log-lines %d: use a number of lines, or -1 for all", o.logLines)
	}
	sizes := map[string]*int64{"log-bytes": &o.opts.LogBytes, "max-bytes": &o.opts.MaxBytes}
	for name, v := range map[string]string{"log-bytes": o.logBytes, "max-bytes": o.maxBytes} {
		n, err := parseMemory(v)
		if err == nil && n == 0 {
			err = errors.New("must be more than 0")
		}
		if err != nil {
			return usagef(cmd, "--%s %q: %v", name, v, err)
		}
		*sizes[name] = n
	}
	d, err := time.ParseDuration(o.deadline)
	if err != nil || d <= 0 {
		return usagef(cmd, "--deadline %q: want a duration such as 60s or 2m", o.deadline)
	}
	o.opts.Deadline = d
	o.opts.LogLines = o.logLines
	o.opts.NoRedact = o.noRedact
	o.opts.Select = o.filter.sel
	o.opts.Pod = o.filter.pod
	o.opts.Root = f.HostRoot()
	return nil
}

func runBundle(ctx context.Context, f *Factory, o *bundleOptions) error {
	f.longRunning() // its target is a peak RSS under 40 MiB
	opts := o.opts
	opts.Node = nodeName(f, o.node)
	opts.CrictlVersion = f.Version
	opts.Now = f.Now
	if !opts.NoRedact {
		opts.Secrets = configSecrets(f)
	}
	if f.IO.ErrTTY {
		opts.Progress = f.IO.ErrOut
	}
	start := f.Now()
	sink, finish, err := o.out.open(f, bundle.DefaultName(opts.Node, start), start)
	if err != nil {
		return err
	}
	col := &bundle.Collector{Options: opts}
	if col.Runtime, col.ConnectError = f.Runtime(); col.ConnectError == nil {
		col.Options.Endpoint = f.runtimeEP
		col.Images, col.ImageError = f.Image()
	}
	res, err := col.Collect(ctx, sink)
	if err != nil {
		return notQuiet(err)
	}
	if err := finish(); err != nil {
		return err
	}
	if fl, ok := f.IO.Out.(interface{ Flush() error }); ok && o.out.output == "-" {
		if err := fl.Flush(); err != nil {
			return fmt.Errorf("writing the bundle to stdout: %w", err)
		}
	}
	return o.out.done(f, "bundle", res.Location, res.Size, res.Errors())
}

// notQuiet keeps a closed pipe from ending the command quietly with 0, as
// it does for lists: a bundle cut short is a failure.
func notQuiet(err error) error {
	if isBrokenPipe(err) {
		return errors.New(err.Error())
	}
	return err
}

// nodeName is --node, else $NODE_NAME (a DaemonSet's downward API), else
// the host's /etc/hostname under --host-root, else this machine's name.
func nodeName(f *Factory, flag string) string {
	if flag != "" {
		return flag
	}
	if n := f.Getenv("NODE_NAME"); n != "" {
		return n
	}
	if root := f.HostRoot(); !root.IsHost() {
		if fh, err := root.Open("/etc/hostname"); err == nil {
			b, _ := io.ReadAll(io.LimitReader(fh, 256))
			fh.Close()
			if n := strings.TrimSpace(string(b)); n != "" {
				return n
			}
		}
	}
	if n, err := os.Hostname(); err == nil && n != "" {
		return n
	}
	return "node"
}

// configSecrets are the credentials of the docker config.json files a
// node holds: the user's, and under the host root root's and kubelet's.
// A file that is missing or unreadable holds none.
func configSecrets(f *Factory) []string {
	var out []string
	if p := dockerauth.ConfigPath(f.Getenv); p != "" {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, redact.ConfigSecrets(b)...)
		}
	}
	root := f.HostRoot()
	for _, p := range []string{"/root/.docker/config.json", "/var/lib/kubelet/config.json"} {
		fh, err := root.Open(p)
		if err != nil {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(fh, 4<<20))
		fh.Close()
		if err == nil {
			out = append(out, redact.ConfigSecrets(b)...)
		}
	}
	return out
}

type bundleMergeOptions struct {
	out bundleOutput
}

func newBundleMergeCommand(f *Factory) *cli.Command {
	o := &bundleMergeOptions{}
	return &cli.Command{
		Name:      "merge",
		Usage:     "Join node bundles into one, with a summary across nodes",
		ArgsUsage: "BUNDLE (FILE or DIRECTORY)...",
		Description: `Reads node bundles: tar.gz files, bundle directories (--dir), the base64 text a pod printed
with --base64, and directories holding them, such as troubleshoot's <collector>/<node>.log.
Writes cluster-summary.txt first (one table across nodes), each node's bundle under
nodes/<node>/, and manifest.json last. Exit 0, or 4 when an input could not be read (--strict: 1).`,
		Flags: o.out.flags("the merged bundle", "crictl-bundle-cluster-TIME.tar.gz"),
		Action: action(func(c *cli.Context) error { return runBundleMerge(f, o, c.Args().Slice()) },
			func(c *cli.Context) error {
				if c.NArg() == 0 {
					return usagef(commandPath(c), "give the node bundles to merge (files or directories)")
				}
				return o.out.validate(commandPath(c))
			}),
	}
}

func runBundleMerge(f *Factory, o *bundleMergeOptions, inputs []string) error {
	now := f.Now()
	sink, finish, err := o.out.open(f, bundle.DefaultName("cluster", now), now)
	if err != nil {
		return err
	}
	res, err := bundle.Merge(inputs, sink, bundle.MergeOptions{CrictlVersion: f.Version, Now: f.Now})
	if err != nil {
		return notQuiet(err)
	}
	if err := finish(); err != nil {
		return err
	}
	return o.out.done(f, fmt.Sprintf("bundle of %d nodes", res.Nodes), res.Location, res.Size, res.Errors)
}
