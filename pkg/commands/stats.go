package commands

import (
	"context"
	"strconv"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stats"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type statsOptions struct {
	filter filterFlags
	statsFlags

	containers *kube.ContainerFilter
}

func newStatsCommand(f *Factory) *cli.Command {
	o := &statsOptions{}
	flags := o.filter.flags(selectionUsage(false, "", "CONTAINER", fImage, fState, fLatest, fLast))
	return &cli.Command{
		Flags: append(flags, o.statsFlags.flags()...),
		Action: action(func(c *cli.Context) error { return runStats(c.Context, f, o, c.Args().First()) },
			o.out.validate, func(c *cli.Context) (err error) {
				if err = o.statsFlags.validate(c, "CONTAINER", o.filter.id); err != nil {
					return err
				}
				o.containers, err = o.filter.containerFilter(commandPath(c))
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
	s := &stats.ContainerSampler{RS: rs, Images: f.Image, Filter: o.containers, Interval: o.sample, Measure: o.measure(),
		DocumentOnly: !o.table()}
	return o.run(ctx, f, func(ctx context.Context) (*statsFrame, error) {
		res, err := s.Sample(ctx, o.table())
		if err != nil {
			return nil, unsupported(ctx, rs, err)
		}
		return &statsFrame{
			doc:   &runtimeapi.ListContainerStatsResponse{Stats: res.Stats},
			table: func(t *statsTrends) *output.Table { return statsTable(res.Rows, t) },
			errs:  res.Errs,
		}, nil
	})
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
