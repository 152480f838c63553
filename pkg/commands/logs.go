package commands

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type logsOptions struct {
	follow, previous, reopen, timestamps bool
	tail, limitBytes                     int64
	since, until, stream                 string
	namespace, pod                       string

	opts logs.Options
}

func newLogsCommand(f *Factory) *cli.Command {
	o := &logsOptions{}
	return &cli.Command{
		Name:      "logs",
		Usage:     "Fetch the logs of a container, or of every container of a pod",
		ArgsUsage: "CONTAINER (ID, ID prefix or name) | --pod POD",
		Description: "Reads the log file the runtime reports for the container, with its rotated files " +
			"(kubelet's 0.log.<time>, .gz included), so crictl must run on the node.\n" +
			"With --pod and no container, prints every container of the pod, each line prefixed with " +
			"the container's name, merged in time order.\n" +
			"--since and --until take an RFC 3339 time, a date, a duration before now (42m) or a unix time.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Destination: &o.follow, Usage: "keep printing as the container writes, until it exits (Ctrl-C ends with exit 0)"},
			&cli.BoolFlag{Name: "previous", Aliases: []string{"p"}, Destination: &o.previous, Usage: "print the log of the previous attempt of the container (kubelet's log layout)"},
			&cli.BoolFlag{Name: "reopen", Aliases: []string{"r"}, Destination: &o.reopen, Usage: "ask the runtime to reopen the log file first"},
			&cli.Int64Flag{Name: "tail", Value: -1, Destination: &o.tail, Usage: "print only the last N lines (-1: all)"},
			&cli.Int64Flag{Name: "limit-bytes", Value: -1, Destination: &o.limitBytes, Usage: "stop after N bytes of output (-1: no limit)"},
			&cli.StringFlag{Name: "since", Destination: &o.since, Usage: "print only lines written at or after this time"},
			&cli.StringFlag{Name: "until", Destination: &o.until, Usage: "print only lines written at or before this time"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Destination: &o.timestamps, Usage: "prefix each line with its time (UTC, nanoseconds)"},
			&cli.StringFlag{Name: "stream", Aliases: []string{"s"}, Destination: &o.stream, Usage: "print only this stream: stdout or stderr"},
			&cli.StringFlag{Name: "namespace", Destination: &o.namespace, Usage: "narrow the container or pod name to this namespace"},
			&cli.StringFlag{Name: "pod", Destination: &o.pod, Usage: "the pod (ID, ID prefix or name): narrows the container name, or, with no container, prints all its containers"},
		},
		Action: func(c *cli.Context) error {
			if err := o.validate(c, f); err != nil {
				return err
			}
			return runLogs(c.Context, f, o, c.Args().First())
		},
	}
}

func (o *logsOptions) validate(c *cli.Context, f *Factory) error {
	cmd := commandPath(c)
	switch {
	case c.NArg() > 1:
		return usagef(cmd, "logs takes one container; got %d arguments", c.NArg())
	case c.NArg() == 0 && o.pod == "":
		return usagef(cmd, "give a container (ID, ID prefix or name), or --pod POD for all its containers")
	case o.tail < -1:
		return usagef(cmd, "--tail %d: use a number of lines, or -1 for all", o.tail)
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
	return nil
}

func runLogs(ctx context.Context, f *Factory, o *logsOptions, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	r := &resolver{f: f, namespace: o.namespace, pod: o.pod}
	var ids []string
	prefix := false
	if arg != "" {
		id, err := r.container(ctx, arg)
		if err != nil {
			return err
		}
		ids = []string{id}
	} else {
		if ids, err = r.podContainers(ctx, o.pod); err != nil {
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
		fmt.Fprintf(f.IO.ErrOut, "crictl: %s\n", oneLine(p.Error()))
	}

	stdout := f.IO.Out
	if o.follow {
		stdout = flushing{f.IO.Out}
	}
	err = logs.ReadMany(ctx, srcs, o.opts, stdout, f.IO.ErrOut, f.IO.ErrOut)
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
	src := logs.Source{Path: path, Running: running}
	if prefix {
		src.Prefix = "[" + output.Escape(name) + "] "
	}
	return src, nil
}

// podContainers resolves --pod and picks one container per name: the
// running attempt, else the newest.
func (r *resolver) podContainers(ctx context.Context, pod string) ([]string, error) {
	podID, err := r.podID(ctx, pod)
	if err != nil {
		return nil, err
	}
	if err := r.loadContainers(ctx); err != nil {
		return nil, err
	}
	byName := map[string][]*runtimeapi.Container{}
	var names []string
	for _, c := range r.containers {
		if c.GetPodSandboxId() != podID {
			continue
		}
		n := c.GetMetadata().GetName()
		if byName[n] == nil {
			names = append(names, n)
		}
		byName[n] = append(byName[n], c)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("pod %q has no containers", pod)
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		ids = append(ids, pickContainer(byName[n]).GetId())
	}
	return ids, nil
}

// flushing writes through the buffered stdout at once, so followed lines
// appear as they are written.
type flushing struct{ w io.Writer }

func (fw flushing) Write(p []byte) (int, error) {
	n, err := fw.w.Write(p)
	if err == nil {
		if fl, ok := fw.w.(interface{ Flush() error }); ok {
			err = fl.Flush()
		}
	}
	return n, err
}
