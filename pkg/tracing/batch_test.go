package tracing

import (
	"errors"
	"testing"
	"time"

	"github.com/crictl/crictl/internal/otlpfake"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// calls records n finished client spans, as n CRI calls would.
func calls(tr *Tracer, n int) {
	for range n {
		s, _ := tr.startClient("/runtime.v1.RuntimeService/Version")
		tr.finish(s, nil)
	}
}

// More spans than a batch leave in several requests, the first ones
// before the run ends; none is lost.
func TestSpansLeaveInBatches(t *testing.T) {
	t.Parallel()
	rcv := otlpfake.Start(t)
	tr, err := New(Config{Endpoint: rcv.Addr, SamplingRatePerMillion: -1}, "ps")
	if err != nil {
		t.Fatal(err)
	}
	calls(tr, batchSize)
	// A full batch is sent in the background, before Shutdown.
	if got := rcv.WaitSpans(batchSize, 10*time.Second); len(got) != batchSize {
		t.Fatalf("%d spans arrived before the end of the run, want a batch of %d", len(got), batchSize)
	}
	calls(tr, batchSize+10)
	if err := tr.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if got := len(rcv.Spans()); got != 2*batchSize+11 {
		t.Errorf("%d spans received, want %d", got, 2*batchSize+11)
	}
	for i, req := range rcv.Requests() {
		if n := len(req.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()); n > batchSize {
			t.Errorf("request %d carries %d spans, more than a batch", i, n)
		}
	}
}

// While the collector does not take spans, at most maxQueue wait; the
// rest are dropped and counted, and Shutdown still ends in time.
func TestQueueIsBounded(t *testing.T) {
	t.Parallel()
	addr := otlpfake.Silent(t)
	tr, err := New(Config{Endpoint: addr, SamplingRatePerMillion: -1, FlushTimeout: 200 * time.Millisecond}, "ps")
	if err != nil {
		t.Fatal(err)
	}
	n := maxQueue + batchSize + 100
	calls(tr, n)
	tr.mu.Lock()
	waiting := len(tr.queue)
	tr.mu.Unlock()
	if waiting > maxQueue {
		t.Errorf("%d spans waiting, more than %d", waiting, maxQueue)
	}
	done := make(chan error, 1)
	go func() { done <- tr.Shutdown() }()
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Shutdown hung")
	}
	want := "could not send spans to " + addr + ": no answer within 200ms"
	if err == nil || err.Error() != want {
		t.Errorf("warning %v, want %q", err, want)
	}
	if tr.lost != n+1 || tr.sent != 0 {
		t.Errorf("lost %d, sent %d; want all %d lost", tr.lost, tr.sent, n+1)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tr, err := New(Config{Endpoint: "127.0.0.1:1", SamplingRatePerMillion: -1}, "x")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown() //nolint:errcheck // nothing was traced
	for _, tc := range []struct {
		in   error
		want string
	}{
		{errors.New("plain"), "plain"},
		{status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp: lookup nohost on 127.0.0.53:53: no such host"`),
			"dial tcp: lookup nohost on 127.0.0.53:53: no such host"},
		{status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`),
			"connection refused (is a collector listening there?)"},
		{status.Error(codes.DeadlineExceeded, "context deadline exceeded"), "no answer within 10s"},
		{status.Error(codes.Unimplemented, "unknown service"), "the endpoint does not offer the OTLP trace service (is it a collector's OTLP gRPC port?)"},
		{status.Error(codes.PermissionDenied, "no token"), "PermissionDenied: no token"},
	} {
		if got := tr.describe(tc.in).Error(); got != tc.want {
			t.Errorf("describe(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
