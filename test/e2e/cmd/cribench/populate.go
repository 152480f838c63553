package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/crictl/crictl/test/e2e/harness"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// The population is shaped like a busy kubelet node: pods round-robin over
// these namespaces, a few workloads per namespace, Deployment-style names
// (web-5wpwzq2zt6-rg7jx) and DaemonSet-style ones on the host network
// (kube-proxy-xk2p9).
var (
	namespaces = []string{"kube-system", "default", "monitoring", "app-a", "app-b", "app-c"}
	workloads  = map[string][]string{
		"kube-system": {"coredns", "kube-proxy", "metrics-server", "csi-node", "konnectivity-agent"},
		"default":     {"web", "api", "worker", "cache"},
		"monitoring":  {"prometheus", "node-exporter", "alertmanager", "grafana"},
		"app-a":       {"frontend", "backend", "queue"},
		"app-b":       {"orders", "payments", "inventory"},
		"app-c":       {"search", "indexer"},
	}
	daemonSets = map[string]bool{"kube-proxy": true, "node-exporter": true, "csi-node": true}
)

// nameAlphabet is the one Kubernetes uses for generated name suffixes.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// IndexLabel carries a bench pod's index.
const IndexLabel = "crictl-bench/index"

// appScript writes one ~130-byte log line per second without forking (a
// `sleep` per line would cost N forks a second in the background): `read
// -t 1` on a private fifo is the shell's own timer.
const appScript = `trap 'exit 0' TERM; mkfifo /tmp/.tick; exec 3<>/tmp/.tick; i=0; ` +
	`while :; do echo "ts=$i pod=$POD_NAME ns=$POD_NAMESPACE level=info msg=\"handled request\" ` +
	`path=/api/v1/items/$((i % 977)) status=200 latency_ms=$((i * 7 % 113))"; i=$((i+1)); read -t 1 x <&3; done`

// suffix derives n characters of a Kubernetes-style name suffix from seed.
func suffix(seed string, n int) string {
	h := sha256.Sum256([]byte(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = nameAlphabet[int(h[i])%len(nameAlphabet)]
	}
	return string(b)
}

type podPlan struct {
	spec       harness.PodSpec
	containers []harness.ContainerSpec
}

// planPod is bench pod i; the same i always gives the same pod.
func planPod(i int) podPlan {
	ns := namespaces[i%len(namespaces)]
	wl := workloads[ns][(i/len(namespaces))%len(workloads[ns])]
	labels := map[string]string{"app": wl, IndexLabel: strconv.Itoa(i)}
	spec := harness.PodSpec{Namespace: ns, Labels: labels}
	if daemonSets[wl] {
		spec.Name = wl + "-" + suffix(fmt.Sprintf("pod%d", i), 5)
		spec.HostNetwork = true
	} else {
		hash := suffix(ns+"/"+wl, 10)
		spec.Name = wl + "-" + hash + "-" + suffix(fmt.Sprintf("pod%d", i), 5)
		labels["pod-template-hash"] = hash
	}
	p := podPlan{spec: spec, containers: []harness.ContainerSpec{{Name: wl, Script: appScript}}}
	if i%10 == 7 {
		// a Job-like init that failed twice: exited, exit code 3
		p.containers = append(p.containers, harness.ContainerSpec{Name: "migrate", Attempt: 2, Script: harness.ExitScript(3)})
	}
	return p
}

// populate grows pods (pods 0..len-1 exist) to pods 0..n-1, jobs at a
// time, and waits until the exiting containers have exited, so every
// command sees a settled node.
func populate(ctx context.Context, env *harness.Env, have []*harness.Pod, n, jobs int, logf func(string, ...any)) ([]*harness.Pod, error) {
	from := len(have)
	pods := append(have, make([]*harness.Pod, n-from)...)
	errs := make([]error, n)
	next := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	t0 := time.Now()
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pods[i], errs[i] = makePod(ctx, env, planPod(i))
				mu.Lock()
				done++
				if done%50 == 0 || from+done == n {
					logf("created %d/%d pods (%.1f/s)", from+done, n, float64(done)/time.Since(t0).Seconds())
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := from; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, p := range pods[from:] {
		for _, c := range p.Containers {
			if c.Name != "migrate" {
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, err := env.WaitContainer(wctx, c.ID, runtimeapi.ContainerState_CONTAINER_EXITED)
			cancel()
			if err != nil {
				return nil, err
			}
		}
	}
	return pods, nil
}

func makePod(ctx context.Context, env *harness.Env, p podPlan) (*harness.Pod, error) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pod, err := env.RunPod(cctx, p.spec)
	if err != nil {
		return nil, err
	}
	for _, c := range p.containers {
		if _, err := env.StartContainer(cctx, pod, c); err != nil {
			return nil, err
		}
	}
	return pod, nil
}

// fillLogs appends n lines like appScript's to every container's log, so
// a bundle has that many lines to read whatever the containers' age.
// Each line is one write to a file opened with O_APPEND, as the runtime's
// own, so lines do not interleave.
func fillLogs(pods []*harness.Pod, n int) error {
	now := time.Now().UTC()
	for _, p := range pods {
		for _, c := range p.Containers {
			f, err := os.OpenFile(c.LogPath, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return fmt.Errorf("filling %s: %w", c.LogPath, err)
			}
			for i := range n {
				line := fmt.Sprintf("%s stdout F ts=%d pod=%s ns=%s level=info msg=\"handled request\" path=/api/v1/items/%d status=200 latency_ms=%d\n",
					now.Add(time.Duration(i-n)*time.Millisecond).Format(time.RFC3339Nano), i, p.Name, p.Namespace, i%977, i*7%113)
				if _, err := f.WriteString(line); err != nil {
					f.Close()
					return fmt.Errorf("filling %s: %w", c.LogPath, err)
				}
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}
