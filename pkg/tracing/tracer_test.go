package tracing_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	"github.com/crictl/crictl/internal/otlpfake"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/tracing"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// hangBound fails a test whose flush has not returned by then: a hang
// check, far above the flush timeouts used here, not a speed target.
const hangBound = 15 * time.Second

func newTracer(t *testing.T, cfg tracing.Config) *tracing.Tracer {
	t.Helper()
	tr, err := tracing.New(cfg, "crictl")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// dial connects to a CRI endpoint through tr's interceptors, as the
// command layer does.
func dial(t *testing.T, endpoint string, tr *tracing.Tracer) *cri.Conn {
	t.Helper()
	conn, err := cri.Dial(endpoint, cri.Options{
		Timeout:            5 * time.Second,
		UnaryInterceptors:  []grpc.UnaryClientInterceptor{tr.UnaryClientInterceptor()},
		StreamInterceptors: []grpc.StreamClientInterceptor{tr.StreamClientInterceptor()},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// shutdown runs tr.Shutdown under the hang bound.
func shutdown(t *testing.T, tr *tracing.Tracer) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- tr.Shutdown() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangBound):
		t.Fatalf("Shutdown did not return within %v", hangBound)
	}
	return nil
}

func byName(spans []*tracepb.Span) map[string]*tracepb.Span {
	m := map[string]*tracepb.Span{}
	for _, s := range spans {
		m[s.GetName()] = s
	}
	return m
}

func events(s *tracepb.Span) []string {
	var out []string
	for _, e := range s.GetEvents() {
		out = append(out, e.GetName()+" "+otlpfake.Attr(e.GetAttributes(), "message.type")+" "+otlpfake.Attr(e.GetAttributes(), "message.id"))
	}
	return out
}

// A run with two CRI calls, one failing: one trace, the root span named
// after the command, a client span per call under it, the otelgrpc
// attributes, in time order, and the process described.
func TestSpansOfTwoCRICalls(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	srv, ep := crifake.Start(t)
	srv.AddPod(crifake.KubeletPod("web", "default", 0, crifake.FixedTime, true))
	tr := newTracer(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1, ServiceVersion: "v9.9.9"})
	tr.SetName("pods")
	conn := dial(t, ep, tr)
	ctx := context.Background()
	if _, err := conn.Runtime().ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Runtime().ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "nope"}); !cri.IsNotFound(err) {
		t.Fatalf("ContainerStatus: %v, want NotFound", err)
	}
	tr.End(1, "no such container")
	if err := shutdown(t, tr); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	spans := rcv.Spans()
	if len(spans) != 3 {
		t.Fatalf("received %d spans, want 3: %v", len(spans), spans)
	}
	m := byName(spans)
	root, list, st := m["pods"], m["runtime.v1.RuntimeService/ListPodSandbox"], m["runtime.v1.RuntimeService/ContainerStatus"]
	if root == nil || list == nil || st == nil {
		t.Fatalf("span names: %v", spans)
	}
	tid := tr.TraceID()
	for _, s := range spans {
		if !bytes.Equal(s.GetTraceId(), tid[:]) {
			t.Errorf("%s: trace %x, want %x", s.GetName(), s.GetTraceId(), tid)
		}
		if len(s.GetSpanId()) != 8 || bytes.Equal(s.GetSpanId(), make([]byte, 8)) {
			t.Errorf("%s: span ID %x", s.GetName(), s.GetSpanId())
		}
		if s.GetFlags()&1 != 1 {
			t.Errorf("%s: flags %#x lack the sampled bit", s.GetName(), s.GetFlags())
		}
	}
	if len(root.GetParentSpanId()) != 0 || root.GetKind() != tracepb.Span_SPAN_KIND_INTERNAL {
		t.Errorf("root: parent %x, kind %v", root.GetParentSpanId(), root.GetKind())
	}
	if root.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || root.GetStatus().GetMessage() != "no such container" ||
		otlpfake.Attr(root.GetAttributes(), "process.exit.code") != "1" {
		t.Errorf("root: status %v, attributes %v", root.GetStatus(), root.GetAttributes())
	}
	for _, c := range []struct {
		s            *tracepb.Span
		method, code string
		events       []string
	}{
		{list, "ListPodSandbox", "0", []string{"message SENT 1", "message RECEIVED 1"}},
		{st, "ContainerStatus", "5", []string{"message SENT 1"}},
	} {
		if !bytes.Equal(c.s.GetParentSpanId(), root.GetSpanId()) || c.s.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("%s: parent %x (root %x), kind %v", c.method, c.s.GetParentSpanId(), root.GetSpanId(), c.s.GetKind())
		}
		a := c.s.GetAttributes()
		if otlpfake.Attr(a, "rpc.system") != "grpc" || otlpfake.Attr(a, "rpc.service") != "runtime.v1.RuntimeService" ||
			otlpfake.Attr(a, "rpc.method") != c.method || otlpfake.Attr(a, "rpc.grpc.status_code") != c.code {
			t.Errorf("%s: attributes %v", c.method, a)
		}
		if got := events(c.s); strings.Join(got, ",") != strings.Join(c.events, ",") {
			t.Errorf("%s: events %q, want %q", c.method, got, c.events)
		}
		if otlpfake.Attr(c.s.GetEvents()[0].GetAttributes(), "message.uncompressed_size") == "" {
			t.Errorf("%s: the SENT event has no size", c.method)
		}
	}
	if list.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Errorf("ListPodSandbox: status %v, want unset", list.GetStatus())
	}
	if st.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR || !strings.Contains(st.GetStatus().GetMessage(), "nope") {
		t.Errorf("ContainerStatus: status %v, want an error naming the container", st.GetStatus())
	}
	// Time order: the calls inside the root, one after the other.
	order := []uint64{
		root.GetStartTimeUnixNano(), list.GetStartTimeUnixNano(), list.GetEndTimeUnixNano(),
		st.GetStartTimeUnixNano(), st.GetEndTimeUnixNano(), root.GetEndTimeUnixNano(),
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("times out of order: %v", order)
			break
		}
	}
	for _, e := range list.GetEvents() {
		if e.GetTimeUnixNano() < list.GetStartTimeUnixNano() || e.GetTimeUnixNano() > list.GetEndTimeUnixNano() {
			t.Errorf("event at %d outside its span", e.GetTimeUnixNano())
		}
	}
	res := rcv.Resources()
	if len(res) != 1 {
		t.Fatalf("%d resources, want 1", len(res))
	}
	if otlpfake.Attr(res[0], "service.name") != "cri-tools" || otlpfake.Attr(res[0], "service.version") != "v9.9.9" ||
		otlpfake.Attr(res[0], "process.pid") == "" || otlpfake.Attr(res[0], "host.name") == "" {
		t.Errorf("resource: %v", res[0])
	}
	if ua := rcv.UserAgents(); len(ua) != 1 || !strings.HasPrefix(ua[0], "crictl/v9.9.9") {
		t.Errorf("user agents %q", ua)
	}
}

// runtime is a CRI server that records the traceparent of each call and
// streams events.
type runtime struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	mu      sync.Mutex
	parents []string
	events  int  // events sent by GetContainerEvents before it ends
	block   bool // GetContainerEvents waits for the client to go away
}

func (r *runtime) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parents = append(r.parents, md.Get("traceparent")...)
}

func (r *runtime) traceparents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.parents...)
}

func (r *runtime) Version(ctx context.Context, _ *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	r.record(ctx)
	return &runtimeapi.VersionResponse{RuntimeName: "test"}, nil
}

func (r *runtime) GetContainerEvents(_ *runtimeapi.GetEventsRequest, s grpc.ServerStreamingServer[runtimeapi.ContainerEventResponse]) error {
	r.record(s.Context())
	for i := range r.events {
		if err := s.Send(&runtimeapi.ContainerEventResponse{ContainerId: strings.Repeat("a", i+1)}); err != nil {
			return err
		}
	}
	if r.block {
		<-s.Context().Done()
		return status.FromContextError(s.Context().Err()).Err()
	}
	return nil
}

func startRuntime(t *testing.T, r *runtime) string {
	t.Helper()
	sock := filepath.Join(crifake.ShortTempDir(t), "rt.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(s, r)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return "unix://" + sock
}

var traceparentRE = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$`)

// The runtime receives the W3C traceparent of each call's span, so its
// own spans join the trace; an unsampled run says so and sends nothing.
func TestTraceparentReachesTheRuntime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate  int
		flags string
	}{{-1, "01"}, {0, "00"}} {
		rcv := otlpfake.Start(t)
		rt := &runtime{}
		tr := newTracer(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: tc.rate})
		conn := dial(t, startRuntime(t, rt), tr)
		if _, err := conn.Runtime().Version(context.Background(), &runtimeapi.VersionRequest{}); err != nil {
			t.Fatal(err)
		}
		if err := shutdown(t, tr); err != nil {
			t.Fatalf("rate %d: Shutdown: %v", tc.rate, err)
		}
		got := rt.traceparents()
		if len(got) != 1 {
			t.Fatalf("rate %d: traceparents %q, want one", tc.rate, got)
		}
		m := traceparentRE.FindStringSubmatch(got[0])
		tid := tr.TraceID()
		if m == nil || m[1] != tid.String() || m[3] != tc.flags {
			t.Errorf("rate %d: traceparent %q, want trace %s and flags %s", tc.rate, got[0], tid, tc.flags)
		}
		spans := rcv.Spans()
		if tc.rate == 0 {
			if tr.Sampled() || len(rcv.Requests()) != 0 {
				t.Errorf("rate 0: sampled %v, %d requests sent", tr.Sampled(), len(rcv.Requests()))
			}
			continue
		}
		v := byName(spans)["runtime.v1.RuntimeService/Version"]
		if v == nil || m[2] != strings.ToLower(hexOf(v.GetSpanId())) {
			t.Errorf("the traceparent's span %s is not the Version span %v", m[2], v)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// A stream read to its end is one span with its messages.
func TestStreamSpan(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	rt := &runtime{events: 3}
	tr := newTracer(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1})
	conn := dial(t, startRuntime(t, rt), tr)
	stream, err := conn.Runtime().GetContainerEvents(context.Background(), &runtimeapi.GetEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err = stream.Recv(); err != nil {
			break
		}
		n++
	}
	if !errors.Is(err, io.EOF) || n != 3 {
		t.Fatalf("read %d events, then %v", n, err)
	}
	if err := shutdown(t, tr); err != nil {
		t.Fatal(err)
	}
	s := byName(rcv.Spans())["runtime.v1.RuntimeService/GetContainerEvents"]
	if s == nil {
		t.Fatalf("no stream span in %v", rcv.Spans())
	}
	want := "message SENT 1,message RECEIVED 1,message RECEIVED 2,message RECEIVED 3"
	if got := strings.Join(events(s), ","); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if otlpfake.Attr(s.GetAttributes(), "rpc.grpc.status_code") != "0" || s.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_UNSET {
		t.Errorf("attributes %v, status %v", s.GetAttributes(), s.GetStatus())
	}
	if len(rt.traceparents()) != 1 {
		t.Errorf("the stream carried traceparents %q", rt.traceparents())
	}
}

// A stream given up by cancelling its context (Ctrl-C in `events`) ends
// its span then, Canceled; one never read nor cancelled ends at Shutdown.
func TestStreamGivenUp(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	rt := &runtime{events: 1, block: true}
	tr := newTracer(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1})
	conn := dial(t, startRuntime(t, rt), tr)

	ctx, cancel := context.WithCancel(context.Background())
	stream, err := conn.Runtime().GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	cancel()
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	if _, err := conn.Runtime().GetContainerEvents(ctx2, &runtimeapi.GetEventsRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(t, tr); err != nil {
		t.Fatal(err)
	}
	var given, open *tracepb.Span
	for _, s := range rcv.Spans() {
		if s.GetName() != "runtime.v1.RuntimeService/GetContainerEvents" {
			continue
		}
		if len(s.GetEvents()) == 2 {
			given = s
		} else {
			open = s
		}
	}
	if given == nil || open == nil {
		t.Fatalf("want two stream spans: %v", rcv.Spans())
	}
	if otlpfake.Attr(given.GetAttributes(), "rpc.grpc.status_code") != "1" || given.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("cancelled stream: attributes %v, status %v; want Canceled", given.GetAttributes(), given.GetStatus())
	}
	if open.GetEndTimeUnixNano() < open.GetStartTimeUnixNano() || otlpfake.Attr(open.GetAttributes(), "rpc.grpc.status_code") != "" {
		t.Errorf("stream left open: %v", open)
	}
}

// runOne makes one traced CRI call and shuts down, returning the warning.
func runOne(t *testing.T, cfg tracing.Config) error {
	t.Helper()
	_, ep := crifake.Start(t)
	tr := newTracer(t, cfg)
	conn := dial(t, ep, tr)
	if _, err := conn.Runtime().Version(context.Background(), &runtimeapi.VersionRequest{}); err != nil {
		t.Fatalf("the CRI call failed because of tracing: %v", err)
	}
	tr.End(0, "")
	start := time.Now()
	err := shutdown(t, tr)
	t.Logf("Shutdown took %v", time.Since(start))
	return err
}

func TestCollectorDown(t *testing.T) {
	t.Parallel()
	addr := otlpfake.Closed(t)
	err := runOne(t, tracing.Config{Endpoint: addr, SamplingRatePerMillion: -1})
	want := "could not send spans to " + addr + ": connection refused (is a collector listening there?)"
	if err == nil || err.Error() != want {
		t.Errorf("warning %v, want %q", err, want)
	}
}

func TestCollectorNeverAnswers(t *testing.T) {
	t.Parallel()
	addr := otlpfake.Silent(t)
	err := runOne(t, tracing.Config{Endpoint: addr, SamplingRatePerMillion: -1, FlushTimeout: 300 * time.Millisecond})
	want := "could not send spans to " + addr + ": no answer within 300ms"
	if err == nil || err.Error() != want {
		t.Errorf("warning %v, want %q", err, want)
	}
}

func TestCollectorRefusesOrRejects(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	rcv.RejectSpans(1, "too old")
	err := runOne(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1})
	if want := "could not send 1 of 2 spans to " + rcv.Addr + ": the collector rejected 1 spans: too old"; err == nil || err.Error() != want {
		t.Errorf("partial success: %v, want %q", err, want)
	}

	rcv2 := otlpfake.Start(t)
	rcv2.Fail(status.New(codes.ResourceExhausted, "queue full"))
	err = runOne(t, tracing.Config{Endpoint: rcv2.Addr, SamplingRatePerMillion: -1})
	if want := "could not send spans to " + rcv2.Addr + ": ResourceExhausted: queue full"; err == nil || err.Error() != want {
		t.Errorf("failed export: %v, want %q", err, want)
	}

	// A gRPC server that is not a collector (a CRI socket).
	_, criEP := crifake.Start(t)
	err = runOne(t, tracing.Config{Endpoint: criEP, SamplingRatePerMillion: -1})
	if err == nil || !strings.Contains(err.Error(), "does not offer the OTLP trace service") {
		t.Errorf("not a collector: %v", err)
	}
}

func TestNewRejectsBadEndpoints(t *testing.T) {
	t.Parallel()
	if _, err := tracing.New(tracing.Config{Endpoint: "localhost", SamplingRatePerMillion: -1}, "x"); err == nil || !strings.Contains(err.Error(), `"localhost" is not HOST:PORT`) {
		t.Errorf("New(localhost): %v", err)
	}
}

func TestEndAndShutdownTwice(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	tr := newTracer(t, tracing.Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1})
	tr.End(0, "")
	tr.End(2, "late")
	if err := shutdown(t, tr); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(t, tr); err != nil {
		t.Fatal(err)
	}
	spans := rcv.Spans()
	if len(spans) != 1 || otlpfake.Attr(spans[0].GetAttributes(), "process.exit.code") != "0" || spans[0].GetStatus() != nil {
		t.Errorf("spans %v, want one root ended once with exit code 0", spans)
	}
}
