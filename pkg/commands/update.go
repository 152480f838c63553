package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/crictl/crictl/pkg/output"
	units "github.com/docker/go-units"
	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type updateOptions struct {
	cpuCount, cpuMaximum           int64
	cpuPeriod, cpuQuota, cpuShares int64
	memoryText                     string
	cpusetCpus, cpusetMems         string
	oomScoreAdj                    int64

	memory int64
	// set holds the resource flags given on the command line.
	set map[string]bool
}

// The resource flags of update; linuxFlags go in the request's linux
// resources, windowsFlags in its windows resources.
var (
	linuxFlags   = []string{"cpu-period", "cpu-quota", "cpu-share", "memory", "cpuset-cpus", "cpuset-mems", "oom-score-adj"}
	windowsFlags = []string{"cpu-count", "cpu-maximum"}
)

func newUpdateCommand(f *Factory) *cli.Command {
	o := &updateOptions{}
	flags := []cli.Flag{
		&cli.Int64Flag{Name: "cpu-count", Destination: &o.cpuCount, Usage: "(Windows only) number of CPUs available to the container", DefaultText: "unchanged"},
		&cli.Int64Flag{Name: "cpu-maximum", Destination: &o.cpuMaximum, Usage: "(Windows only) portion of CPU cycles, in hundredths of a percent (0 to 10000)", DefaultText: "unchanged"},
		&cli.Int64Flag{Name: "cpu-period", Destination: &o.cpuPeriod, Usage: "CPU CFS period in microseconds", DefaultText: "unchanged"},
		&cli.Int64Flag{Name: "cpu-quota", Destination: &o.cpuQuota, Usage: "CPU CFS quota in microseconds per period (-1: no limit)", DefaultText: "unchanged"},
		&cli.Int64Flag{Name: "cpu-share", Destination: &o.cpuShares, Usage: "CPU shares (weight relative to other containers)", DefaultText: "unchanged"},
		&cli.StringFlag{Name: "memory", Destination: &o.memoryText, Usage: "memory limit in bytes, or with a unit: 512Mi, 512MiB, 1G (binary units)"},
		&cli.StringFlag{Name: "cpuset-cpus", Destination: &o.cpusetCpus, Usage: "CPUs the container may use (0-3, 0,1)"},
		&cli.StringFlag{Name: "cpuset-mems", Destination: &o.cpusetMems, Usage: "memory nodes the container may use (0-3, 0,1)"},
		&cli.Int64Flag{Name: "oom-score-adj", Destination: &o.oomScoreAdj, Usage: "OOM killer score adjustment (-1000 to 1000)", DefaultText: "unchanged"},
	}
	return bulkCommand{
		description: "Changes only the resources given on the command line: the current resources are read from\n" +
			"the container's status, the given fields are changed, and the whole is sent (when --memory\n" +
			"changes and the swap limit equals the old memory limit, the swap limit follows). When the\n" +
			"runtime reports no current resources, only the given fields are sent, with a warning.\n" +
			"Prints the ID of each container updated, as it completes; a failure is reported on stderr\n" +
			"and the others go on (exit 1 when any failed).",
		flags: flags,
		check: o.validate,
		begin: func(ctx context.Context, rs runtimeapi.RuntimeServiceClient) (func(*bulk, target), error) {
			return func(b *bulk, t target) { o.update(ctx, rs, b, t.id) }, nil
		},
	}.build(f)
}

var _ = register(command{name: "update", group: groupContainers, args: argContainer, changes: true, build: newUpdateCommand,
	usage: "Update one or more running containers"})

func (o *updateOptions) validate(c *cli.Context) error {
	cmd := commandPath(c)
	o.set = map[string]bool{}
	for _, n := range append(append([]string(nil), linuxFlags...), windowsFlags...) {
		if c.IsSet(n) {
			o.set[n] = true
		}
	}
	if len(o.set) == 0 {
		return usagef(cmd, "give at least one resource to change (--memory, --cpu-quota, --cpu-period, --cpu-share, --cpuset-cpus, --cpuset-mems, --oom-score-adj, --cpu-count, --cpu-maximum)")
	}
	checks := []struct {
		flag     string
		v        int64
		min, max int64
	}{
		{"cpu-count", o.cpuCount, 0, 1 << 20},
		{"cpu-maximum", o.cpuMaximum, 0, 10000},
		{"cpu-period", o.cpuPeriod, 0, 1 << 40},
		{"cpu-quota", o.cpuQuota, -1, 1 << 50},
		{"cpu-share", o.cpuShares, 0, 1 << 40},
		{"oom-score-adj", o.oomScoreAdj, -1000, 1000},
	}
	for _, ch := range checks {
		if o.set[ch.flag] && (ch.v < ch.min || ch.v > ch.max) {
			return usagef(cmd, "--%s %d: out of range (%d to %d)", ch.flag, ch.v, ch.min, ch.max)
		}
	}
	if o.set["memory"] {
		m, err := parseMemory(o.memoryText)
		if err != nil {
			return usagef(cmd, "--memory %q: %v", o.memoryText, err)
		}
		o.memory = m
	}
	for _, fl := range []struct{ name, v string }{{"cpuset-cpus", o.cpusetCpus}, {"cpuset-mems", o.cpusetMems}} {
		if o.set[fl.name] && strings.Trim(fl.v, "0123456789,-") != "" {
			return usagef(cmd, "--%s %q: want a list such as 0-3 or 0,2", fl.name, fl.v)
		}
	}
	return nil
}

// parseMemory reads a byte count: plain bytes, or a size with a binary
// unit in docker's (512m, 1g, 512MiB) or Kubernetes' (512Mi, 1Gi) spelling.
func parseMemory(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("must be 0 or more")
		}
		return n, nil
	}
	t := strings.TrimSpace(s)
	if strings.HasSuffix(t, "i") || strings.HasSuffix(t, "I") {
		t += "B" // Kubernetes' Mi is go-units' MiB
	}
	n, err := units.RAMInBytes(t)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want bytes or a size such as 512Mi or 1G")
	}
	return n, nil
}

// update changes one container's resources.
func (o *updateOptions) update(ctx context.Context, rs runtimeapi.RuntimeServiceClient, b *bulk, id string) {
	doing := "updating container " + id
	st := b.containerStatus(ctx, rs, id, doing)
	if st == nil {
		return
	}
	req, missing := o.request(id, st.GetResources())
	if missing != "" {
		b.rep.warn("container %s: the runtime reports no current %s resources; sending only the fields given", id, missing)
	}
	if b.do(doing, func() error {
		_, err := rs.UpdateContainerResources(ctx, req)
		return err
	}) {
		b.rep.success(output.Escape(id))
	}
}

// request builds the update of one container from its current resources:
// the fields given on the command line change, the others are sent as they
// are. missing names the resources ("linux", "windows") the runtime did
// not report.
func (o *updateOptions) request(id string, cur *runtimeapi.ContainerResources) (req *runtimeapi.UpdateContainerResourcesRequest, missing string) {
	req = &runtimeapi.UpdateContainerResourcesRequest{ContainerId: id}
	var gaps []string
	if o.anySet(linuxFlags) {
		l := current(cur.GetLinux(), &runtimeapi.LinuxContainerResources{}, "linux", &gaps)
		setIf(o.set["cpu-period"], &l.CpuPeriod, o.cpuPeriod)
		setIf(o.set["cpu-quota"], &l.CpuQuota, o.cpuQuota)
		setIf(o.set["cpu-share"], &l.CpuShares, o.cpuShares)
		if o.set["memory"] {
			// A swap limit equal to the memory limit means "no swap"; keep it
			// so, or the runtime refuses a memory limit above the old swap limit.
			if l.MemorySwapLimitInBytes != 0 && l.MemorySwapLimitInBytes == l.MemoryLimitInBytes {
				l.MemorySwapLimitInBytes = o.memory
			}
			l.MemoryLimitInBytes = o.memory
		}
		setIf(o.set["cpuset-cpus"], &l.CpusetCpus, o.cpusetCpus)
		setIf(o.set["cpuset-mems"], &l.CpusetMems, o.cpusetMems)
		setIf(o.set["oom-score-adj"], &l.OomScoreAdj, o.oomScoreAdj)
		req.Linux = l
	}
	if o.anySet(windowsFlags) {
		w := current(cur.GetWindows(), &runtimeapi.WindowsContainerResources{}, "windows", &gaps)
		setIf(o.set["cpu-count"], &w.CpuCount, o.cpuCount)
		setIf(o.set["cpu-maximum"], &w.CpuMaximum, o.cpuMaximum)
		req.Windows = w
	}
	return req, strings.Join(gaps, " and ")
}

func (o *updateOptions) anySet(names []string) bool {
	for _, n := range names {
		if o.set[n] {
			return true
		}
	}
	return false
}

// current is a copy of the resources the runtime reports, or empty ones
// (and name noted in gaps) when it reports none.
func current[T proto.Message](cur, empty T, name string, gaps *[]string) T {
	if cur.ProtoReflect().IsValid() {
		return proto.Clone(cur).(T)
	}
	*gaps = append(*gaps, name)
	return empty
}

// setIf sets *dst to v when the flag was given.
func setIf[T any](given bool, dst *T, v T) {
	if given {
		*dst = v
	}
}
