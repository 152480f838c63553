package tracing

import (
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

func kvStr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func kvInt(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// The hand-written encoder against the generated OTLP types: what we send
// decodes to exactly the request we mean.
func TestExportRequestDecodesAsOTLP(t *testing.T) {
	t.Parallel()
	start := time.Unix(1_700_000_000, 123)
	tid := TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	root := &span{
		traceID: tid, id: SpanID{1, 1, 1, 1, 1, 1, 1, 1}, name: "pods", kind: kindInternal,
		start: start, end: start.Add(5 * time.Millisecond),
		attrs:  []attr{intAttr("process.exit.code", 1)},
		status: statusError, statusMsg: "no such pod",
	}
	child := &span{
		traceID: tid, id: SpanID{2, 2, 2, 2, 2, 2, 2, 2}, parent: root.id,
		name: "runtime.v1.RuntimeService/ListPodSandbox", kind: kindClient,
		start: start.Add(time.Millisecond), end: start.Add(3 * time.Millisecond),
		attrs:         []attr{strAttr("rpc.system", "grpc"), strAttr("empty", ""), intAttr("negative", -7)},
		events:        []event{{at: start.Add(2 * time.Millisecond), name: "message", attrs: []attr{strAttr("message.type", "SENT")}}},
		droppedEvents: 3,
	}
	res := &resource{attrs: []attr{strAttr("service.name", "cri-tools"), intAttr("process.pid", 42)}, scopeName: "scope", scopeVersion: "v1"}
	b := appendExportRequest([]byte("prefix"), res, []*span{root, child})
	if !strings.HasPrefix(string(b), "prefix") {
		t.Fatal("appendExportRequest overwrote what it appends to")
	}
	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b[len("prefix"):], &got); err != nil {
		t.Fatalf("the request does not decode as OTLP: %v", err)
	}
	ns := func(d time.Duration) uint64 { return uint64(start.Add(d).UnixNano()) }
	want := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{kvStr("service.name", "cri-tools"), kvInt("process.pid", 42)}},
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "scope", Version: "v1"},
			Spans: []*tracepb.Span{{
				TraceId: tid[:], SpanId: root.id[:], Name: "pods", Kind: tracepb.Span_SPAN_KIND_INTERNAL,
				StartTimeUnixNano: ns(0), EndTimeUnixNano: ns(5 * time.Millisecond),
				Attributes: []*commonpb.KeyValue{kvInt("process.exit.code", 1)},
				Status:     &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "no such pod"},
				Flags:      uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK) | 1,
			}, {
				TraceId: tid[:], SpanId: child.id[:], ParentSpanId: root.id[:],
				Name: "runtime.v1.RuntimeService/ListPodSandbox", Kind: tracepb.Span_SPAN_KIND_CLIENT,
				StartTimeUnixNano: ns(time.Millisecond), EndTimeUnixNano: ns(3 * time.Millisecond),
				Attributes: []*commonpb.KeyValue{kvStr("rpc.system", "grpc"), kvStr("empty", ""), kvInt("negative", -7)},
				Events: []*tracepb.Span_Event{{
					TimeUnixNano: ns(2 * time.Millisecond), Name: "message",
					Attributes: []*commonpb.KeyValue{kvStr("message.type", "SENT")},
				}},
				DroppedEventsCount: 3,
				Flags:              uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK) | 1,
			}},
		}},
	}}}
	if !proto.Equal(&got, want) {
		t.Errorf("decoded request differs\n--- got\n%s\n--- want\n%s", prototext.Format(&got), prototext.Format(want))
	}
}

// A message longer than 127 bytes needs a two-byte length: the in-place
// move must still be right.
func TestExportRequestLongFields(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 70_000)
	s := &span{traceID: TraceID{1}, id: SpanID{1}, name: long, start: time.Unix(1, 0), end: time.Unix(2, 0), kind: kindClient}
	b := appendExportRequest(nil, &resource{scopeName: "s"}, []*span{s, s})
	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	spans := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()
	if len(spans) != 2 || spans[0].GetName() != long || spans[1].GetName() != long {
		t.Errorf("long span names did not survive: %d spans", len(spans))
	}
}

func TestParseExportResponse(t *testing.T) {
	t.Parallel()
	enc := func(m proto.Message) []byte {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		in   []byte
		err  string
	}{
		{"empty", nil, ""},
		{"all accepted", enc(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{}}), ""},
		{"a warning only", enc(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{ErrorMessage: "slow down"}}), ""},
		{"rejected", enc(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 2, ErrorMessage: "too old"}}), "the collector rejected 2 spans: too old"},
		{"rejected, no message", enc(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 1}}), "the collector rejected 1 spans"},
		{"unknown fields skipped", append(enc(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 1}}), 0x10, 0x05), "rejected 1 spans"},
		{"truncated", []byte{0x0a, 0x05, 0x08}, "not an OTLP"},
		{"bad tag", []byte{0xff}, "not an OTLP"},
	} {
		ps, err := parseExportResponse(tc.in)
		if err == nil {
			err = ps.err()
		}
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
}

func FuzzParseExportResponse(f *testing.F) {
	f.Add([]byte{0x0a, 0x02, 0x08, 0x01})
	f.Add([]byte{0x0a, 0x05, 0x12, 0x03, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := parseExportResponse(b)
		if err != nil {
			return
		}
		// What we accept, the generated decoder accepts too, with the same
		// meaning.
		var m coltracepb.ExportTraceServiceResponse
		if uerr := proto.Unmarshal(b, &m); uerr != nil {
			return // proto.Unmarshal is stricter about UTF-8; ours only reports it
		}
		if m.GetPartialSuccess().GetRejectedSpans() != ps.rejected || m.GetPartialSuccess().GetErrorMessage() != ps.message {
			t.Fatalf("parsed %+v, generated decoder %v", ps, &m)
		}
	})
}

func BenchmarkExportRequest(b *testing.B) {
	start := time.Now()
	spans := make([]*span, 64)
	for i := range spans {
		spans[i] = &span{traceID: TraceID{1}, id: SpanID{byte(i + 1)}, parent: SpanID{1}, name: "runtime.v1.RuntimeService/ListPodSandbox",
			kind: kindClient, start: start, end: start.Add(time.Millisecond),
			attrs:  []attr{strAttr("rpc.system", "grpc"), strAttr("rpc.service", "runtime.v1.RuntimeService"), strAttr("rpc.method", "ListPodSandbox"), intAttr("rpc.grpc.status_code", 0)},
			events: []event{{at: start, name: "message", attrs: []attr{strAttr("message.type", "SENT"), intAttr("message.id", 1)}}},
		}
	}
	res := &resource{attrs: []attr{strAttr("service.name", ServiceName)}, scopeName: scopeName}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendExportRequest(buf[:0], res, spans)
	}
}
