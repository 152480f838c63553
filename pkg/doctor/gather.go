package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/parallel"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Sources are where Gather looks.
type Sources struct {
	Runtime runtimeapi.RuntimeServiceClient
	// Image returns the image service (dialed only when needed).
	Image func() (runtimeapi.ImageServiceClient, error)
	Now   func() time.Time
	// Node is what the caller knows of crictl's configuration.
	Node Node
	// Statfs measures a filesystem (default: statfs(2)).
	Statfs func(path string) Capacity
	// Limit bounds the per-object calls in flight (default
	// parallel.DefaultLimit).
	Limit int
}

// Gather collects a snapshot with the fewest calls: Status, Version,
// ListPodSandbox, ListContainers, ImageFsInfo (and, with Options.Stats,
// ListContainerStats) once each and concurrently; then, bounded, ContainerStatus of the suspicious
// containers of the selection only, the verbose Status when a condition is
// not true, and the log tails of failed attempts (files on this node, under
// /var/log/pods or the pod's log directory, as `crictl logs` reads). An
// error means the runtime could not be asked at all (Status or a list
// failed): doctor could not run.
func Gather(ctx context.Context, src Sources, sel Selection, o Options) (*Snapshot, error) {
	s := &Snapshot{Now: src.Now(), Node: src.Node, Capacity: map[string]Capacity{}}
	rs := src.Runtime
	var (
		wg                   sync.WaitGroup
		statusErr, podsErr   error
		ctrsErr              error
		pods                 *runtimeapi.ListPodSandboxResponse
		ctrs                 *runtimeapi.ListContainersResponse
		stats                *runtimeapi.ListContainerStatsResponse
		statsErr, imageFsErr error
		version              *runtimeapi.VersionResponse
		status               *runtimeapi.StatusResponse
		imageFs              *runtimeapi.ImageFsInfoResponse
	)
	wg.Go(func() { status, statusErr = rs.Status(ctx, &runtimeapi.StatusRequest{}) })
	wg.Go(func() { version, _ = rs.Version(ctx, &runtimeapi.VersionRequest{}) })
	wg.Go(func() { pods, podsErr = rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}) })
	if o.Stats {
		wg.Go(func() { stats, statsErr = rs.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{}) })
	}
	wg.Go(func() {
		is, err := src.Image()
		if err == nil {
			imageFs, err = is.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
		}
		imageFsErr = err
	})
	ctrs, ctrsErr = rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	wg.Wait()
	if err := errors.Join(statusErr, podsErr, ctrsErr); err != nil {
		if statusErr != nil {
			return nil, statusErr
		}
		return nil, err
	}
	s.Status, s.Version = status, version
	s.Pods, s.Containers = pods.GetItems(), ctrs.GetContainers()
	if imageFsErr != nil {
		s.ImageFsErr = oneLine(imageFsErr)
	} else {
		s.ImageFs = imageFs
	}
	switch {
	case !o.Stats:
	case statsErr != nil:
		s.StatsErr = oneLine(statsErr)
	default:
		s.ContainerStats = stats.GetStats()
		if s.ContainerStats == nil {
			s.ContainerStats = []*runtimeapi.ContainerStats{}
		}
	}
	statfs := src.Statfs
	if statfs == nil {
		statfs = Statfs
	}
	// One view serves the rest: it reads the statuses as they come in.
	v := newView(s, sel, o)
	for _, fs := range v.filesystems() {
		s.Capacity[fs.mountpoint] = statfs(fs.mountpoint)
	}

	sus := v.suspects()
	limit := src.Limit
	if limit < 1 {
		limit = parallel.DefaultLimit
	}
	statuses := make([]*runtimeapi.ContainerStatus, len(sus.Containers))
	errs := make([]error, len(sus.Containers))
	var verbose *runtimeapi.StatusResponse
	if sus.VerboseStatus {
		wg.Go(func() {
			if r, err := rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: true}); err == nil {
				verbose = r
			}
		})
	}
	parallel.ForEach(ctx, len(sus.Containers), limit, func(i int) {
		r, err := rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: sus.Containers[i]})
		statuses[i], errs[i] = r.GetStatus(), err
	})
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if verbose != nil {
		s.Status = verbose
	}
	for i, id := range sus.Containers {
		switch {
		case errs[i] != nil:
			if s.StatusErrs == nil {
				s.StatusErrs = map[string]string{}
			}
			s.StatusErrs[id] = oneLine(errs[i])
		case statuses[i] != nil:
			if s.Statuses == nil {
				s.Statuses = map[string]*runtimeapi.ContainerStatus{}
			}
			s.Statuses[id] = statuses[i]
		}
	}

	wants := v.logsWanted()
	tails := make([]LogTail, len(wants))
	parallel.ForEach(ctx, len(wants), limit, func(i int) {
		w := wants[i]
		tails[i] = LogTail{Path: w.Path, Attempt: w.Attempt}
		if w.Err != nil {
			tails[i].Err = oneLine(w.Err)
			return
		}
		path, err := confine(ctx, rs, w)
		if err != nil {
			tails[i].Err = oneLine(err)
			return
		}
		lines, err := ReadTail(ctx, path, o.LogLines)
		tails[i].Lines = lines
		if err != nil {
			tails[i].Err = oneLine(err)
		}
	})
	for i, w := range wants {
		if s.Logs == nil {
			s.Logs = map[string]LogTail{}
		}
		s.Logs[w.ID] = tails[i]
	}
	return s, ctx.Err()
}

// confine reads a log only where `crictl logs` would: under
// /var/log/pods or the pod's own log directory (asked of the runtime only
// for a log outside the first), so a runtime cannot make doctor print any
// file of the node.
func confine(ctx context.Context, rs runtimeapi.RuntimeServiceClient, w LogWant) (string, error) {
	path, err := logs.Confine(w.Path, logs.PodLogRoot)
	var outside *logs.OutsideError
	if !errors.As(err, &outside) || w.PodID == "" {
		return path, err
	}
	st, serr := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: w.PodID, Verbose: true})
	if serr != nil {
		return "", fmt.Errorf("%w (the pod's log directory could not be read: %w)", err, serr)
	}
	return logs.Confine(w.Path, logs.PodLogRoot, kube.PodLogDirectory(st.GetInfo()))
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}

// ReadTail returns the last n lines of a container log (both streams,
// rotated files included) with pkg/logs, without a trailing newline each.
func ReadTail(ctx context.Context, path string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	// One writer for both streams keeps their order.
	err := logs.Read(ctx, path, logs.Options{Tail: int64(n), LimitBytes: int64(n) * 4096}, &buf, &buf, io.Discard, nil)
	text := strings.TrimSuffix(buf.String(), "\n")
	if text == "" {
		return nil, err
	}
	return strings.Split(text, "\n"), err
}

// Statfs measures the filesystem holding path.
func Statfs(path string) Capacity {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return Capacity{Err: fmt.Sprintf("statfs %s: %v", path, err)}
	}
	bs := uint64(st.Bsize)
	return Capacity{
		Bytes:      st.Blocks * bs,
		BytesFree:  st.Bavail * bs,
		BytesUsed:  (st.Blocks - st.Bfree) * bs,
		Inodes:     st.Files,
		InodesFree: st.Ffree,
	}
}
