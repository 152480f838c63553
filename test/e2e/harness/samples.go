package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SampleNamespaces lists the namespaces of the sample pods.
var SampleNamespaces = []string{"kube-system", "default", "kube-system-extra", "e2e-raw"}

type sampleContainer struct {
	name     string
	attempt  uint32
	exitCode int // >= 0: the script exits with it; -1: runs until stopped
}

type samplePod struct {
	spec       PodSpec
	containers []sampleContainer
}

// samplePlan is the fixed set SamplePods creates. Names are unique across
// the set, pods and containers alike, so tests may look them up by name.
var samplePlan = []samplePod{
	{PodSpec{Name: "coredns-5d78c9869d-8xk2p", Namespace: "kube-system",
		Labels: map[string]string{"k8s-app": "kube-dns", "pod-template-hash": "5d78c9869d"}},
		[]sampleContainer{{"coredns", 0, -1}}},
	{PodSpec{Name: "kube-proxy-q7w2n", Namespace: "kube-system", HostNetwork: true,
		Labels: map[string]string{"k8s-app": "kube-proxy"}},
		[]sampleContainer{{"kube-proxy", 0, -1}}},
	{PodSpec{Name: "etcd-e2e-node", Namespace: "kube-system", HostNetwork: true,
		Labels:      map[string]string{"component": "etcd", "tier": "control-plane"},
		Annotations: map[string]string{"kubernetes.io/config.source": "file"}},
		[]sampleContainer{{"etcd", 0, -1}}},
	{PodSpec{Name: "web-6b7f9c8d5-q4wzt", Namespace: "default",
		Labels: map[string]string{"app": "web", "pod-template-hash": "6b7f9c8d5"}},
		[]sampleContainer{{"web", 0, -1}, {"log-shipper", 0, -1}}},
	{PodSpec{Name: "db-migrate-29bkd", Namespace: "default",
		Labels: map[string]string{"job-name": "db-migrate"}},
		[]sampleContainer{{"migrate", 2, 3}}},
	{PodSpec{Name: "extra-agent-x7k2m", Namespace: "kube-system-extra",
		Labels: map[string]string{"app": "extra-agent"}},
		[]sampleContainer{{"agent", 0, -1}}},
	{PodSpec{Name: "raw-pod", Namespace: "e2e-raw", NoKubeletLabels: true,
		Labels: map[string]string{"made-by": "crictl-e2e"}},
		[]sampleContainer{{"raw-app", 0, -1}}},
}

// Samples are the pods SamplePods made, in a fixed order.
type Samples struct {
	Pods []*Pod
}

// Pod returns the sample pod called name, or nil.
func (s *Samples) Pod(name string) *Pod {
	for _, p := range s.Pods {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Container returns the sample container called name, or nil.
func (s *Samples) Container(name string) *Container {
	for _, p := range s.Pods {
		for _, c := range p.Containers {
			if c.Name == name {
				return c
			}
		}
	}
	return nil
}

// InNamespace returns the sample pods of namespace ns.
func (s *Samples) InNamespace(ns string) []*Pod {
	var out []*Pod
	for _, p := range s.Pods {
		if p.Namespace == ns {
			out = append(out, p)
		}
	}
	return out
}

// Containers returns every sample container.
func (s *Samples) Containers() []*Container {
	var out []*Container
	for _, p := range s.Pods {
		out = append(out, p.Containers...)
	}
	return out
}

// Exited returns the sample containers that exit by themselves (with code 3);
// SamplePods returns once they have.
func (s *Samples) Exited() []*Container {
	var out []*Container
	for _, p := range s.Pods {
		for _, c := range p.Containers {
			if c.Config.GetMetadata().GetName() == "migrate" {
				out = append(out, c)
			}
		}
	}
	return out
}

// SamplePods makes the runtime hold the fixed sample set and returns it:
//
//	kube-system        coredns-5d78c9869d-8xk2p  bridge  coredns
//	kube-system        kube-proxy-q7w2n          host    kube-proxy
//	kube-system        etcd-e2e-node             host    etcd
//	default            web-6b7f9c8d5-q4wzt       bridge  web, log-shipper
//	default            db-migrate-29bkd          bridge  migrate (attempt 2, exited with code 3)
//	kube-system-extra  extra-agent-x7k2m         bridge  agent
//	e2e-raw            raw-pod                   bridge  raw-app (no kubelet labels on pod or container)
//
// Running containers print "NAME tick N" every second. It is idempotent: a
// sample pod that is ready with its containers in the expected states is
// kept, any other pod of that name and namespace is replaced. Tests must
// treat the samples as read-only and make their own pods (in their own
// namespaces) for anything that changes state.
func (e *Env) SamplePods(ctx context.Context) (*Samples, error) {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	resp, err := e.Runtime.ListPodSandbox(lctx, &runtimeapi.ListPodSandboxRequest{})
	cancel()
	if err != nil {
		return nil, err
	}
	existing := map[string][]*runtimeapi.PodSandbox{}
	for _, p := range resp.GetItems() {
		k := p.GetMetadata().GetNamespace() + "/" + p.GetMetadata().GetName()
		existing[k] = append(existing[k], p)
	}
	out := &Samples{Pods: make([]*Pod, len(samplePlan))}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for i, sp := range samplePlan {
		if pod, ok := e.adoptSample(ctx, sp, existing[sp.spec.Namespace+"/"+sp.spec.Name]); ok {
			out.Pods[i] = pod
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, sp samplePod, old []*runtimeapi.PodSandbox) {
			defer func() { <-sem; wg.Done() }()
			pod, err := e.makeSample(ctx, sp, old)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out.Pods[i] = pod
		}(i, sp, existing[sp.spec.Namespace+"/"+sp.spec.Name])
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, c := range out.Exited() {
		st, err := e.WaitContainer(wctx, c.ID, runtimeapi.ContainerState_CONTAINER_EXITED)
		if err != nil {
			return nil, err
		}
		if st.GetExitCode() != 3 {
			return nil, fmt.Errorf("sample container %s exited with %d, want 3 (%s)", c.Name, st.GetExitCode(), st.GetMessage())
		}
	}
	return out, nil
}

// adoptSample reuses a ready pod that has the sample's containers in the
// expected states.
func (e *Env) adoptSample(ctx context.Context, sp samplePod, found []*runtimeapi.PodSandbox) (*Pod, bool) {
	spec := sp.spec
	cfg := e.podConfig(&spec)
	for _, p := range found {
		if p.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY || p.GetMetadata().GetUid() != spec.UID || len(found) != 1 {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := e.Runtime.ListContainers(lctx, &runtimeapi.ListContainersRequest{
			Filter: &runtimeapi.ContainerFilter{PodSandboxId: p.GetId()},
		})
		cancel()
		if err != nil || len(resp.GetContainers()) != len(sp.containers) {
			return nil, false
		}
		pod := newPod(spec, cfg, p.GetId())
		for _, sc := range sp.containers {
			want := runtimeapi.ContainerState_CONTAINER_RUNNING
			if sc.exitCode >= 0 {
				want = runtimeapi.ContainerState_CONTAINER_EXITED
			}
			var match *runtimeapi.Container
			for _, c := range resp.GetContainers() {
				if c.GetMetadata().GetName() == sc.name && c.GetMetadata().GetAttempt() == sc.attempt && c.GetState() == want {
					match = c
				}
			}
			if match == nil {
				return nil, false
			}
			cs := sc.spec()
			newContainer(pod, cs, e.containerConfig(pod, &cs), match.GetId())
		}
		return pod, true
	}
	return nil, false
}

func (sc sampleContainer) spec() ContainerSpec {
	cs := ContainerSpec{Name: sc.name, Attempt: sc.attempt}
	if sc.exitCode >= 0 {
		cs.Script = ExitScript(sc.exitCode)
	}
	return cs
}

// makeSample removes the pods that stand in the sample's place and creates it.
func (e *Env) makeSample(ctx context.Context, sp samplePod, old []*runtimeapi.PodSandbox) (*Pod, error) {
	for _, p := range old {
		if err := e.RemovePod(ctx, p.GetId()); err != nil {
			return nil, err
		}
	}
	pod, err := e.RunPod(ctx, sp.spec)
	if err != nil {
		return nil, err
	}
	for _, sc := range sp.containers {
		if _, err := e.StartContainer(ctx, pod, sc.spec()); err != nil {
			return nil, err
		}
	}
	return pod, nil
}
