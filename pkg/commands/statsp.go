package commands

import (
	"context"
	"fmt"
	"strconv"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stats"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type statspOptions struct {
	filter filterFlags
	statsFlags

	pods *kube.PodFilter
}

func newStatspCommand(f *Factory) *cli.Command {
	o := &statspOptions{}
	flags := o.filter.flags(selectionUsage(true, "", "POD", fState, fLatest, fLast))
	return &cli.Command{
		Flags: append(flags, o.statsFlags.flags()...),
		Action: action(func(c *cli.Context) error { return runStatsp(c.Context, f, o, c.Args().First()) },
			o.out.validate, func(c *cli.Context) (err error) {
				if err = o.statsFlags.validate(c, "POD", o.filter.id); err != nil {
					return err
				}
				o.pods, err = o.filter.podFilter(commandPath(c))
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
	s := &stats.PodSampler{RS: rs, Filter: o.pods, Interval: o.sample, Measure: o.measure()}
	return o.run(ctx, f, func(ctx context.Context) (*statsFrame, error) {
		res, err := s.Sample(ctx, o.table())
		if err != nil {
			return nil, unsupported(ctx, rs, err)
		}
		return &statsFrame{
			doc:   &runtimeapi.ListPodSandboxStatsResponse{Stats: res.Stats},
			table: func(t *statsTrends) *output.Table { return statspTable(res.Rows, t) },
			errs:  podStatsErrors(res.Failed),
		}, nil
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
