package commands

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/crictl/crictl/internal/crifake"
)

// BenchmarkListMemory runs the built crictl binary (its own process, so
// its peak RSS is its own) against the fake server holding thousands of
// pods, and reports the peak RSS and the size of the reply: listing 30,000
// pods must not cost memory beyond the reply itself (reliability matrix
// #42).
//
//	go test ./pkg/commands -run '^$' -bench ListMemory -benchtime 3x
func BenchmarkListMemory(b *testing.B) {
	bin := buildCrictl(b)
	for _, n := range []int{5000, 30000} {
		srv, ep := crifake.Start(b)
		srv.AddManyPods(n)
		for _, args := range [][]string{{"pods"}, {"pods", "-q"}, {"pods", "-o", "json"}} {
			b.Run("pods="+strconv.Itoa(n)+"/"+joinArgs(args), func(b *testing.B) {
				var peak int64
				for b.Loop() {
					cmd := exec.Command(bin, append([]string{"-r", ep, "--timeout", "30s"}, args...)...)
					cmd.Env = []string{"CRI_CONFIG_FILE=/dev/null"}
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%v: %s", err, out[:min(len(out), 500)])
					}
					if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
						peak = max(peak, ru.Maxrss) // KiB on Linux
					}
				}
				b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			})
		}
	}
}

// buildCrictl builds cmd/crictl for a benchmark that runs it.
func buildCrictl(b *testing.B) string {
	bin := filepath.Join(b.TempDir(), "crictl")
	if out, err := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../../cmd/crictl").CombinedOutput(); err != nil {
		b.Skipf("building crictl: %v %s", err, out)
	}
	return bin
}

func joinArgs(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += "_"
		}
		s += a
	}
	return s
}
