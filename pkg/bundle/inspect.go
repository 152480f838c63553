package bundle

import (
	"context"
	"path"
	"time"

	"github.com/crictl/crictl/pkg/cridoc"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// inspectPods writes the inspect documents of every pod and container:
// pods/<namespace>/<pod>/pod.json and .../<container>/container.json,
// fetched concurrently, written in order. It notes each container's log
// path and attempt for collectLogs.
func (r *run) inspectPods(ctx context.Context, pods []*podItem) error {
	total := 0
	for _, p := range pods {
		total += 1 + len(p.ctrs)
	}
	r.prog.phase("inspecting pods and containers", total)
	return ordered(ctx, len(pods), r.opt.Parallel, func(i int) []doc {
		return r.inspectPod(ctx, pods[i])
	}, r.writeAll)
}

func (r *run) writeAll(_ int, docs []doc) error {
	for _, d := range docs {
		if err := r.write(d); err != nil {
			return err
		}
	}
	return nil
}

// inspectPod fetches one pod's documents; failures are in the manifest.
func (r *run) inspectPod(ctx context.Context, p *podItem) []doc {
	var docs []doc
	if p.pod != nil {
		var resp *runtimeapi.PodSandboxStatusResponse
		d, err := r.call(ctx, p.dir, "PodSandboxStatus", false, func(ctx context.Context) (err error) {
			resp, err = r.rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.id, Verbose: true})
			return err
		})
		if err == nil {
			docs = appendDoc(docs, r, path.Join(p.dir, "pod.json"), "PodSandboxStatus", d, resp, func(m *runtimeapi.PodSandboxStatusResponse) (map[string]any, error) {
				return cridoc.Pod(m, time.UTC)
			})
		}
	}
	r.prog.step()
	for _, c := range p.ctrs {
		if c.statusFailed {
			r.prog.step()
			continue
		}
		var resp *runtimeapi.ContainerStatusResponse
		d, err := r.call(ctx, c.dir, "ContainerStatus", false, func(ctx context.Context) (err error) {
			resp, err = r.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ctr.GetId(), Verbose: true})
			return err
		})
		r.prog.step()
		if err != nil {
			continue
		}
		st := resp.GetStatus()
		c.inspected = true
		c.logPath, c.attempt, c.state = st.GetLogPath(), st.GetMetadata().GetAttempt(), st.GetState()
		docs = appendDoc(docs, r, path.Join(c.dir, "container.json"), "ContainerStatus", d, resp, func(m *runtimeapi.ContainerStatusResponse) (map[string]any, error) {
			return cridoc.Container(m, time.UTC)
		})
	}
	return docs
}

// appendDoc redacts a reply, renders its inspect document and appends it;
// a reply that cannot be rendered is an error in the manifest.
func appendDoc[M proto.Message](docs []doc, r *run, p, rpc string, dur time.Duration, m M, build func(M) (map[string]any, error)) []doc {
	m, n := redactMsg(r, m)
	v, err := build(m)
	if err == nil {
		var d doc
		if d, err = jsonDoc(p, "rpc "+rpc, v, dur, n); err == nil {
			return append(docs, d)
		}
	}
	r.addError(path.Dir(p), "rpc "+rpc, err)
	return docs
}

// inspectImages writes images/<id>.json for every selected image.
func (r *run) inspectImages(ctx context.Context, images []*runtimeapi.Image) error {
	if r.is == nil {
		return nil
	}
	r.prog.phase("inspecting images", len(images))
	return ordered(ctx, len(images), r.opt.Parallel, func(i int) []doc {
		img := images[i]
		p := path.Join("images", component(img.GetId())+".json")
		var resp *runtimeapi.ImageStatusResponse
		d, err := r.call(ctx, p, "ImageStatus", false, func(ctx context.Context) (err error) {
			resp, err = r.is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: img.GetId()}, Verbose: true})
			return err
		})
		r.prog.step()
		if err != nil {
			return nil
		}
		if resp.GetImage() == nil {
			r.addSkip(p, "rpc ImageStatus", "the image is gone")
			return nil
		}
		return appendDoc(nil, r, p, "ImageStatus", d, resp, cridoc.Image)
	}, r.writeAll)
}
