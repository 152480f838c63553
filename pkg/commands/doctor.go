package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/doctor"
	"github.com/crictl/crictl/pkg/output"
	"github.com/urfave/cli/v2"
)

type doctorOptions struct {
	filter                      filterFlags
	out                         outputOptions
	failOn                      string
	diskWarn, diskCrit, cpuWarn float64
	memWarn                     float64
	startTimeout, interval      time.Duration
	watch, stats                bool
	logLines                    int

	sel     doctor.Selection
	opts    doctor.Options
	failSev doctor.Severity
}

func newDoctorCommand(f *Factory) *cli.Command {
	o := &doctorOptions{}
	d := doctor.DefaultOptions()
	flags := o.filter.flags(map[filterFlag]string{
		fNamespace: "check only the pods and containers of this namespace: an exact namespace name, or a regular expression such as 'kube-.*'",
		fPod:       "check only this pod (ID, ID prefix or name) and its containers",
		fRegex:     regexUsage,
		fLabel:     "check only pods with this label, key=value (repeatable)",
		fSelector:  "check only pods this label selector selects, e.g. 'app in (web,api)'",
	})
	flags = append(flags,
		&cli.StringFlag{Name: "fail-on", Value: "critical", Destination: &o.failOn,
			Usage: "exit 3 when a finding is at least this severe: critical, warning, info or never"},
		&cli.Float64Flag{Name: "disk-warn", Value: d.DiskWarn, Destination: &o.diskWarn,
			Usage: "warn when an image or container filesystem has more than this percentage of its space or inodes in use"},
		&cli.Float64Flag{Name: "disk-crit", Value: d.DiskCrit, Destination: &o.diskCrit,
			Usage: "a critical finding above this percentage"},
		&cli.Float64Flag{Name: "cpu-warn", Value: d.CPUWarn, Destination: &o.cpuWarn,
			Usage: "with --stats: warn when a container uses more than this percentage of its CPU limit (of the node's CPUs without one)"},
		&cli.Float64Flag{Name: "mem-warn", Value: d.MemWarn, Destination: &o.memWarn,
			Usage: "with --stats: warn when a container's working set is above this percentage of its memory limit"},
		&cli.DurationFlag{Name: "start-timeout", Value: d.NotStarted, Destination: &o.startTimeout,
			Usage: "report a container created this long ago and not started, and a ready pod that has had no container for this long"},
		&cli.BoolFlag{Name: "stats", Destination: &o.stats,
			Usage: "also check CPU and memory use against the containers' limits (one ListContainerStats: containerd 1.6 takes about 4 ms per container)"},
		&cli.IntFlag{Name: "log-lines", Value: d.LogLines, Destination: &o.logLines,
			Usage: "lines of a failed attempt's log to show (0: none)"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "check again every --interval and print only what changed, until Ctrl-C (exit 0)"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Destination: &o.interval,
			Usage: "time between checks with --watch"},
	)
	return &cli.Command{
		UsageText: "crictl doctor [options]",
		Flags:     append(flags, o.out.flags(output.TableFormat, output.JSON, output.YAML)...),
		Action: action(func(c *cli.Context) error { return runDoctor(c.Context, f, o) },
			noArgs, o.out.validate, func(c *cli.Context) error { return o.validate(commandPath(c)) }),
	}
}

var _ = register(command{name: "doctor", group: groupRuntime, build: newDoctorCommand,
	usage: "Show what is wrong on this node: runtime conditions, crash loops, failed and stuck containers and pods, disk, limits, configuration",
	help:  doctorHelp})

const doctorHelp = `Asks the runtime once for its status and lists (plus ContainerStatus of the suspicious containers only) and prints its findings grouped by severity, each with the object, the evidence and the crictl command to run next.
--namespace, --pod, --label and --selector narrow the pod and container checks; findings about the runtime, the node's disks and crictl's configuration are always shown.
Exit status: 0 when nothing is at least --fail-on severe (default critical), 3 when something is, 1 when doctor could not run (the runtime is unreachable). docs/doctor.md lists the checks and the document -o json prints.`

func (o *doctorOptions) validate(cmd string) error {
	if err := o.filter.validate(cmd); err != nil {
		return err
	}
	o.sel = doctor.Selection{Namespace: o.filter.sel.Namespace, Labels: o.filter.sel.Labels, Pod: o.filter.pod}
	var err error
	if o.failSev, err = doctor.ParseSeverity(o.failOn); err != nil {
		return usagef(cmd, "--fail-on: %v", err)
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"disk-warn", o.diskWarn}, {"disk-crit", o.diskCrit}, {"cpu-warn", o.cpuWarn}, {"mem-warn", o.memWarn}} {
		if p.v <= 0 || p.v > 100 && p.name != "cpu-warn" {
			return usagef(cmd, "--%s %g: give a percentage above 0 and at most 100", p.name, p.v)
		}
	}
	if o.diskCrit < o.diskWarn {
		return usagef(cmd, "--disk-crit %g is below --disk-warn %g", o.diskCrit, o.diskWarn)
	}
	if o.startTimeout < 0 {
		return usagef(cmd, "--start-timeout %v: must not be negative", o.startTimeout)
	}
	if o.logLines < 0 || o.logLines > 1000 {
		return usagef(cmd, "--log-lines %d: give 0 to 1000", o.logLines)
	}
	if o.watch && o.interval < 100*time.Millisecond {
		return usagef(cmd, "--interval %v: give at least 100ms", o.interval)
	}
	o.opts = doctor.DefaultOptions()
	o.opts.DiskWarn, o.opts.DiskCrit, o.opts.CPUWarn, o.opts.MemWarn = o.diskWarn, o.diskCrit, o.cpuWarn, o.memWarn
	o.opts.NotStarted, o.opts.LogLines, o.opts.NodeCPUs, o.opts.Stats = o.startTimeout, o.logLines, runtime.NumCPU(), o.stats
	return nil
}

// doctorNode resolves crictl's configuration for doctor, which reports a
// config file that cannot be used instead of failing on it: it then goes
// on with the flags and the environment alone, as with --config /dev/null.
func doctorNode(f *Factory) (doctor.Node, error) {
	r, path, fileErr, err := f.configForReport()
	n := doctor.Node{ConfigPath: path}
	if err != nil {
		return n, err
	}
	if fileErr != nil {
		n.ConfigError = fileErr.Error()
	} else {
		n.ConfigPath, n.ConfigLoaded, n.ConfigWarnings = r.Path, r.FileLoaded, r.Warnings
	}
	return n, nil
}

func runDoctor(ctx context.Context, f *Factory, o *doctorOptions) error {
	node, err := doctorNode(f)
	if err != nil {
		return err
	}
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	node.Endpoint, node.EndpointProbed = f.endpointProbed()
	src := doctor.Sources{Runtime: rs, Image: f.Image, Now: f.Now, Node: node}
	check := func(ctx context.Context) (*doctor.Report, error) {
		snap, err := doctor.Gather(ctx, src, o.sel, o.opts)
		if err != nil {
			return nil, err
		}
		return doctor.Diagnose(snap, o.sel, o.opts), nil
	}
	rep, err := check(ctx)
	if err != nil {
		if o.watch && errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	out := f.IO.Out
	if o.watch {
		out = flushWriter{f.IO.Out}
	}
	if err := o.print(f, out, rep); err != nil {
		return err
	}
	if !o.watch {
		if w, ok := doctor.Worst(rep.Findings); ok && w >= o.failSev {
			return &ExitError{Code: 3}
		}
		return nil
	}
	return o.watchLoop(ctx, f, out, rep.Findings, check)
}

// watchLoop checks again every interval and prints what changed; Ctrl-C
// ends it with exit 0. A failed check is reported and the watch goes on
// (the runtime may be restarting).
func (o *doctorOptions) watchLoop(ctx context.Context, f *Factory, out io.Writer, last []doctor.Finding,
	check func(context.Context) (*doctor.Report, error)) error {
	t := time.NewTicker(o.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		rep, err := check(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			f.warnf("%s: %v", f.Now().Format(time.TimeOnly), err)
			continue
		}
		ch := doctor.Diff(last, rep.Findings)
		last = rep.Findings
		if ch.Empty() {
			continue
		}
		if err := o.printChange(f, out, rep, ch); err != nil {
			return err
		}
	}
}

func (o *doctorOptions) print(f *Factory, w io.Writer, rep *doctor.Report) error {
	if o.out.isDocument() {
		return output.Document(w, o.out.format, nil, rep, false)
	}
	var b strings.Builder
	st := newDoctorStyle(f)
	b.WriteString(rep.Headline())
	b.WriteByte('\n')
	var cur doctor.Severity = -1
	for i := range rep.Findings {
		fd := &rep.Findings[i]
		if fd.Severity != cur {
			cur = fd.Severity
			n := 0
			for _, g := range rep.Findings {
				if g.Severity == cur {
					n++
				}
			}
			fmt.Fprintf(&b, "\n%s (%d)\n", st.severity(cur, strings.ToUpper(cur.String())), n)
		}
		writeFinding(&b, fd)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// watchEvent is the document of one change in a --watch.
type watchEvent struct {
	Time string `json:"time"`
	doctor.Change
	Summary doctor.Summary `json:"summary"`
}

func (o *doctorOptions) printChange(f *Factory, w io.Writer, rep *doctor.Report, ch doctor.Change) error {
	now := f.Now()
	if o.out.isDocument() {
		if o.out.format == output.YAML {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		return output.Document(w, o.out.format, nil, watchEvent{Time: now.UTC().Format(time.RFC3339), Change: ch, Summary: rep.Summary}, false)
	}
	st := newDoctorStyle(f)
	var b strings.Builder
	stamp := now.Format(time.TimeOnly)
	for _, part := range []struct {
		mark string
		fs   []doctor.Finding
	}{{"+", ch.Added}, {"~", ch.Changed}} {
		for i := range part.fs {
			fd := &part.fs[i]
			fmt.Fprintf(&b, "%s %s %s\n", stamp, part.mark, st.severity(fd.Severity, strings.ToUpper(fd.Severity.String())))
			writeFinding(&b, fd)
		}
	}
	for _, fd := range ch.Resolved {
		fmt.Fprintf(&b, "%s - resolved: %s: %s\n", stamp, objectText(fd.Object), output.Escape(fd.Message))
	}
	fmt.Fprintf(&b, "%s = %s\n", stamp, rep.Headline())
	_, err := io.WriteString(w, b.String())
	return err
}

// objectText names a finding's object in one escaped phrase.
func objectText(o doctor.Object) string {
	var s string
	switch o.Kind {
	case doctor.KindContainer:
		s = "container " + output.Escape(o.Name) + " in pod " + output.Escape(o.Namespace) + "/" + output.Escape(o.Pod)
	case doctor.KindPod:
		s = "pod " + output.Escape(o.Namespace) + "/" + output.Escape(o.Name)
	default:
		s = o.Kind + " " + output.Escape(o.Name)
	}
	if o.ID != "" {
		s += " (" + output.Escape(o.ID) + ")"
	}
	return s
}

func writeFinding(b *strings.Builder, fd *doctor.Finding) {
	fmt.Fprintf(b, "  %s: %s\n", objectText(fd.Object), output.Escape(fd.Message))
	for _, kv := range fd.Evidence {
		fmt.Fprintf(b, "      %s: %s\n", output.Escape(kv.Key), output.Escape(kv.Value))
	}
	if len(fd.Log) > 0 {
		b.WriteString("      last log lines:\n")
		for _, l := range fd.Log {
			fmt.Fprintf(b, "        | %s\n", output.Escape(l))
		}
	}
	if fd.Hint != "" {
		fmt.Fprintf(b, "      hint: %s\n", output.Escape(fd.Hint))
	}
}

// doctorStyle colours the severity headings on a terminal only (and not
// with NO_COLOR set).
type doctorStyle struct{ color bool }

func newDoctorStyle(f *Factory) doctorStyle {
	return doctorStyle{color: f.IO.OutTTY && f.Getenv("NO_COLOR") == ""}
}

func (s doctorStyle) severity(sev doctor.Severity, text string) string {
	if !s.color {
		return text
	}
	code := map[doctor.Severity]string{doctor.Critical: "1;31", doctor.Warning: "1;33", doctor.Info: "1;34"}[sev]
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
