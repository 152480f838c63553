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
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/stream"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type execOptions struct {
	filter       containerFilter
	stream       streamOptions
	sync         bool
	timeout      int64
	tty, stdin   bool
	detachKeys   string
	quiet        bool
	ignoreErrors bool
	parallel     bool
	maxParallel  int

	keys []byte
}

func newExecCommand(f *Factory) *cli.Command {
	o := &execOptions{}
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "sync", Aliases: []string{"s"}, Destination: &o.sync, Usage: "run the command with ExecSync: no stdin, its stdout and stderr are returned when it ends"},
		&cli.Int64Flag{Name: "timeout", Destination: &o.timeout, Usage: "with --sync: seconds the runtime lets the command run (0: no limit)"},
		&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Destination: &o.stdin, Usage: "send crictl's stdin to the command"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Destination: &o.tty, Usage: "run the command in a terminal (needs -i and a terminal on stdin)"},
		&cli.StringFlag{Name: "detach-keys", Value: stream.DefaultDetachKeys, Destination: &o.detachKeys,
			Usage: `with -t: the keys that end the session and leave the command running (ctrl-<letter> or a character, comma-separated; "" disables)`},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.quiet, Usage: "with filter flags: no header line before each container's output"},
		&cli.BoolFlag{Name: "ignore-errors", Aliases: []string{"e"}, Destination: &o.ignoreErrors, Usage: "exit 0 even when the command failed in some containers (the failures are still reported)"},
		&cli.BoolFlag{Name: "parallel", Aliases: []string{"x"}, Destination: &o.parallel, Usage: "with filter flags: run in the selected containers concurrently (at most --max-parallel at a time); each container's output is printed as a block when it ends"},
		&cli.IntFlag{Name: "max-parallel", Value: 8, Destination: &o.maxParallel, Usage: "with --parallel: containers run at the same time"},
	}
	flags = append(flags, execFilterFlags(&o.filter)...)
	flags = append(flags, o.stream.flags()...)
	return &cli.Command{
		Name:      "exec",
		Usage:     "Run a command in a running container",
		ArgsUsage: "[CONTAINER (ID, ID prefix or name)] COMMAND [ARG...]",
		Description: "Everything after CONTAINER (or, with filter flags, after the flags) is the command, passed as it is.\n" +
			"With any of --name, --namespace, --pod, --image, --state, --label, --selector, --latest or --last,\n" +
			"there is no CONTAINER argument: the command runs in every running container they select, one after\n" +
			"another (concurrently with --parallel), and crictl exits with the first non-zero exit code.\n" +
			"exec and exec --sync exit with the command's exit code.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			if err := o.validate(c, f); err != nil {
				return err
			}
			return runExec(c.Context, f, o, c.Args().Slice())
		},
	}
}

// execFilterFlags are the container filter flags as exec names them: the
// same as ps, but --state has no -s (that is --sync), there is no --id or
// --all, and they select running containers unless --state says otherwise.
func execFilterFlags(o *containerFilter) []cli.Flag {
	usage := map[string]string{
		"name":      "with no CONTAINER: run in the containers with this name (exact; a regular expression with --regex)",
		"namespace": "with no CONTAINER: run in the containers of pods in this namespace (exact; a regular expression with --regex)",
		"pod":       "with no CONTAINER: run in the containers of this pod (pod ID, ID prefix or name)",
		"image":     "with no CONTAINER: run in the containers of this image (name[:tag], digest or image ID)",
		"state":     "with no CONTAINER: run in the containers in this state: created, running, exited or unknown (default: running)",
		"latest":    "with no CONTAINER: run in the most recently created of the selected containers",
		"last":      "with no CONTAINER: run in the N most recently created of the selected containers (0: all)",
	}
	var out []cli.Flag
	for _, fl := range o.flags(false) {
		name := fl.Names()[0]
		if name == "id" {
			continue
		}
		switch f := fl.(type) {
		case *cli.StringFlag:
			if name == "state" {
				f.Aliases = nil
			}
			if u, ok := usage[name]; ok {
				f.Usage = u
			}
		case *cli.BoolFlag:
			if u, ok := usage[name]; ok {
				f.Usage = u
			}
		case *cli.IntFlag:
			if u, ok := usage[name]; ok {
				f.Usage = u
			}
		}
		out = append(out, fl)
	}
	return out
}

func (o *execOptions) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	if err := o.filter.validate(c); err != nil {
		return err
	}
	min := 2
	if o.filterMode() {
		min = 1
	}
	switch {
	case c.NArg() == 0:
		return usagef(cmd, "exec needs a container and a command (or filter flags and a command)")
	case c.NArg() < min:
		return usagef(cmd, "no command given: crictl exec CONTAINER COMMAND [ARG...]")
	}
	if o.sync && (o.tty || o.stdin) {
		return usagef(cmd, "--sync runs the command without stdin or a terminal: drop -i/-t, or drop --sync")
	}
	if o.timeout < 0 {
		return usagef(cmd, "--timeout %d: must be 0 or more seconds", o.timeout)
	}
	if o.tty && !o.stdin {
		return usagef(cmd, "-t/--tty needs -i/--interactive")
	}
	if o.tty {
		if _, ok := stdinFd(f); !ok {
			return usagef(cmd, "-t/--tty needs a terminal on stdin; leave out -t to pipe input")
		}
	}
	if o.maxParallel < 1 {
		return usagef(cmd, "--max-parallel %d: must be 1 or more", o.maxParallel)
	}
	var err error
	if o.keys, err = stream.ParseDetachKeys(o.detachKeys); err != nil {
		return usagef(cmd, "--detach-keys: %v", err)
	}
	return o.stream.validate(c)
}

// filterMode reports whether filter flags select the containers (then
// there is no CONTAINER argument).
func (o *execOptions) filterMode() bool {
	fl := &o.filter
	return fl.name != "" || fl.namespace != "" || fl.pod != "" || fl.image != "" || fl.state != "" ||
		fl.labels.exact != nil || fl.labels.selector != "" || fl.latest || fl.last > 0
}

// execTarget is one container the command runs in.
type execTarget struct {
	id, name, pod, namespace string
}

func (t execTarget) header() string {
	return fmt.Sprintf("==> %s (pod %s, namespace %s, ID %s) <==", output.Escape(t.name), output.Escape(t.pod),
		output.Escape(t.namespace), output.TruncateID(t.id, "", false))
}

func (t execTarget) label() string {
	return fmt.Sprintf("%s (%s)", output.Escape(t.name), output.TruncateID(t.id, "", false))
}

func runExec(ctx context.Context, f *Factory, o *execOptions, args []string) error {
	if !o.filterMode() {
		id, err := (&resolver{f: f}).container(ctx, args[0])
		if err != nil {
			return err
		}
		err = execOne(ctx, f, o, id, args[1:], f.IO.Out, f.IO.ErrOut)
		if o.ignoreErrors && err != nil && !errors.Is(err, context.Canceled) {
			var ee *ExitError
			if errors.As(err, &ee) && ee.Code == 0 {
				return err
			}
			if !errors.As(err, &ee) {
				fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(err.Error()))
			}
			return nil
		}
		return err
	}
	if o.filter.state == "" {
		o.filter.stateV = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	res, err := o.filter.list(ctx, f, !o.quiet, false)
	if err != nil {
		return err
	}
	if len(res.containers) == 0 {
		return errors.New("no containers match the filter flags")
	}
	if len(res.containers) > 1 && (o.stdin || o.tty) {
		return fmt.Errorf("-i and -t work with one container, and %d match the filter flags: narrow them (--latest picks the newest)", len(res.containers))
	}
	targets := make([]execTarget, len(res.containers))
	for i, c := range res.containers {
		pod, ns := res.pods.podOf(c)
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
				fmt.Fprintf(f.IO.ErrOut, "crictl: %s: the command exited with code %d\n", t.label(), ee.Code)
			}
		default:
			fmt.Fprintf(f.IO.ErrOut, "crictl: %s: %s\n", t.label(), oneLine(err.Error()))
		}
	}
	if !o.parallel {
		for i, t := range targets {
			if ctx.Err() != nil {
				break
			}
			if !o.quiet && !o.tty {
				fmt.Fprintln(f.IO.Out, t.header())
				flushOut(f)
			}
			errs[i] = execOne(ctx, f, o, t.id, cmd, f.IO.Out, f.IO.ErrOut)
			flushOut(f)
			if ee := new(ExitError); errors.As(errs[i], &ee) && ee.Code == 0 {
				// Detached: the session is over.
				return errs[i]
			}
			report(t, errs[i])
		}
	} else {
		sem := make(chan struct{}, o.maxParallel)
		var wg sync.WaitGroup
		for i, t := range targets {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var out, errOut bytes.Buffer
				errs[i] = execOne(ctx, f, o, t.id, cmd, &out, &errOut)
				printMu.Lock()
				defer printMu.Unlock()
				if !o.quiet {
					fmt.Fprintln(f.IO.Out, t.header())
				}
				_, _ = f.IO.Out.Write(out.Bytes()) // a failed write is reported at the end
				flushOut(f)
				_, _ = f.IO.ErrOut.Write(errOut.Bytes())
				report(t, errs[i])
			}()
		}
		wg.Wait()
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

func flushOut(f *Factory) {
	if fl, ok := f.IO.Out.(interface{ Flush() error }); ok {
		_ = fl.Flush() // a failed write is reported at the end
	}
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
		ContainerId: id, Cmd: cmd, Tty: o.tty, Stdin: o.stdin, Stdout: true, Stderr: !o.tty,
	})
	if err != nil {
		return err
	}
	return runStream(ctx, f, &o.stream, resp.GetUrl(), streamSession{
		stdin: o.stdin, tty: o.tty, keys: o.keys, out: out, errOut: errOut,
	})
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

// streamSession is what one exec or attach session reads and writes.
type streamSession struct {
	stdin, tty bool
	keys       []byte
	out        io.Writer
	errOut     io.Writer
}

// runStream connects to the stream URL the runtime returned and runs the
// session; with a terminal, raw mode starts only once the stream is up and
// ends on every way out.
func runStream(ctx context.Context, f *Factory, so *streamOptions, url string, ss streamSession) (err error) {
	t, err := so.target(f, url)
	if err != nil {
		return err
	}
	sio := stream.IO{Stdout: flushWriter{ss.out}}
	if !ss.tty {
		sio.Stderr = ss.errOut
	}
	if ss.stdin {
		sio.Stdin = f.IO.In
	}
	if ss.tty {
		var tty *ttySession
		ctx, tty, err = newTTYSession(ctx, f)
		if err != nil {
			return err
		}
		defer tty.restore()
		sio.TTY = true
		sio.Resize = tty.resize
		sio.DetachKeys = ss.keys
		sio.Ready = tty.ready
	}
	err = stream.RemoteCommand(ctx, t, sio)
	var ee *stream.ExitError
	var we *stream.LocalWriteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &ExitError{Code: exitCodeOf(ee.Code)}
	case errors.Is(err, stream.ErrDetached):
		return &ExitError{Code: 0, Msg: "detached (" + detachKeysText(ss.keys) + "); the process goes on in the container"}
	case errors.As(err, &we) && isBrokenPipe(we.Err):
		// Whoever read the output has gone: end quietly.
		return nil
	}
	return so.streamError(err)
}

func detachKeysText(keys []byte) string {
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case k == 0:
			b.WriteString("ctrl-@")
		case k >= 1 && k <= 26:
			b.WriteString("ctrl-" + string(rune('a'+k-1)))
		case k >= 27 && k <= 31:
			b.WriteString("ctrl-" + string(rune('['+k-27)))
		default:
			b.WriteByte(k)
		}
	}
	return b.String()
}
