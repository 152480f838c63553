package commands

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type logsOptions struct {
	follow, previous, reopen, timestamps bool
	tail, limitBytes                     int64
	since, until, stream                 string
	filter                               filterFlags
	allowAnyPath, raw                    bool

	opts logs.Options
}

func newLogsCommand(f *Factory) *cli.Command {
	o := &logsOptions{}
	return &cli.Command{
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Destination: &o.follow, Usage: "keep printing as the container writes, until it exits (Ctrl-C ends with exit 0)"},
			&cli.BoolFlag{Name: "previous", Aliases: []string{"p"}, Destination: &o.previous, Usage: "print the log of the previous attempt of the container (kubelet's log layout)"},
			&cli.BoolFlag{Name: "reopen", Aliases: []string{"r"}, Destination: &o.reopen, Usage: "ask the runtime to reopen the log file first"},
			&cli.Int64Flag{Name: "tail", Value: -1, Destination: &o.tail, Usage: "print only the last N lines (-1: all)"},
			&cli.Int64Flag{Name: "limit-bytes", Value: -1, Destination: &o.limitBytes, Usage: "stop after N bytes of output (-1: no limit)"},
			&cli.StringFlag{Name: "since", Destination: &o.since, Usage: "print only lines written at or after this time"},
			&cli.StringFlag{Name: "until", Destination: &o.until, Usage: "print only lines written at or before this time"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Destination: &o.timestamps, Usage: "prefix each line with its time (UTC, nanoseconds)"},
			&cli.StringFlag{Name: "stream", Aliases: []string{"s"}, Destination: &o.stream, Usage: "print only this stream: stdout or stderr"},
			&cli.BoolFlag{Name: "raw", Destination: &o.raw,
				Usage: "write the log's bytes as they are, also to a terminal (by default control characters, a carriage return included, are shown escaped on a terminal)"},
			&cli.BoolFlag{Name: "allow-any-log-path", Destination: &o.allowAnyPath,
				Usage: "read the log file wherever the runtime says it is (by default it must lie under " + logs.PodLogRoot + " or the pod's log directory, symbolic links followed)"},
		}, o.filter.flags(map[filterFlag]string{
			fNamespace: "narrow the container or pod name to this namespace",
			fPod:       "the pod (ID, ID prefix or name): narrows the container name, or, with no container, prints all its containers",
		}, fPod)...),
		Action: action(func(c *cli.Context) error { return runLogs(c.Context, f, o, c.Args().First()) },
			func(c *cli.Context) error { return o.validate(c, f) }),
	}
}

var _ = register(command{name: "logs", group: groupContainers, args: argContainer, build: newLogsCommand,
	usage: "Fetch the logs of a container, or of every container of a pod", argsUsage: "CONTAINER (ID, ID prefix or name) | --pod POD", help: logsHelp})

// logsHelp is the description in "crictl logs --help".
const logsHelp = `Reads the log file the runtime reports for the container, with its rotated files (kubelet's 0.log.<time>, .gz included), so crictl must run on the node.
With --pod and no container, prints every container of the pod, each line prefixed with the container's name, merged in time order.
--since and --until take an RFC 3339 time, a date, a duration before now (42m) or a unix time.`

func (o *logsOptions) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	switch {
	case c.NArg() > 1:
		return usagef(cmd, "logs takes one container; got %d arguments", c.NArg())
	case c.NArg() == 0 && o.filter.pod == "":
		return usagef(cmd, "give a container (ID, ID prefix or name), or --pod POD for all its containers")
	case c.NArg() == 1 && c.Args().First() == "":
		// Given but empty: a container argument, not the --pod form.
		return errors.New("empty container ID or name")
	case o.tail < -1:
		return usagef(cmd, "--tail %d: use a number of lines, or -1 for all", o.tail)
	}
	if o.reopen {
		// ReopenContainerLog makes the runtime close and create log files.
		if err := f.refuseIfReadOnly("logs --reopen"); err != nil {
			return err
		}
	}
	o.opts = logs.Options{Tail: o.tail, LimitBytes: o.limitBytes, Timestamps: o.timestamps, Follow: o.follow}
	switch o.stream {
	case "":
	case "stdout":
		o.opts.Stream = logs.Stdout
	case "stderr":
		o.opts.Stream = logs.Stderr
	default:
		return usagef(cmd, "--stream %q: use stdout or stderr", o.stream)
	}
	now := f.Now()
	var err error
	if o.since != "" {
		if o.opts.Since, err = logs.ParseTime(o.since, now); err != nil {
			return usagef(cmd, "--since: %v", err)
		}
	}
	if o.until != "" {
		if o.opts.Until, err = logs.ParseTime(o.until, now); err != nil {
			return usagef(cmd, "--until: %v", err)
		}
	}
	if !o.opts.Since.IsZero() && !o.opts.Until.IsZero() && o.opts.Until.Before(o.opts.Since) {
		return usagef(cmd, "--until is before --since")
	}
	return o.filter.validate(cmd)
}

func runLogs(ctx context.Context, f *Factory, o *logsOptions, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	scope := o.filter.scope()
	var ids []string
	prefix := false
	if arg != "" {
		id, err := resolve.New(rs, scope).Container(ctx, arg)
		if err != nil {
			return err
		}
		ids = []string{id}
	} else {
		// The pod itself is the argument: --namespace narrows its name.
		if ids, err = resolve.New(rs, resolve.Scope{Namespace: scope.Namespace}).PodContainers(ctx, o.filter.pod); err != nil {
			return err
		}
		prefix = true
	}

	var srcs []logs.Source
	var problems []error
	for _, id := range ids {
		src, err := o.source(ctx, rs, id, prefix)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 {
		if len(problems) == 1 {
			return problems[0]
		}
		return fmt.Errorf("no log to print: %w", errors.Join(problems...))
	}
	for _, p := range problems {
		f.printError(p)
	}
	if o.reopen {
		f.notef("Container logs reopened")
	}

	var stdout, stderr io.Writer = f.IO.Out, f.IO.ErrOut
	if o.follow {
		stdout = flushWriter{f.IO.Out}
	}
	// On a terminal a container's log is text for a person: an escape
	// sequence or a carriage return in it must not rewrite the screen.
	if !o.raw && f.IO.OutTTY {
		ew := &output.EscapeWriter{W: stdout}
		defer func() { _ = ew.Close() }()
		stdout = ew
	}
	if !o.raw && f.IO.ErrTTY {
		ew := &output.EscapeWriter{W: stderr}
		defer func() { _ = ew.Close() }()
		stderr = ew
	}
	err = logs.ReadMany(ctx, srcs, o.opts, stdout, stderr, f.IO.ErrOut)
	if o.follow && errors.Is(err, context.Canceled) {
		// Ctrl-C is how a follow ends.
		err = nil
	}
	if err == nil && len(problems) > 0 {
		return errSilent
	}
	return err
}

// source finds a container's log: reopened first with --reopen, the
// previous attempt's with --previous.
func (o *logsOptions) source(ctx context.Context, rs runtimeapi.RuntimeServiceClient, id string, prefix bool) (logs.Source, error) {
	if o.reopen {
		if _, err := rs.ReopenContainerLog(ctx, &runtimeapi.ReopenContainerLogRequest{ContainerId: id}); err != nil {
			return logs.Source{}, err
		}
	}
	st, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil {
		if cri.IsNotFound(err) {
			return logs.Source{}, notFound("container", id, err)
		}
		return logs.Source{}, err
	}
	s := st.GetStatus()
	name := s.GetMetadata().GetName()
	path := s.GetLogPath()
	if path == "" {
		return logs.Source{}, fmt.Errorf("container %s (%s): the runtime reports no log path", name, output.TruncateID(id, "", false))
	}
	running := func(ctx context.Context) (bool, error) {
		st, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
		if err != nil {
			if cri.IsNotFound(err) {
				return false, nil
			}
			return true, err
		}
		return st.GetStatus().GetState() == runtimeapi.ContainerState_CONTAINER_RUNNING, nil
	}
	if o.previous {
		if path, err = logs.PreviousPath(path, s.GetMetadata().GetAttempt()); err != nil {
			return logs.Source{}, fmt.Errorf("container %s: %w", name, err)
		}
		// The previous attempt has exited: nothing more will be written.
		running = func(context.Context) (bool, error) { return false, nil }
	}
	if !o.allowAnyPath {
		if path, err = confineLog(ctx, rs, id, path); err != nil {
			return logs.Source{}, fmt.Errorf("container %s: %w", name, err)
		}
	}
	src := logs.Source{Path: path, Running: running}
	if prefix {
		src.Prefix = "[" + output.Escape(name) + "] "
	}
	return src, nil
}
