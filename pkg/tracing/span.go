package tracing

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// TraceID and SpanID are W3C trace context identifiers; neither is ever
// all zeros.
type (
	TraceID [16]byte
	SpanID  [8]byte
)

func (id TraceID) String() string { return hex.EncodeToString(id[:]) }
func (id SpanID) String() string  { return hex.EncodeToString(id[:]) }

func newTraceID() TraceID {
	var id TraceID
	for id == (TraceID{}) {
		_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	}
	return id
}

func newSpanID() SpanID {
	var id SpanID
	for id == (SpanID{}) {
		_, _ = rand.Read(id[:])
	}
	return id
}

// sampled is the decision for a trace: rate < 0 or >= one million samples
// every trace, 0 none, otherwise rate in a million, decided from the trace
// ID as the OpenTelemetry SDK's TraceIDRatioBased sampler does (so a
// collector doing the same keeps the same traces).
func sampled(ratePerMillion int, id TraceID) bool {
	switch {
	case ratePerMillion < 0 || ratePerMillion >= 1_000_000:
		return true
	case ratePerMillion == 0:
		return false
	}
	bound := uint64(float64(ratePerMillion) / 1e6 * (1 << 63))
	return binary.BigEndian.Uint64(id[8:])>>1 < bound
}

// Span kinds and status codes of the OTLP trace protocol.
const (
	kindInternal = 1
	kindClient   = 3

	statusError = 2
)

// maxEvents bounds the message events of one span (a long event stream), as
// the SDK's default span limits do; the rest are counted as dropped.
const maxEvents = 128

// attr is a string or integer attribute.
type attr struct {
	key   string
	str   string
	num   int64
	isInt bool
}

func strAttr(k, v string) attr { return attr{key: k, str: v} }
func intAttr(k string, v int64) attr {
	return attr{key: k, num: v, isInt: true}
}

type event struct {
	at    time.Time
	name  string
	attrs []attr
}

// span is one finished or running span. The Tracer's lock guards the
// fields that change after the start.
type span struct {
	traceID TraceID
	id      SpanID
	parent  SpanID // zero for the root
	name    string
	kind    int32
	start   time.Time
	end     time.Time
	ended   bool

	attrs         []attr
	events        []event
	droppedEvents uint32
	status        int32
	statusMsg     string

	// message counters for the events' message.id
	sent, received int64
	// ctx is a stream's context: a stream still open at Shutdown whose
	// context has ended ends with that status.
	ctx context.Context
}

func (s *span) addEvent(e event) {
	if len(s.events) >= maxEvents {
		s.droppedEvents++
		return
	}
	s.events = append(s.events, e)
}

// unixNano is t in Unix nanoseconds, measured on the monotonic clock from
// the span's start so a clock step during the run cannot reorder times.
func (s *span) unixNano(t time.Time) uint64 {
	return uint64(s.start.UnixNano() + int64(t.Sub(s.start)))
}
