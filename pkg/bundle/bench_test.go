package bundle

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// BenchmarkCollect is crictl's own cost of a bundle of a node shaped like
// the bench lab's (105 pods, one container each and an exited one in
// every tenth, 200 log lines each) against the in-process fake runtime:
// go test ./pkg/bundle -run '^$' -bench Collect -benchmem
func BenchmarkCollect(b *testing.B) {
	n := newFakeNode(b, 5*time.Second)
	srv := n.srv
	var line strings.Builder
	for i := range 200 {
		fmt.Fprintf(&line, "%s stdout F ts=%d level=info msg=\"handled request\" path=/api/v1/items/%d status=200 latency_ms=%d\n",
			testNow.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), i, i%977, i*7%113)
	}
	for i := range 105 {
		pod := crifake.KubeletPod(fmt.Sprintf("web-%03d", i), []string{"default", "kube-system", "monitoring"}[i%3], 0, ago(time.Hour), true)
		srv.AddPod(pod)
		c := crifake.KubeletContainer(pod, "app", 0, "docker.io/library/nginx:1.27", runtimeapi.ContainerState_CONTAINER_RUNNING, ago(time.Hour))
		srv.AddContainer(c, crifake.WithEnv("API_TOKEN=abcdefgh12345", "MODE=prod"))
		n.writeLog(logPath(pod, "app", 0), line.String())
		if i%10 == 7 {
			m := crifake.KubeletContainer(pod, "migrate", 2, "docker.io/library/busybox:1.36", runtimeapi.ContainerState_CONTAINER_EXITED, ago(time.Minute))
			srv.AddContainer(m, crifake.WithExitCode(3))
			n.writeLog(logPath(pod, "migrate", 2), line.String())
		}
	}
	srv.AddImage(crifake.KubeletImage("docker.io/library/nginx:1.27", 1000))
	srv.AddImage(crifake.KubeletImage("docker.io/library/busybox:1.36", 1000))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		res, err := n.collector(Options{LogLines: 200}).Collect(context.Background(), NewStreamSink(io.Discard, testNow))
		if err != nil || res.Errors() != 0 {
			b.Fatalf("%v %v", err, res)
		}
	}
}
