package tracing

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The OTLP trace protocol (opentelemetry/proto/collector/trace/v1 and
// trace/v1, stable since OTLP 1.0), encoded by hand: the generated Go
// packages register their descriptors at start-up in every run.
const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// Span flags: the W3C trace flags in the low byte, and whether the parent
// is remote is known (it never is here).
const (
	flagSampled      = 0x01
	flagHasIsRemote  = 0x100
	spanFlagsSampled = flagSampled | flagHasIsRemote
)

// resource describes the process that made the spans.
type resource struct {
	attrs        []attr
	scopeName    string
	scopeVersion string
}

// appendExportRequest appends an ExportTraceServiceRequest carrying spans
// to b.
func appendExportRequest(b []byte, res *resource, spans []*span) []byte {
	// ExportTraceServiceRequest.resource_spans = 1
	return appendMessage(b, 1, func(b []byte) []byte {
		// ResourceSpans.resource = 1
		b = appendMessage(b, 1, func(b []byte) []byte {
			return appendAttrs(b, 1, res.attrs) // Resource.attributes = 1
		})
		// ResourceSpans.scope_spans = 2
		return appendMessage(b, 2, func(b []byte) []byte {
			// ScopeSpans.scope = 1
			b = appendMessage(b, 1, func(b []byte) []byte {
				b = appendString(b, 1, res.scopeName)
				return appendString(b, 2, res.scopeVersion)
			})
			for _, s := range spans {
				b = appendMessage(b, 2, func(b []byte) []byte { return appendSpan(b, s) }) // ScopeSpans.spans = 2
			}
			return b
		})
	})
}

func appendSpan(b []byte, s *span) []byte {
	b = protowire.AppendTag(b, 1, protowire.BytesType) // trace_id
	b = protowire.AppendBytes(b, s.traceID[:])
	b = protowire.AppendTag(b, 2, protowire.BytesType) // span_id
	b = protowire.AppendBytes(b, s.id[:])
	if s.parent != (SpanID{}) {
		b = protowire.AppendTag(b, 4, protowire.BytesType) // parent_span_id
		b = protowire.AppendBytes(b, s.parent[:])
	}
	b = appendString(b, 5, s.name)
	b = protowire.AppendTag(b, 6, protowire.VarintType) // kind
	b = protowire.AppendVarint(b, uint64(s.kind))
	b = protowire.AppendTag(b, 7, protowire.Fixed64Type) // start_time_unix_nano
	b = protowire.AppendFixed64(b, s.unixNano(s.start))
	b = protowire.AppendTag(b, 8, protowire.Fixed64Type) // end_time_unix_nano
	b = protowire.AppendFixed64(b, s.unixNano(s.end))
	b = appendAttrs(b, 9, s.attrs)
	for _, e := range s.events {
		b = appendMessage(b, 11, func(b []byte) []byte { // events
			b = protowire.AppendTag(b, 1, protowire.Fixed64Type) // time_unix_nano
			b = protowire.AppendFixed64(b, s.unixNano(e.at))
			b = appendString(b, 2, e.name)
			return appendAttrs(b, 3, e.attrs)
		})
	}
	if s.droppedEvents > 0 {
		b = protowire.AppendTag(b, 12, protowire.VarintType) // dropped_events_count
		b = protowire.AppendVarint(b, uint64(s.droppedEvents))
	}
	if s.status != 0 {
		b = appendMessage(b, 15, func(b []byte) []byte { // status
			b = appendString(b, 2, s.statusMsg)
			b = protowire.AppendTag(b, 3, protowire.VarintType)
			return protowire.AppendVarint(b, uint64(s.status))
		})
	}
	b = protowire.AppendTag(b, 16, protowire.Fixed32Type) // flags
	return protowire.AppendFixed32(b, spanFlagsSampled)
}

// appendAttrs appends attrs as repeated KeyValue field num.
func appendAttrs(b []byte, num protowire.Number, attrs []attr) []byte {
	for _, a := range attrs {
		b = appendMessage(b, num, func(b []byte) []byte {
			b = appendString(b, 1, a.key)                      // KeyValue.key
			return appendMessage(b, 2, func(b []byte) []byte { // KeyValue.value: AnyValue
				if a.isInt {
					b = protowire.AppendTag(b, 3, protowire.VarintType) // int_value
					return protowire.AppendVarint(b, uint64(a.num))
				}
				// string_value, written even when empty: it is a oneof
				b = protowire.AppendTag(b, 1, protowire.BytesType)
				return protowire.AppendString(b, a.str)
			})
		})
	}
	return b
}

// appendString appends a proto3 string field, omitted when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendMessage appends the embedded message that fill appends as field
// num: fill writes in place, then the message is moved up to make room for
// its length.
func appendMessage(b []byte, num protowire.Number, fill func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = fill(b)
	n := len(b) - start
	l := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, l)...)
	copy(b[start+l:], b[start:start+n])
	protowire.AppendVarint(b[:start], uint64(n))
	return b
}

// partialSuccess is what ExportTraceServiceResponse says was not
// accepted.
type partialSuccess struct {
	rejected int64
	message  string
}

// parseExportResponse reads an ExportTraceServiceResponse.
func parseExportResponse(b []byte) (partialSuccess, error) {
	var ps partialSuccess
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ps, errMalformedResponse
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType { // partial_success
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return ps, errMalformedResponse
			}
			if err := ps.parse(v); err != nil {
				return ps, err
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return ps, errMalformedResponse
		}
		b = b[n:]
	}
	return ps, nil
}

// errMalformedResponse is a constant, so the package has no initialisation
// work at all.
const errMalformedResponse = malformedError("the collector's answer is not an OTLP ExportTraceServiceResponse")

type malformedError string

func (e malformedError) Error() string { return string(e) }

func (ps *partialSuccess) parse(b []byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errMalformedResponse
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType: // rejected_spans
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return errMalformedResponse
			}
			ps.rejected = int64(v)
			b = b[n:]
		case num == 2 && typ == protowire.BytesType: // error_message
			v, n := protowire.ConsumeString(b)
			if n < 0 {
				return errMalformedResponse
			}
			ps.message = v
			b = b[n:]
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return errMalformedResponse
			}
			b = b[n:]
		}
	}
	return nil
}

// err is the partial success as an error, or nil when everything was
// accepted.
func (ps partialSuccess) err() error {
	switch {
	case ps.rejected > 0 && ps.message != "":
		return fmt.Errorf("the collector rejected %d spans: %s", ps.rejected, ps.message)
	case ps.rejected > 0:
		return fmt.Errorf("the collector rejected %d spans", ps.rejected)
	}
	// A message alone is a warning from the collector; the spans were
	// accepted.
	return nil
}
