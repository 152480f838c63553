// Package otlpfake is a real OTLP trace receiver for tests: the generated
// OpenTelemetry collector service (go.opentelemetry.io/proto/otlp) served
// over gRPC on loopback, recording every ExportTraceServiceRequest it
// decodes. It also gives a collector that accepts connections and never
// answers, and an address where nothing listens.
//
// It is imported by tests only; the crictl binary must never link it (a
// test in pkg/tracing checks).
package otlpfake

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/crifake"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Receiver is an OTLP/gRPC trace receiver on 127.0.0.1.
type Receiver struct {
	coltracepb.UnimplementedTraceServiceServer

	// Addr is HOST:PORT, for --tracing-endpoint.
	Addr string

	mu       sync.Mutex
	reqs     []*coltracepb.ExportTraceServiceRequest
	agents   []string
	reply    *coltracepb.ExportTraceServiceResponse
	fail     error
	received chan struct{}
	srv      *grpc.Server
}

// Start serves a receiver until the test ends.
func Start(t testing.TB) *Receiver {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("otlpfake: %v", err)
	}
	r := &Receiver{Addr: lis.Addr().String(), received: make(chan struct{}, 1), srv: grpc.NewServer()}
	coltracepb.RegisterTraceServiceServer(r.srv, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.srv.Serve(lis)
	}()
	t.Cleanup(func() {
		r.srv.Stop()
		<-done
	})
	return r
}

// Export records the request and answers as configured.
func (r *Receiver) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	r.reqs = append(r.reqs, proto.Clone(req).(*coltracepb.ExportTraceServiceRequest))
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		r.agents = append(r.agents, md.Get("user-agent")...)
	}
	select {
	case r.received <- struct{}{}:
	default:
	}
	if r.reply != nil {
		return r.reply, nil
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// RejectSpans makes later exports answer that n spans were rejected with
// message.
func (r *Receiver) RejectSpans(n int64, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reply = &coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: n, ErrorMessage: message}}
}

// Fail makes later exports fail with st.
func (r *Receiver) Fail(st *status.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = st.Err()
}

// Requests returns the requests received so far.
func (r *Receiver) Requests() []*coltracepb.ExportTraceServiceRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*coltracepb.ExportTraceServiceRequest(nil), r.reqs...)
}

// UserAgents returns the user-agent of each request.
func (r *Receiver) UserAgents() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.agents...)
}

// Spans returns every span received so far, in the order received.
func (r *Receiver) Spans() []*tracepb.Span {
	var out []*tracepb.Span
	for _, req := range r.Requests() {
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				out = append(out, ss.GetSpans()...)
			}
		}
	}
	return out
}

// WaitSpans waits up to timeout for at least n spans and returns what it
// has then (the test decides whether that is enough).
func (r *Receiver) WaitSpans(n int, timeout time.Duration) []*tracepb.Span {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if s := r.Spans(); len(s) >= n {
			return s
		}
		select {
		case <-r.received:
		case <-deadline.C:
			return r.Spans()
		}
	}
}

// Resources returns the resource attributes of every ResourceSpans
// received.
func (r *Receiver) Resources() [][]*commonpb.KeyValue {
	var out [][]*commonpb.KeyValue
	for _, req := range r.Requests() {
		for _, rs := range req.GetResourceSpans() {
			out = append(out, rs.GetResource().GetAttributes())
		}
	}
	return out
}

// Attr returns the value of key in kvs as a string ("" when absent):
// strings as they are, integers in decimal.
func Attr(kvs []*commonpb.KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.GetKey() != key {
			continue
		}
		switch v := kv.GetValue().GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			return v.StringValue
		case *commonpb.AnyValue_IntValue:
			return fmt.Sprint(v.IntValue)
		default:
			return fmt.Sprintf("%v", v)
		}
	}
	return ""
}

// Silent returns the endpoint ("unix:///…") of a collector that accepts
// connections and never answers, until the test ends.
func Silent(t testing.TB) string {
	t.Helper()
	ep, stop, err := crifake.ListenHang(crifake.ShortTempDir(t))
	if err != nil {
		t.Fatalf("otlpfake: %v", err)
	}
	t.Cleanup(stop)
	return ep
}

// Closed returns a loopback address where nothing listens (a port that was
// free a moment ago).
func Closed(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("otlpfake: %v", err)
	}
	addr := lis.Addr().String()
	_ = lis.Close()
	return addr
}
