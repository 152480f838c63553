package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/parallel"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type execOptions struct {
	filter       filterFlags
	session      sessionFlags
	sync         bool
	timeout      int64
	quiet        bool
	ignoreErrors bool
	parallel     bool
	maxParallel  int

	containers *kube.ContainerFilter
}

func newExecCommand(f *Factory) *cli.Command {
	o := &execOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "sync", Aliases: []string{"s"}, Destination: &o.sync, Usage: "run the command with ExecSync: no stdin, its stdout and stderr are returned when it ends"},
		&cli.Int64Flag{Name: "timeout", Destination: &o.timeout, Usage: "with --sync: seconds the runtime lets the command run (0: no limit)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "with filter flags: no header line before each container's output"},
		&cli.BoolFlag{Name: "ignore-errors", Aliases: []string{"e"}, Destination: &o.ignoreErrors, Usage: "exit 0 even when the command failed in some containers (the failures are still reported)"},
		&cli.BoolFlag{Name: "parallel", Aliases: []string{"x"}, Destination: &o.parallel, Usage: "with filter flags: run in the selected containers concurrently (at most --max-parallel at a time); each container's output is printed as a block when it ends"},
		&cli.IntFlag{Name: "max-parallel", Value: parallel.DefaultLimit, Destination: &o.maxParallel, Usage: "with --parallel: containers run at the same time"},
	}
	// The container filter flags as exec words them: --state has no -s
	// (that is --sync), there is no --id or --all, and they select running
	// containers unless --state says otherwise.
	flags = append(flags, o.filter.flags(selectionUsage(false, "with no CONTAINER: ", "", fID, fAll), fState)...)
	flags = append(flags, o.session.flags("interactive", "send crictl's stdin to the command", "run the command in a terminal",
		"end the session and leave the command running")...)
	return &cli.Command{
		Flags: flags,
		Action: action(func(c *cli.Context) error { return runExec(c.Context, f, o, c.Args().Slice()) },
			func(c *cli.Context) error { return o.validate(c, f) }),
	}
}

var _ = register(command{name: "exec", group: groupContainers, args: argContainer, firstArgOnly: true, passThrough: true, changes: true, build: newExecCommand,
	usage: "Run a command in a running container", argsUsage: "[CONTAINER (ID, ID prefix or name)] COMMAND [ARG...]", help: execHelp})

// execHelp is the description in "crictl exec --help".
const execHelp = `Everything after CONTAINER (or, with filter flags, after the flags) is the command, passed as it is.
With any of --name, --namespace, --pod, --image, --state, --label, --selector, --latest or --last,
there is no CONTAINER argument: the command runs in every running container they select, one after
another (concurrently with --parallel), and crictl exits with the first non-zero exit code.
exec and exec --sync exit with the command's exit code.`

func (o *execOptions) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	var err error
	if o.containers, err = o.filter.containerFilter(cmd); err != nil {
		return err
	}
	min := 2
	if o.filter.selecting() {
		min = 1
	}
	switch {
	case c.NArg() == 0:
		return usagef(cmd, "exec needs a container and a command (or filter flags and a command)")
	case c.NArg() < min:
		return usagef(cmd, "no command given: crictl exec CONTAINER COMMAND [ARG...]")
	}
	if o.sync && (o.session.tty || o.session.stdin) {
		return usagef(cmd, "--sync runs the command without stdin or a terminal: drop -i/-t, or drop --sync")
	}
	if o.timeout < 0 {
		return usagef(cmd, "--timeout %d: must be 0 or more seconds", o.timeout)
	}
	if o.maxParallel < 1 {
		return usagef(cmd, "--max-parallel %d: must be 1 or more", o.maxParallel)
	}
	return o.session.validate(c, f)
}

// execTarget is one container the command runs in.
type execTarget struct {
	id, name, pod, namespace string
}

func (t execTarget) header() string {
	return fmt.Sprintf("==> %s (pod %s, namespace %s, ID %s) <==", output.Escape(t.name), output.Escape(t.pod),
		output.Escape(t.namespace), output.TruncateID(t.id, "", false))
}

// label names the container in error lines (which are escaped as a whole).
func (t execTarget) label() string {
	return fmt.Sprintf("%s (%s)", t.name, output.TruncateID(t.id, "", false))
}

func runExec(ctx context.Context, f *Factory, o *execOptions, args []string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	if !o.filter.selecting() {
		id, err := resolve.New(rs, resolve.Scope{}).Container(ctx, args[0])
		if err != nil {
			return err
		}
		err = execOne(ctx, f, o, id, args[1:], f.IO.Out, f.IO.ErrOut)
		if o.ignoreErrors && err != nil && !errors.Is(err, context.Canceled) {
			var ee *ExitError
			var de *detachedError
			switch {
			case errors.As(err, &de):
				return err
			case !errors.As(err, &ee):
				f.printError(err)
			}
			return nil
		}
		return err
	}
	if o.containers.State == nil {
		o.containers.State = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	res, err := kube.ListContainers(ctx, rs, f.Image, o.containers, kube.Join{Pods: !o.quiet})
	if err != nil {
		return err
	}
	if len(res.Items) == 0 {
		return errors.New("No containers found per filter flags") //nolint:staticcheck // the reference's words, which scripts grep for
	}
	if len(res.Items) > 1 && (o.session.stdin || o.session.tty) {
		return fmt.Errorf("-i and -t work with one container, and %d match the filter flags: narrow them (--latest picks the newest)", len(res.Items))
	}
	targets := make([]execTarget, len(res.Items))
	for i, c := range res.Items {
		pod, ns := res.Pods.PodOf(c)
		targets[i] = execTarget{id: c.GetId(), name: c.GetMetadata().GetName(), pod: pod, namespace: ns}
	}
	return execMany(ctx, f, o, targets, args)
}

// execMany runs the command in each target, one after another or with a
// bounded number at a time, prints each container's output as a block and
// returns the first non-zero exit code (in list order), or 1 when crictl
// failed for some container.
func execMany(ctx context.Context, f *Factory, o *execOptions, targets []execTarget, cmd []string) error {
	errs := make([]error, len(targets))
	var printMu sync.Mutex
	report := func(t execTarget, err error) {
		var ee *ExitError
		switch {
		case err == nil, errors.Is(err, context.Canceled):
		case errors.As(err, &ee):
			if ee.Code != 0 {
				f.errorf("%s: command terminated with exit code %d", t.label(), ee.Code)
			}
		default:
			f.errorf("%s: %w", t.label(), err)
		}
	}
	if !o.parallel {
		for i, t := range targets {
			if ctx.Err() != nil {
				break
			}
			if !o.quiet && !o.session.tty {
				fmt.Fprintln(f.IO.Out, t.header())
				f.flushOut()
			}
			errs[i] = execOne(ctx, f, o, t.id, cmd, f.IO.Out, f.IO.ErrOut)
			f.flushOut()
			if de := new(detachedError); errors.As(errs[i], &de) {
				// The session is over.
				return errs[i]
			}
			report(t, errs[i])
		}
	} else {
		parallel.ForEach(ctx, len(targets), o.maxParallel, func(i int) {
			t := targets[i]
			var out, errOut bytes.Buffer
			errs[i] = execOne(ctx, f, o, t.id, cmd, &out, &errOut)
			printMu.Lock()
			defer printMu.Unlock()
			if !o.quiet {
				fmt.Fprintln(f.IO.Out, t.header())
			}
			_, _ = f.IO.Out.Write(out.Bytes()) // a failed write is reported at the end
			f.flushOut()
			_, _ = f.IO.ErrOut.Write(errOut.Bytes())
			report(t, errs[i])
		})
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return execManyResult(errs, o.ignoreErrors)
}

func execManyResult(errs []error, ignore bool) error {
	failed := false
	for _, err := range errs {
		var ee *ExitError
		if errors.As(err, &ee) && ee.Code != 0 && !ignore {
			return &ExitError{Code: ee.Code}
		}
		failed = failed || err != nil
	}
	if failed && !ignore {
		return errSilent
	}
	return nil
}

// execOne runs the command in one container, writing its output to out
// and errOut; a remote exit code comes back as an *ExitError.
func execOne(ctx context.Context, f *Factory, o *execOptions, id string, cmd []string, out, errOut io.Writer) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	if o.sync {
		return execSync(ctx, f, rs, o, id, cmd, out, errOut)
	}
	resp, err := rs.Exec(ctx, &runtimeapi.ExecRequest{
		ContainerId: id, Cmd: cmd, Tty: o.session.tty, Stdin: o.session.stdin, Stdout: true, Stderr: !o.session.tty,
	})
	if err != nil {
		return err
	}
	return o.session.run(ctx, f, resp.GetUrl(), out, errOut)
}

func execSync(ctx context.Context, f *Factory, rs runtimeapi.RuntimeServiceClient, o *execOptions, id string, cmd []string, out, errOut io.Writer) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	// The runtime bounds the command by --timeout; the call gets that plus
	// crictl's own --timeout. No --timeout: no deadline, as the reference.
	var d time.Duration
	if o.timeout > 0 {
		d = cfg.Timeout + time.Duration(o.timeout)*time.Second
	}
	resp, err := rs.ExecSync(cri.WithTimeout(ctx, d), &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: o.timeout})
	if err != nil {
		return err
	}
	if _, err := out.Write(resp.GetStdout()); err != nil {
		if isBrokenPipe(err) {
			// Whoever read the output has gone: end quietly.
			return nil
		}
		return err
	}
	if _, err := errOut.Write(resp.GetStderr()); err != nil {
		return err
	}
	if code := resp.GetExitCode(); code != 0 {
		return &ExitError{Code: exitCodeOf(int(code))}
	}
	return nil
}
