package tracing

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

func TestIDsAreRandomAndValid(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		tid, sid := newTraceID(), newSpanID()
		if tid == (TraceID{}) || sid == (SpanID{}) {
			t.Fatal("an all-zero ID is invalid in W3C trace context")
		}
		if len(tid.String()) != 32 || len(sid.String()) != 16 || strings.ToLower(tid.String()) != tid.String() {
			t.Fatalf("IDs %s %s are not lowercase hex of 16 and 8 bytes", tid, sid)
		}
		if seen[tid.String()] || seen[sid.String()] {
			t.Fatalf("ID repeated after %d draws", len(seen))
		}
		seen[tid.String()], seen[sid.String()] = true, true
	}
}

// idWithLow63 is a trace ID whose sampling value (the last 8 bytes
// shifted right by one) is v.
func idWithLow63(v uint64) TraceID {
	var id TraceID
	id[0] = 0xff
	binary.BigEndian.PutUint64(id[8:], v<<1)
	return id
}

func TestSampling(t *testing.T) {
	t.Parallel()
	id := newTraceID()
	for _, rate := range []int{-1, -5, 1_000_000, 2_000_000} {
		if !sampled(rate, id) {
			t.Errorf("rate %d: not sampled, want every trace", rate)
		}
	}
	if sampled(0, idWithLow63(0)) {
		t.Error("rate 0 sampled a trace")
	}
	// rate r in a million keeps the trace IDs whose value is below
	// r/1e6 of 2^63, as the SDK's TraceIDRatioBased sampler does.
	bound := uint64(float64(250_000) / 1e6 * (1 << 63))
	if !sampled(250_000, idWithLow63(bound-1)) || sampled(250_000, idWithLow63(bound)) {
		t.Errorf("rate 250000: the boundary is not at a quarter of 2^63")
	}
	if !sampled(1, idWithLow63(0)) || sampled(1, idWithLow63(1<<62)) {
		t.Error("rate 1: wrong decision at the extremes")
	}
	// Over random IDs the share is about the rate.
	n, kept := 20000, 0
	for range n {
		if sampled(100_000, newTraceID()) {
			kept++
		}
	}
	if kept < n/10-600 || kept > n/10+600 {
		t.Errorf("rate 100000 kept %d of %d random traces, want about %d", kept, n, n/10)
	}
}

func TestSpanEventsAreBounded(t *testing.T) {
	t.Parallel()
	s := &span{}
	for range maxEvents + 5 {
		s.addEvent(event{name: "message"})
	}
	if len(s.events) != maxEvents || s.droppedEvents != 5 {
		t.Errorf("%d events kept, %d dropped; want %d and 5", len(s.events), s.droppedEvents, maxEvents)
	}
}

func TestUnixNanoIsStartPlusElapsed(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s := &span{start: start}
	if got := s.unixNano(start.Add(1500 * time.Microsecond)); got != uint64(start.UnixNano()+1_500_000) {
		t.Errorf("unixNano = %d, want start + 1.5ms", got)
	}
}

func TestTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want, err string }{
		{"127.0.0.1:4317", "passthrough:///127.0.0.1:4317", ""},
		{"collector.example:4317", "passthrough:///collector.example:4317", ""},
		{"[::1]:4317", "passthrough:///[::1]:4317", ""},
		{"http://otel:4317/", "passthrough:///otel:4317", ""},
		{"unix:///run/otel.sock", "unix:///run/otel.sock", ""},
		{"", "", "is empty"},
		{"collector", "", "is not HOST:PORT"},
		{"127.0.0.1:0", "", "is not HOST:PORT"},
		{"127.0.0.1:70000", "", "is not HOST:PORT"},
		{"127.0.0.1:otlp", "", "is not HOST:PORT"},
		{"http://otel:4317/v1/traces", "", "is not HOST:PORT"},
		{"https://otel:4317", "", "TLS is not supported"},
		{"unix://", "", "names no socket path"},
	} {
		got, err := target(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("target(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("target(%q) error %v, want one containing %q", tc.in, err, tc.err)
		}
	}
}
