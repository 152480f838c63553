package bundle

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/cridoc"
	"github.com/crictl/crictl/pkg/hostroot"
	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/parallel"
	"github.com/crictl/crictl/pkg/redact"
	"github.com/crictl/crictl/pkg/resolve"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Defaults of the options.
const (
	DefaultLogLines = 1000
	DefaultLogBytes = 1 << 20
	DefaultMaxBytes = 256 << 20
	DefaultDeadline = 60 * time.Second
)

// breakAfter is how many calls in a row the runtime may leave unanswered
// before the rest are not attempted.
const breakAfter = 3

// Options say what a bundle collects and how.
type Options struct {
	// Node names the node in the manifest and in merged bundles.
	Node          string
	CrictlVersion string
	// Endpoint is the runtime endpoint, for the summary.
	Endpoint string
	// Select narrows the bundle: Namespace and Labels select pods, Name
	// containers (by name); Pod is a pod ID, ID prefix or name.
	Select kube.Selector
	Pod    string
	// LogLines and LogBytes bound each log (the current and the previous
	// attempt's, each); MaxBytes the whole bundle, uncompressed (logs stop
	// when it is reached). Zero means the default; a negative LogLines
	// means every line.
	LogLines, LogBytes, MaxBytes int64
	// Deadline bounds the whole collection (each RPC also has the
	// connection's own timeout).
	Deadline time.Duration
	// NoRedact keeps secrets (--no-redact).
	NoRedact bool
	// Secrets are values to replace wherever they appear (a docker
	// config.json's credentials).
	Secrets []string
	// Root is the host root log paths are read under (nil: "/").
	Root *hostroot.Root
	// Parallel is how many calls are made at once (0: the default).
	Parallel int
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Progress, when set, receives a progress line as work goes on (a
	// terminal).
	Progress io.Writer
}

// Collector takes a bundle of one node.
type Collector struct {
	Runtime runtimeapi.RuntimeServiceClient
	Images  runtimeapi.ImageServiceClient
	// ConnectError, when set, is why there are no clients: the bundle then
	// records it and holds what needs no runtime. ImageError is why there
	// is no image client while the runtime's works: the image calls are
	// left out.
	ConnectError, ImageError error
	Options                  Options
}

// DefaultName is the file a bundle of node taken at t goes to by
// default: crictl-bundle-NODE-20060102-150405.tar.gz, the node's name made
// safe for a file name.
func DefaultName(node string, t time.Time) string {
	return "crictl-bundle-" + component(node) + "-" + t.UTC().Format("20060102-150405") + ".tar.gz"
}

// Result is what Collect did.
type Result struct {
	Manifest *Manifest
	// Location and Size of the bundle written.
	Location string
	Size     int64
}

// Errors is the number of errors the manifest lists.
func (r *Result) Errors() int { return len(r.Manifest.Errors) }

// run is one collection.
type run struct {
	opt   Options
	rs    runtimeapi.RuntimeServiceClient
	is    runtimeapi.ImageServiceClient
	sink  Sink
	red   *redact.Redactor
	now   func() time.Time
	start time.Time
	root  *hostroot.Root
	prog  *progress

	mu      sync.Mutex
	man     *Manifest
	failed  int // calls in a row the runtime did not answer
	written int64
}

// Collect writes a bundle to sink. The error is for the bundle itself
// (nothing usable was written; the sink is aborted): what could not be
// collected is listed in the manifest instead.
func (c *Collector) Collect(ctx context.Context, sink Sink) (*Result, error) {
	o := c.Options
	if o.LogLines == 0 {
		o.LogLines = DefaultLogLines
	}
	if o.LogBytes <= 0 {
		o.LogBytes = DefaultLogBytes
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	if o.Parallel <= 0 {
		o.Parallel = parallel.DefaultLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Root == nil {
		o.Root = hostroot.Host
	}
	r := &run{opt: o, rs: c.Runtime, is: c.Images, sink: sink, now: o.Now, root: o.Root}
	r.start = o.Now()
	r.prog = newProgress(o.Progress, o.MaxBytes)
	if !o.NoRedact {
		r.red = redact.New(redact.Marker, true)
		r.red.Secret(o.Secrets...)
	}
	r.man = &Manifest{
		Format: FormatVersion, Node: o.Node, CrictlVersion: o.CrictlVersion, Endpoint: o.Endpoint,
		StartedAt: r.start.UTC().Format(time.RFC3339Nano),
		Options: ManifestOptions{Selection: selectionText(o.Select, o.Pod), LogLines: o.LogLines, LogBytes: o.LogBytes,
			MaxBytes: o.MaxBytes, DeadlineMs: o.Deadline.Milliseconds()},
		Files: []File{}, Errors: []Error{}, Skipped: []Skip{},
	}
	if !o.Root.IsHost() {
		r.man.HostRoot = o.Root.Dir()
	}
	// The caller's cancellation (Ctrl-C) ends the collection as the
	// deadline does: what was collected is written.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Deadline)
	defer cancel()
	cctx, cancelCause := context.WithCancelCause(dctx)
	defer cancelCause(nil)
	stop := context.AfterFunc(ctx, func() { cancelCause(errInterrupted) })
	defer stop()
	if c.ConnectError == nil && c.Images == nil && c.ImageError != nil {
		r.addError("node", "connect", c.ImageError)
	}
	err := r.collect(cctx, c.ConnectError)
	if err == nil {
		err = r.finish()
	}
	r.prog.done()
	if err != nil {
		sink.Abort()
		return nil, err
	}
	return &Result{Manifest: r.man, Location: sink.Location(), Size: sink.Size()}, nil
}

// selectionText says what the flags selected.
func selectionText(s kube.Selector, pod string) string {
	var parts []string
	if s.Namespace != nil {
		parts = append(parts, "--namespace "+s.Namespace.String())
	}
	if pod != "" {
		parts = append(parts, "--pod "+pod)
	}
	if s.Name != nil {
		parts = append(parts, "--name "+s.Name.String())
	}
	if !s.Labels.Empty() {
		parts = append(parts, "a label selector")
	}
	if len(parts) == 0 {
		return "the whole node"
	}
	return strings.Join(parts, " ")
}

func (r *run) addError(object, source string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.man.Errors = append(r.man.Errors, Error{Object: object, Source: source, Error: oneLine(err.Error())})
}

func (r *run) addSkip(object, source, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.man.Skipped = append(r.man.Skipped, Skip{Object: object, Source: source, Reason: reason})
}

func oneLine(s string) string {
	return output.Escape(strings.TrimSpace(s))
}

// errNotAnswering stands for the calls not attempted once the runtime
// left breakAfter calls in a row unanswered.
var errNotAnswering = fmt.Errorf("not attempted: the runtime left %d calls in a row unanswered", breakAfter)

// notAnswering reports an error that says the runtime did not answer.
func notAnswering(err error) bool {
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Unavailable:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// call makes one RPC, times it and records its failure. A runtime that
// does not have the RPC (Unimplemented) is a skip, not an error, when
// optional. Once the runtime has left breakAfter calls in a row
// unanswered, or the deadline has passed, calls are not attempted.
func (r *run) call(ctx context.Context, object, rpc string, optional bool, fn func(context.Context) error) (time.Duration, error) {
	r.mu.Lock()
	broken := r.failed >= breakAfter
	r.mu.Unlock()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	if broken {
		r.addError(object, "rpc "+rpc, errNotAnswering)
		return 0, errNotAnswering
	}
	t := r.now()
	err := fn(ctx)
	d := r.now().Sub(t)
	r.mu.Lock()
	if err != nil && notAnswering(err) {
		r.failed++
	} else {
		r.failed = 0
	}
	r.mu.Unlock()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// The deadline: reported once, by collect.
	case optional && status.Code(err) == codes.Unimplemented:
		r.addSkip(object, "rpc "+rpc, "the runtime does not implement it")
	default:
		r.addError(object, "rpc "+rpc, err)
	}
	return d, err
}

// doc is one file to write: bytes and where they came from.
type doc struct {
	path       string
	source     string
	data       []byte
	dur        time.Duration
	redactions int
}

// jsonDoc renders v (a proto message or a generic document) as the
// commands' -o json does.
func jsonDoc(p, source string, v any, dur time.Duration, redactions int) (doc, error) {
	b, err := output.MarshalJSON(v)
	if err != nil {
		return doc{}, fmt.Errorf("%s: %w", p, err)
	}
	return doc{path: p, source: source, data: b, dur: dur, redactions: redactions}, nil
}

// redactMsg returns m with its secrets replaced and how many, on a fork of
// the run's Redactor merged back (so concurrent items count apart).
func redactMsg[M proto.Message](r *run, m M) (M, int) {
	if r.red == nil {
		return m, 0
	}
	f := r.red.Fork()
	out := f.Message(m).(M)
	n := f.Total()
	r.red.Merge(f)
	return out, n
}

// write adds a document to the bundle.
func (r *run) write(d doc) error {
	return r.add(d.path, d.source, int64(len(d.data)), bytes.NewReader(d.data), d.dur, d.redactions, false, nil)
}

// add writes one file and records it in the manifest.
func (r *run) add(p, source string, size int64, body io.Reader, dur time.Duration, redactions int, truncated bool, warnings []string) error {
	h := sha256.New()
	if err := r.sink.Add(p, size, io.TeeReader(body, h)); err != nil {
		return fmt.Errorf("writing %s into the bundle: %w", p, err)
	}
	r.mu.Lock()
	r.written += size
	r.man.Files = append(r.man.Files, File{Path: p, Source: source, Bytes: size, SHA256: hexSum(h),
		DurationMs: millis(dur), Redactions: redactions, Truncated: truncated, Warnings: warnings})
	r.mu.Unlock()
	r.prog.file(size)
	return nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// podItem is a selected pod and its selected containers, with their
// places in the bundle.
type podItem struct {
	id, namespace, name string
	pod                 *runtimeapi.PodSandbox // nil when the sandbox is gone
	dir                 string
	ctrs                []*ctrItem
}

type ctrItem struct {
	ctr *runtimeapi.Container
	dir string
	// From its status (the inspect): where its log is.
	inspected bool
	logPath   string
	attempt   uint32
	state     runtimeapi.ContainerState
	// exit code and reason of a container that is not running.
	exitCode int32
	reason   string
	// statusFailed: its status could not be had for the summary; the
	// manifest says why, and the inspect does not ask again.
	statusFailed bool
}

// node are the answers of the node-wide calls.
type node struct {
	version    *runtimeapi.VersionResponse
	status     *runtimeapi.StatusResponse
	config     *runtimeapi.RuntimeConfigResponse
	fsinfo     *runtimeapi.ImageFsInfoResponse
	images     *runtimeapi.ListImagesResponse
	pods       *runtimeapi.ListPodSandboxResponse
	ctrs       *runtimeapi.ListContainersResponse
	stats      *runtimeapi.ListContainerStatsResponse
	podStats   *runtimeapi.ListPodSandboxStatsResponse
	durations  map[string]time.Duration
	listErrors []string
}

// collect does the work; its error is a failure to write.
func (r *run) collect(ctx context.Context, connectErr error) error {
	if connectErr != nil {
		r.addError("node", "connect", connectErr)
		sum := r.summary(&node{listErrors: []string{"connecting to the runtime: " + oneLine(connectErr.Error())}}, nil, nil)
		return r.writeSummary(sum)
	}
	n := r.listNode(ctx)
	pods, images := r.selectObjects(ctx, n)
	r.statusesForSummary(ctx, pods)
	sum := r.summary(n, pods, images)
	if err := r.writeSummary(sum); err != nil {
		return err
	}
	if err := r.writeNode(n, pods, images); err != nil {
		return err
	}
	r.man.Counts = Counts{Pods: len(pods), Containers: sum.Containers, Images: len(images)}
	if err := r.inspectPods(ctx, pods); err != nil {
		return err
	}
	if err := r.inspectImages(ctx, images); err != nil {
		return err
	}
	if err := r.collectLogs(ctx, pods); err != nil {
		return err
	}
	switch {
	case errors.Is(context.Cause(ctx), errInterrupted):
		r.addError("node", "interrupted", errors.New("interrupted: what was not collected by then is missing"))
	case ctx.Err() != nil:
		r.addError("node", "deadline", fmt.Errorf("the deadline (%v) passed: what was not collected by then is missing", r.opt.Deadline))
	}
	return nil
}

// errInterrupted is the cause of the collection's end when the caller's
// context was cancelled (Ctrl-C) rather than the deadline passing.
var errInterrupted = errors.New("interrupted")

// listNode makes the node-wide calls, concurrently.
func (r *run) listNode(ctx context.Context) *node {
	n := &node{durations: map[string]time.Duration{}}
	var mu sync.Mutex
	type job struct {
		rpc      string
		optional bool
		image    bool
		fn       func(context.Context) error
	}
	jobs := []job{
		{"Version", false, false, func(ctx context.Context) (err error) {
			n.version, err = r.rs.Version(ctx, &runtimeapi.VersionRequest{Version: "v1"})
			return err
		}},
		{"Status", false, false, func(ctx context.Context) (err error) {
			n.status, err = r.rs.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
			return err
		}},
		{"RuntimeConfig", true, false, func(ctx context.Context) (err error) {
			n.config, err = r.rs.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
			return err
		}},
		{"ImageFsInfo", true, true, func(ctx context.Context) (err error) {
			n.fsinfo, err = r.is.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
			return err
		}},
		{"ListImages", false, true, func(ctx context.Context) (err error) {
			n.images, err = r.is.ListImages(ctx, &runtimeapi.ListImagesRequest{})
			return err
		}},
		{"ListPodSandbox", false, false, func(ctx context.Context) (err error) {
			n.pods, err = r.rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
			return err
		}},
		{"ListContainers", false, false, func(ctx context.Context) (err error) {
			n.ctrs, err = r.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
			return err
		}},
		{"ListContainerStats", true, false, func(ctx context.Context) (err error) {
			n.stats, err = r.rs.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
			return err
		}},
		{"ListPodSandboxStats", true, false, func(ctx context.Context) (err error) {
			n.podStats, err = r.rs.ListPodSandboxStats(ctx, &runtimeapi.ListPodSandboxStatsRequest{})
			return err
		}},
	}
	r.prog.phase("listing", len(jobs))
	parallel.ForEach(ctx, len(jobs), r.opt.Parallel, func(i int) {
		j := jobs[i]
		if j.image && r.is == nil {
			return
		}
		d, err := r.call(ctx, "node", j.rpc, j.optional, j.fn)
		mu.Lock()
		defer mu.Unlock()
		n.durations[j.rpc] = d
		if err != nil && !(j.optional && status.Code(err) == codes.Unimplemented) {
			n.listErrors = append(n.listErrors, j.rpc+": "+oneLine(err.Error()))
		}
		r.prog.step()
	})
	slices.Sort(n.listErrors)
	return n
}

// selectObjects applies the selection and places each pod and container
// in the bundle.
func (r *run) selectObjects(ctx context.Context, n *node) ([]*podItem, []*runtimeapi.Image) {
	sel := r.opt.Select
	podID := ""
	if r.opt.Pod != "" && n.pods != nil {
		_, err := r.call(ctx, "node", "ListPodSandbox", false, func(ctx context.Context) (err error) {
			podID, err = resolve.New(r.rs, resolve.Scope{Namespace: sel.Namespace}).Pod(ctx, r.opt.Pod)
			return err
		})
		if err != nil {
			return nil, nil
		}
	}
	byID := map[string]*podItem{}
	var pods []*podItem
	for _, p := range n.pods.GetItems() {
		md := p.GetMetadata()
		if !sel.Namespace.Match(md.GetNamespace()) || !sel.Labels.Match(p.GetLabels()) || (podID != "" && p.GetId() != podID) {
			continue
		}
		it := &podItem{id: p.GetId(), namespace: md.GetNamespace(), name: md.GetName(), pod: p}
		byID[it.id] = it
		pods = append(pods, it)
	}
	podSelecting := sel.Namespace != nil || !sel.Labels.Empty() || podID != ""
	for _, c := range n.ctrs.GetContainers() {
		if kube.IsSandboxContainer(c) || !sel.Name.Match(c.GetMetadata().GetName()) {
			continue
		}
		it, ok := byID[c.GetPodSandboxId()]
		if !ok {
			// The sandbox is gone (or was not listed): kubelet's labels
			// stand in for it.
			if podSelecting {
				continue
			}
			ns, name := c.GetLabels()[kube.LabelPodNamespace], c.GetLabels()[kube.LabelPodName]
			if name == "" {
				name = "_unknown-" + shortID(c.GetPodSandboxId())
			}
			it = &podItem{id: c.GetPodSandboxId(), namespace: ns, name: name}
			byID[it.id] = it
			pods = append(pods, it)
		}
		it.ctrs = append(it.ctrs, &ctrItem{ctr: c, state: c.GetState(), attempt: c.GetMetadata().GetAttempt()})
	}
	if sel.Name != nil {
		// Only the pods of the containers selected by name.
		pods = slices.DeleteFunc(pods, func(p *podItem) bool { return len(p.ctrs) == 0 })
	}
	r.place(pods)

	var images []*runtimeapi.Image
	used := map[string]bool{}
	for _, p := range pods {
		for _, c := range p.ctrs {
			used[c.ctr.GetImageRef()] = true
			used[c.ctr.GetImage().GetImage()] = true
		}
	}
	selecting := podSelecting || sel.Name != nil
	for _, img := range n.images.GetImages() {
		if !selecting || used[img.GetId()] || slices.ContainsFunc(img.GetRepoDigests(), func(d string) bool { return used[d] }) ||
			slices.ContainsFunc(img.GetRepoTags(), func(t string) bool { return used[t] }) {
			images = append(images, img)
		}
	}
	slices.SortFunc(images, func(a, b *runtimeapi.Image) int { return cmp.Compare(a.GetId(), b.GetId()) })
	return pods, images
}

// place sorts the pods and containers and gives each a unique directory:
// pods/<namespace>/<pod>/<container>.
func (r *run) place(pods []*podItem) {
	created := func(p *podItem) int64 { return p.pod.GetCreatedAt() }
	slices.SortFunc(pods, func(a, b *podItem) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name),
			cmp.Compare(created(b), created(a)), cmp.Compare(a.id, b.id))
	})
	byNS := map[string][]int{}
	var order []string
	for i, p := range pods {
		ns := component(p.namespace)
		if p.namespace == "" {
			ns = "_none"
		}
		if _, ok := byNS[ns]; !ok {
			order = append(order, ns)
		}
		byNS[ns] = append(byNS[ns], i)
	}
	for _, ns := range order {
		idx := byNS[ns]
		names, ids := make([]string, len(idx)), make([]string, len(idx))
		for k, i := range idx {
			names[k], ids[k] = pods[i].name, pods[i].id
		}
		for k, c := range unique(names, ids) {
			pods[idx[k]].dir = path.Join("pods", ns, c)
		}
	}
	for _, p := range pods {
		slices.SortFunc(p.ctrs, func(a, b *ctrItem) int {
			return cmp.Or(cmp.Compare(a.ctr.GetMetadata().GetName(), b.ctr.GetMetadata().GetName()),
				cmp.Compare(b.attempt, a.attempt), cmp.Compare(b.ctr.GetCreatedAt(), a.ctr.GetCreatedAt()), cmp.Compare(a.ctr.GetId(), b.ctr.GetId()))
		})
		names, ids := make([]string, len(p.ctrs)), make([]string, len(p.ctrs))
		for k, c := range p.ctrs {
			names[k], ids[k] = c.ctr.GetMetadata().GetName(), c.ctr.GetId()
		}
		for k, c := range unique(names, ids) {
			p.ctrs[k].dir = path.Join(p.dir, c)
		}
	}
}

// statusesForSummary asks the status of the containers that are not
// running, for their exit codes and reasons in the summary.
func (r *run) statusesForSummary(ctx context.Context, pods []*podItem) {
	var items []*ctrItem
	for _, p := range pods {
		for _, c := range p.ctrs {
			if c.state != runtimeapi.ContainerState_CONTAINER_RUNNING {
				items = append(items, c)
			}
		}
	}
	parallel.ForEach(ctx, len(items), r.opt.Parallel, func(i int) {
		c := items[i]
		var resp *runtimeapi.ContainerStatusResponse
		_, err := r.call(ctx, c.dir, "ContainerStatus", false, func(ctx context.Context) (err error) {
			resp, err = r.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: c.ctr.GetId()})
			return err
		})
		if err != nil {
			c.statusFailed = true
			return
		}
		c.exitCode, c.reason = resp.GetStatus().GetExitCode(), resp.GetStatus().GetReason()
	})
}

func (r *run) summary(n *node, pods []*podItem, images []*runtimeapi.Image) *Summary {
	s := &Summary{Node: r.opt.Node, TakenAt: r.start.UTC().Format(time.RFC3339), CrictlVersion: r.opt.CrictlVersion,
		Selection: selectionText(r.opt.Select, r.opt.Pod), Conditions: []Condition{}, ListErrors: n.listErrors}
	if s.ListErrors == nil {
		s.ListErrors = []string{}
	}
	if v := n.version; v != nil {
		s.Runtime = RuntimeInfo{Name: v.GetRuntimeName(), Version: v.GetRuntimeVersion(), APIVersion: v.GetRuntimeApiVersion()}
	}
	s.Runtime.Endpoint = r.opt.Endpoint
	for _, c := range n.status.GetStatus().GetConditions() {
		s.Conditions = append(s.Conditions, Condition{Type: c.GetType(), Status: c.GetStatus(), Reason: c.GetReason(), Message: c.GetMessage()})
	}
	s.addObjects(pods, len(images))
	byDir := map[string]*ctrItem{}
	for _, p := range pods {
		for _, c := range p.ctrs {
			byDir[c.dir] = c
		}
	}
	for i, ref := range s.NotRunning {
		if c := byDir[ref.Path]; c != nil {
			s.NotRunning[i].ExitCode, s.NotRunning[i].Reason = c.exitCode, c.reason
		}
	}
	return s
}

// writeSummary writes summary.txt and summary.json, the first files.
func (r *run) writeSummary(s *Summary) error {
	var b bytes.Buffer
	if err := s.WriteText(&b); err != nil {
		return err
	}
	if err := r.write(doc{path: "summary.txt", source: "crictl", data: b.Bytes()}); err != nil {
		return err
	}
	d, err := jsonDoc("summary.json", "crictl", s, 0, 0)
	if err != nil {
		return err
	}
	return r.write(d)
}

// writeNode writes the node-wide documents, as the commands print them
// with -o json.
func (r *run) writeNode(n *node, pods []*podItem, images []*runtimeapi.Image) error {
	var docs []doc
	add := func(p, rpc string, v any, redactions int) error {
		d, err := jsonDoc(p, "rpc "+rpc, v, n.durations[rpc], redactions)
		if err == nil {
			docs = append(docs, d)
		}
		return err
	}
	if n.version != nil {
		if err := add("version.json", "Version", cridoc.Version(n.version, r.opt.CrictlVersion), 0); err != nil {
			return err
		}
	}
	if n.status != nil {
		st, red := redactMsg(r, n.status)
		info, err := cridoc.Info(st)
		if err != nil {
			return err
		}
		if err := add("info.json", "Status", info, red); err != nil {
			return err
		}
	}
	if n.config != nil {
		if err := add("runtime-config.json", "RuntimeConfig", n.config, 0); err != nil {
			return err
		}
	}
	if n.fsinfo != nil {
		fs, err := cridoc.Status(n.fsinfo, nil, nil)
		if err != nil {
			return err
		}
		if err := add("imagefsinfo.json", "ImageFsInfo", fs, 0); err != nil {
			return err
		}
	}
	if n.images != nil {
		l, red := redactMsg(r, &runtimeapi.ListImagesResponse{Images: images})
		if err := add("images.json", "ListImages", l, red); err != nil {
			return err
		}
	}
	podIDs, ctrIDs := map[string]bool{}, map[string]bool{}
	var podList []*runtimeapi.PodSandbox
	var ctrList []*runtimeapi.Container
	for _, p := range pods {
		podIDs[p.id] = true
		if p.pod != nil {
			podList = append(podList, p.pod)
		}
		for _, c := range p.ctrs {
			ctrIDs[c.ctr.GetId()] = true
			ctrList = append(ctrList, c.ctr)
		}
	}
	if n.pods != nil {
		l, red := redactMsg(r, &runtimeapi.ListPodSandboxResponse{Items: podList})
		if err := add("pods.json", "ListPodSandbox", l, red); err != nil {
			return err
		}
	}
	if n.ctrs != nil {
		l, red := redactMsg(r, &runtimeapi.ListContainersResponse{Containers: ctrList})
		if err := add("containers.json", "ListContainers", l, red); err != nil {
			return err
		}
	}
	if n.stats != nil {
		l := &runtimeapi.ListContainerStatsResponse{}
		for _, s := range n.stats.GetStats() {
			if ctrIDs[s.GetAttributes().GetId()] {
				l.Stats = append(l.Stats, s)
			}
		}
		l, red := redactMsg(r, l)
		if err := add("stats.json", "ListContainerStats", l, red); err != nil {
			return err
		}
	}
	if n.podStats != nil {
		l := &runtimeapi.ListPodSandboxStatsResponse{}
		for _, s := range n.podStats.GetStats() {
			if podIDs[s.GetAttributes().GetId()] {
				l.Stats = append(l.Stats, s)
			}
		}
		l, red := redactMsg(r, l)
		if err := add("statsp.json", "ListPodSandboxStats", l, red); err != nil {
			return err
		}
	}
	for _, d := range docs {
		if err := r.write(d); err != nil {
			return err
		}
	}
	return nil
}

// ordered runs fetch(i) for i in [0, n), at most limit at once, and hands
// the results to write in index order, at most 2*limit ahead of the
// writer, so memory holds a bounded number of results whatever n. Once ctx
// is done no more are started; those started are written. After a write
// error the rest are not written, and the error is returned.
func ordered[T any](ctx context.Context, n, limit int, fetch func(i int) T, write func(i int, v T) error) error {
	limit = max(limit, 1)
	tokens := make(chan struct{}, 2*limit)
	sem := make(chan struct{}, limit)
	results := make([]chan T, n)
	for i := range results {
		results[i] = make(chan T, 1)
	}
	launched := make(chan int, n)
	stop := make(chan struct{})
	go func() {
		defer close(launched)
		for i := range n {
			if ctx.Err() != nil {
				return
			}
			// Tokens are taken in index order, by this goroutine alone, so
			// the item the writer waits for always gets one.
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
			go func() {
				v := fetch(i)
				<-sem
				results[i] <- v
			}()
			launched <- i
		}
	}()
	var err error
	for i := range launched {
		v := <-results[i]
		if err == nil {
			if err = write(i, v); err != nil {
				close(stop)
			}
		}
		<-tokens
	}
	return err
}
