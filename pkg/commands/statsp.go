package commands

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stats"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type statspOptions struct {
	filter  filterFlags
	out     outputOptions
	watch   bool
	seconds string

	pods          *kube.PodFilter
	sample, every time.Duration
}

func newStatspCommand(f *Factory) *cli.Command {
	o := &statspOptions{}
	flags := o.filter.flags(selectionUsage(true, "", "POD", fState, fLatest, fLast))
	flags = append(flags, o.out.flags(output.TableFormat, output.JSON, output.YAML, output.GoTemplate)...)
	flags = append(flags,
		&cli.StringFlag{Name: "seconds", Aliases: []string{"s"}, Destination: &o.seconds,
			Usage: "with --watch, refresh every N seconds (default 1); without, measure CPU over N seconds (two samples) instead of taking the runtime's rate; also a duration such as 500ms"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "refresh until Ctrl-C: in place on a terminal, with CPU and memory trends and memory as a share of the limit; a table block (or a JSON line) per refresh elsewhere"})
	return &cli.Command{
		Flags: flags,
		Action: action(func(c *cli.Context) error { return runStatsp(c.Context, f, o, c.Args().First()) },
			o.out.validate, func(c *cli.Context) (err error) {
				cmd := commandPath(c)
				if c.NArg() > 1 {
					return usagef(cmd, "unexpected argument %q: statsp takes at most one POD", c.Args().Get(1))
				}
				if c.NArg() == 1 && o.filter.id != "" {
					return usagef(cmd, "give a POD or --id, not both")
				}
				if o.pods, err = o.filter.podFilter(cmd); err != nil {
					return err
				}
				if o.sample, err = parseInterval(cmd, "seconds", o.seconds, stats.SampleInterval); err != nil {
					return err
				}
				o.every, err = parseInterval(cmd, "seconds", o.seconds, time.Second)
				return err
			}),
	}
}

var _ = register(command{name: "statsp", group: groupPods, build: newStatspCommand, args: argPod,
	usage:     "List pod statistics. Stats represent a structured API that will fulfill the Kubelet's /stats/summary endpoint",
	argsUsage: "[POD]",
	help: `Shows CPU and memory of the ready pods, sorted by ID, as the reference does, then their namespace,
the bytes their default network interface received and sent, and their process count, where the
runtime reports them. CPU is in percent of one core, from the runtime's rate or from two
samples --seconds apart (see stats). POD (an ID, ID prefix or name) selects one pod, as --id.

When the runtime fails the whole list because of one pod (containerd does for a pod without a
cgroup parent: "cgroupPath is empty", "has no cgroup parent"), each pod is asked on its own:
every pod that answers is shown, each one that does not gets one line on stderr, exit 1.`})

func runStatsp(ctx context.Context, f *Factory, o *statspOptions, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	if arg != "" {
		id, err := resolve.New(rs, o.filter.scope()).Pod(ctx, arg)
		if err != nil {
			return err
		}
		o.pods.ID = id
	}
	s := &stats.PodSampler{RS: rs, Filter: o.pods, Interval: o.sample, Measure: o.seconds != "" && !o.watch}
	table := o.out.format == output.TableFormat
	sample := func(ctx context.Context) (*stats.PodSample, error) {
		res, err := s.Sample(ctx, table)
		if err != nil {
			return nil, unsupported(ctx, rs, err)
		}
		return res, nil
	}
	if !o.watch {
		res, err := sample(ctx)
		if err != nil {
			return err
		}
		if table {
			err = statspTable(res.Rows, nil).Write(f.IO.Out, false)
		} else {
			err = o.out.document(f, &runtimeapi.ListPodSandboxStatsResponse{Stats: res.Stats})
		}
		if err != nil {
			return err
		}
		return f.reportErrors(podStatsErrors(res.Failed))
	}
	var trends *statsTrends
	reported := map[string]bool{}
	return watchFrames(ctx, f, o.out.format, o.every, func(ctx context.Context, w *bytes.Buffer, redraw bool) error {
		res, err := sample(ctx)
		if err != nil {
			return err
		}
		// each pod that does not answer is named once, not every refresh
		for i, pe := range res.Failed {
			if !reported[pe.ID] {
				reported[pe.ID] = true
				f.printError(podStatsErrors(res.Failed[i : i+1])[0])
			}
		}
		if !table {
			return watchDocument(f, w, &o.out, &runtimeapi.ListPodSandboxStatsResponse{Stats: res.Stats}, redraw)
		}
		if redraw && trends == nil {
			trends = newStatsTrends()
		}
		return statspTable(res.Rows, trends).Write(w, false)
	})
}

// podStatsErrors words the pods that did not answer.
func podStatsErrors(failed []stats.PodError) []error {
	errs := make([]error, len(failed))
	for i, pe := range failed {
		errs[i] = fmt.Errorf("pod %s (%s, %s): %w", pe.Name, pe.Namespace, output.TruncateID(pe.ID, "", false), pe.Err)
	}
	return errs
}

// statspTable is the reference's table (POD, POD ID, CPU %, MEM), then
// NAMESPACE, the network and the process count; with trends (a watch on a
// terminal) the sparklines and MEM % as well.
func statspTable(rows []stats.Pod, trends *statsTrends) *output.Table {
	header := []string{"POD", "POD ID", "CPU %", "MEM", "NAMESPACE", "NET RX", "NET TX", "PIDS"}
	if trends != nil {
		header = []string{"POD", "POD ID", "CPU %", "CPU TREND", "MEM", "MEM TREND", "MEM %", "NAMESPACE", "NET RX", "NET TX", "PIDS"}
	}
	t := output.NewTable(header...)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	idCol := output.NewIDColumn(ids, "", false)
	for _, r := range rows {
		cells := []string{r.Name, idCol.Format(r.ID), cpuCell(r.CPU, r.HasCPU)}
		if trends != nil {
			ct, mt, share := trends.cells(r.ID, r.CPU, r.HasCPU, r.Memory, r.MemoryLimit)
			cells = append(cells, ct, output.HumanSize(r.Memory), mt, share)
		} else {
			cells = append(cells, output.HumanSize(r.Memory))
		}
		rx, tx, pids := "-", "-", "-"
		if r.HasNetwork {
			rx, tx = output.HumanSize(r.RxBytes), output.HumanSize(r.TxBytes)
		}
		if r.HasProcesses {
			pids = strconv.FormatUint(r.Processes, 10)
		}
		t.Row(append(cells, r.Namespace, rx, tx, pids)...)
	}
	if trends != nil {
		trends.endRound()
	}
	return t
}
