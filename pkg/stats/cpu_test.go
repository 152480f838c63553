package stats

import (
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func u64(v uint64) *runtimeapi.UInt64Value { return &runtimeapi.UInt64Value{Value: v} }

func cpu(ts time.Duration, used uint64) *runtimeapi.CpuUsage {
	return &runtimeapi.CpuUsage{Timestamp: int64(ts), UsageCoreNanoSeconds: u64(used)}
}

func TestCPUPercent(t *testing.T) {
	// Half a core for a second, two cores for half a second.
	if pct, ok := CPUPercent(cpu(time.Second, 1e9), cpu(2*time.Second, 1.5e9)); !ok || pct != 50 {
		t.Errorf("half a core: %v %v", pct, ok)
	}
	if pct, ok := CPUPercent(cpu(0, 0), cpu(500*time.Millisecond, 1e9)); !ok || pct != 200 {
		t.Errorf("two cores: %v %v", pct, ok)
	}
	for name, c := range map[string][2]*runtimeapi.CpuUsage{
		"no previous":       {nil, cpu(time.Second, 1)},
		"no usage":          {{Timestamp: 1}, cpu(time.Second, 1)},
		"time stood still":  {cpu(time.Second, 1), cpu(time.Second, 2)},
		"counter went back": {cpu(time.Second, 5), cpu(2*time.Second, 1)},
	} {
		if _, ok := CPUPercent(c[0], c[1]); ok {
			t.Errorf("%s: a figure", name)
		}
	}
	if pct, ok := RatePercent(&runtimeapi.CpuUsage{UsageNanoCores: u64(250_000_000)}); !ok || pct != 25 {
		t.Errorf("rate: %v %v", pct, ok)
	}
	if _, ok := RatePercent(cpu(1, 1)); ok {
		t.Error("a rate the runtime did not give")
	}
}

func TestHasRates(t *testing.T) {
	// containerd 1.6: the rate is there but empty.
	c16 := &runtimeapi.CpuUsage{UsageCoreNanoSeconds: u64(5), UsageNanoCores: u64(0)}
	// a container that never ran says nothing either way
	idle := &runtimeapi.CpuUsage{UsageNanoCores: u64(7)}
	if HasRates([]*runtimeapi.CpuUsage{c16, idle, nil}) {
		t.Error("no container that used CPU has a rate")
	}
	if !HasRates([]*runtimeapi.CpuUsage{c16, {UsageCoreNanoSeconds: u64(9), UsageNanoCores: u64(3)}}) {
		t.Error("a rate was given")
	}
}
