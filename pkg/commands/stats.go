package commands

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stats"
	"github.com/crictl/crictl/pkg/watch"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// trendLen is how many samples a sparkline of stats -w shows.
const trendLen = 10

type statsOptions struct {
	filter  filterFlags
	out     outputOptions
	watch   bool
	seconds string

	containers *kube.ContainerFilter
	// sample is the wait between two one-shot samples, every the refresh
	// interval of a watch.
	sample, every time.Duration
}

func newStatsCommand(f *Factory) *cli.Command {
	o := &statsOptions{}
	flags := o.filter.flags(selectionUsage(false, "", "CONTAINER", fImage, fState, fLatest, fLast))
	flags = append(flags, o.out.flags(output.TableFormat, output.JSON, output.YAML, output.GoTemplate)...)
	flags = append(flags,
		&cli.StringFlag{Name: "seconds", Aliases: []string{"s"}, Destination: &o.seconds,
			Usage: "with --watch, refresh every N seconds (default 1); without, measure CPU over N seconds (two samples) instead of taking the runtime's rate; also a duration such as 500ms"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Destination: &o.watch,
			Usage: "refresh until Ctrl-C: in place on a terminal, with CPU and memory trends and memory as a share of the limit; a table block (or a JSON line) per refresh elsewhere"})
	return &cli.Command{
		Flags: flags,
		Action: action(func(c *cli.Context) error { return runStats(c.Context, f, o, c.Args().First()) },
			o.out.validate, func(c *cli.Context) (err error) {
				cmd := commandPath(c)
				if c.NArg() > 1 {
					return usagef(cmd, "unexpected argument %q: stats takes at most one CONTAINER", c.Args().Get(1))
				}
				if c.NArg() == 1 && o.filter.id != "" {
					return usagef(cmd, "give a CONTAINER or --id, not both")
				}
				if o.containers, err = o.filter.containerFilter(cmd); err != nil {
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

var _ = register(command{name: "stats", group: groupContainers, build: newStatsCommand, args: argContainer,
	usage: "List container(s) resource usage statistics", argsUsage: "[CONTAINER]",
	help: `Shows CPU, memory, writable layer and swap use of the running containers (every container
with -a), sorted by ID, with the pod and namespace of each. CPU is in percent of one core, so it
can exceed 100: the runtime's own rate where it reports one (containerd does from its second
stats call on, over the time since the call before, kubelet's on a node); else, or with
--seconds, measured over two samples 0.5 s (--seconds) apart. MEM is the working set. A
container that stops between the calls is left out. CONTAINER (an ID, ID prefix or name)
selects one container, as --id does.

-o json, yaml and go-template print the runtime's stats of the same containers ({"stats": [...]},
the reference's shape) without waiting for a second sample.`})

func runStats(ctx context.Context, f *Factory, o *statsOptions, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	if arg != "" {
		id, err := resolve.New(rs, o.filter.scope()).Container(ctx, arg)
		if err != nil {
			return err
		}
		o.containers.ID = id
		o.containers.All = true
	}
	s := &stats.ContainerSampler{RS: rs, Images: f.Image, Filter: o.containers, Interval: o.sample, Measure: o.seconds != "" && !o.watch}
	table := o.out.format == output.TableFormat
	sample := func(ctx context.Context) (*stats.ContainerSample, error) {
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
			err = statsTable(res.Rows, nil).Write(f.IO.Out, false)
		} else {
			err = o.out.document(f, &runtimeapi.ListContainerStatsResponse{Stats: res.Stats})
		}
		if err != nil {
			return err
		}
		return f.reportErrors(res.Errs)
	}
	var trends *statsTrends
	warned := false
	return watchFrames(ctx, f, o.out.format, o.every, func(ctx context.Context, w *bytes.Buffer, redraw bool) error {
		res, err := sample(ctx)
		if err != nil {
			return err
		}
		if len(res.Errs) > 0 && !warned {
			warned = true
			for _, e := range res.Errs {
				f.warnf("%v", e)
			}
		}
		if !table {
			return watchDocument(f, w, &o.out, &runtimeapi.ListContainerStatsResponse{Stats: res.Stats}, redraw)
		}
		if redraw && trends == nil {
			trends = newStatsTrends()
		}
		return statsTable(res.Rows, trends).Write(w, false)
	})
}

// statsTrends are the sparklines of stats -w on a terminal.
type statsTrends struct {
	cpu, mem *watch.History
}

func newStatsTrends() *statsTrends {
	return &statsTrends{cpu: watch.NewHistory(trendLen), mem: watch.NewHistory(trendLen)}
}

// endRound forgets the rows that are gone.
func (t *statsTrends) endRound() {
	t.cpu.EndRound()
	t.mem.EndRound()
}

// cells are the trend columns of a row: CPU and memory sparklines and
// memory as a share of its limit.
func (t *statsTrends) cells(id string, cpu float64, hasCPU bool, mem, limit uint64) (cpuTrend, memTrend, share string) {
	if hasCPU {
		cpuTrend = watch.Spark(t.cpu.Add(id, cpu), true)
	}
	memTrend = watch.Spark(t.mem.Add(id, float64(mem)), false)
	share = "-"
	if limit > 0 {
		share = strconv.FormatFloat(float64(mem)/float64(limit)*100, 'f', 0, 64) + "%"
	}
	return cpuTrend, memTrend, share
}

// statsTable is the reference's table, then POD and NAMESPACE; with trends
// (a watch on a terminal) the sparklines and MEM % as well.
func statsTable(rows []stats.Container, trends *statsTrends) *output.Table {
	header := []string{"CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES", "SWAP", "POD", "NAMESPACE"}
	if trends != nil {
		header = []string{"CONTAINER", "NAME", "CPU %", "CPU TREND", "MEM", "MEM TREND", "MEM %", "DISK", "INODES", "SWAP", "POD", "NAMESPACE"}
	}
	t := output.NewTable(header...)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	idCol := output.NewIDColumn(ids, "", false)
	for _, r := range rows {
		cells := []string{idCol.Format(r.ID), r.Name, cpuCell(r.CPU, r.HasCPU)}
		if trends != nil {
			ct, mt, share := trends.cells(r.ID, r.CPU, r.HasCPU, r.Memory, r.MemoryLimit)
			cells = append(cells, ct, output.HumanSize(r.Memory), mt, share)
		} else {
			cells = append(cells, output.HumanSize(r.Memory))
		}
		cells = append(cells, output.HumanSize(r.Disk), strconv.FormatUint(r.Inodes, 10), output.HumanSize(r.Swap), r.Pod, r.Namespace)
		t.Row(cells...)
	}
	if trends != nil {
		trends.endRound()
	}
	return t
}

// cpuCell is a CPU figure as the reference prints it, or "-" when there is
// none yet.
func cpuCell(pct float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(pct, 'f', 2, 64)
}
