package stats

import (
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SampleInterval is how far apart the two samples of a one-shot CPU figure
// are when the runtime does not report a rate (containerd 1.6). The usage
// counter of a running task lags by up to one scheduler tick at each read
// (4 ms at the usual HZ=250), and the runtime's timestamp is taken around
// the read, not at it; measured on containerd 1.6 (docs/benchmarks.md,
// "CPU sampling interval"), 500 ms keeps that error under one percentage
// point of a core for steady containers, where 100 ms was off by up to 5
// and the reference's 1 s halves it once more at twice the wait.
const SampleInterval = 500 * time.Millisecond

// CPUPercent is the CPU used between two samples of the cumulative usage,
// in percent of one core. ok is false when the samples do not allow a
// figure: one is missing, time did not advance, or the counter went back
// (the container was restarted under the same ID).
func CPUPercent(prev, cur *runtimeapi.CpuUsage) (pct float64, ok bool) {
	if prev == nil || cur == nil || prev.GetUsageCoreNanoSeconds() == nil || cur.GetUsageCoreNanoSeconds() == nil {
		return 0, false
	}
	dt := cur.GetTimestamp() - prev.GetTimestamp()
	u0, u1 := prev.GetUsageCoreNanoSeconds().GetValue(), cur.GetUsageCoreNanoSeconds().GetValue()
	if dt <= 0 || u1 < u0 {
		return 0, false
	}
	return float64(u1-u0) / float64(dt) * 100, true
}

// RatePercent is the runtime's own rate (usage_nano_cores) in percent of
// one core; ok is false when the runtime did not fill it.
func RatePercent(cur *runtimeapi.CpuUsage) (pct float64, ok bool) {
	if cur.GetUsageNanoCores() == nil {
		return 0, false
	}
	return float64(cur.GetUsageNanoCores().GetValue()) / 1e7, true
}

// HasRates reports whether the runtime fills usage_nano_cores in these
// samples. containerd computes it against the previous stats call anyone
// made (kubelet's, every 10 s or so on a node) and sends 0 while it has
// none; so the rates count as filled when some container that has used CPU
// has a rate above zero. With none, the caller takes a second sample.
func HasRates(cpus []*runtimeapi.CpuUsage) bool {
	for _, c := range cpus {
		if c.GetUsageCoreNanoSeconds().GetValue() > 0 && c.GetUsageNanoCores().GetValue() > 0 {
			return true
		}
	}
	return false
}

// cpuFigure is the figure of one row: from the previous sample when there
// is one (a watch, or the second one-shot sample), else the runtime's rate
// when it fills it.
func cpuFigure(prev, cur *runtimeapi.CpuUsage, rates bool) (float64, bool) {
	if prev != nil {
		if pct, ok := CPUPercent(prev, cur); ok {
			return pct, true
		}
	}
	if rates {
		return RatePercent(cur)
	}
	return 0, false
}
