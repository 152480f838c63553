package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ServiceName is the resource's service.name: the reference crictl's, so
// the traces land where collectors and dashboards already look for them.
const ServiceName = "cri-tools"

// scopeName is the instrumentation scope of every span.
const scopeName = "github.com/crictl/crictl/pkg/tracing"

// DefaultFlushTimeout bounds Shutdown when Config.FlushTimeout is not set.
const DefaultFlushTimeout = time.Second

// Batching: spans leave in the background when batchSize are waiting or
// every exportInterval, so a long run (a watch, an event stream) neither
// holds them all to the end nor grows without bound; beyond maxQueue
// waiting spans (the collector is down or slow) new ones are dropped.
const (
	batchSize      = 512
	maxQueue       = 2048
	exportInterval = 5 * time.Second
	exportTimeout  = 10 * time.Second
)

// Config is how a run is traced.
type Config struct {
	// Endpoint is the collector's HOST:PORT (or unix:PATH); OTLP over
	// gRPC without TLS.
	Endpoint string
	// SamplingRatePerMillion: negative or >= 1000000 samples every run,
	// 0 none (nothing is sent), otherwise that many runs in a million.
	SamplingRatePerMillion int
	// ServiceVersion is crictl's version, the resource's service.version.
	ServiceVersion string
	// FlushTimeout bounds Shutdown; 0 means DefaultFlushTimeout.
	FlushTimeout time.Duration
}

// Tracer traces one run: its root span and the CRI calls made through its
// interceptors. A Tracer is safe for concurrent use.
type Tracer struct {
	endpoint     string
	flushTimeout time.Duration
	traceID      TraceID
	sampled      bool
	res          resource
	exp          *exporter // nil when the run is not sampled

	mu       sync.Mutex
	root     *span
	open     map[*span]struct{} // client spans not ended yet (streams)
	queue    []*span
	sent     int // spans the collector accepted
	lost     int // spans that could not be sent or were rejected
	lastErr  error
	shutdown bool

	kick       chan struct{}
	stop       chan struct{}
	done       chan struct{}
	life       context.Context
	cancelLife context.CancelFunc
}

// New starts tracing a run: it validates the endpoint, decides whether the
// run is sampled, and starts the root span, named name until SetName. An
// unsampled run still gets trace and span IDs (they are propagated to the
// runtime, marked not sampled) but records and sends nothing.
func New(cfg Config, name string) (*Tracer, error) {
	tgt, err := target(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	t := &Tracer{
		endpoint:     cfg.Endpoint,
		flushTimeout: cfg.FlushTimeout,
		traceID:      newTraceID(),
		open:         map[*span]struct{}{},
	}
	if t.flushTimeout <= 0 {
		t.flushTimeout = DefaultFlushTimeout
	}
	t.sampled = sampled(cfg.SamplingRatePerMillion, t.traceID)
	t.root = &span{traceID: t.traceID, id: newSpanID(), name: name, kind: kindInternal, start: time.Now()}
	if !t.sampled {
		return t, nil
	}
	version := cfg.ServiceVersion
	if version == "" {
		version = "unknown"
	}
	t.res = resource{
		attrs:        []attr{strAttr("service.name", ServiceName), strAttr("service.version", version)},
		scopeName:    scopeName,
		scopeVersion: version,
	}
	if host, err := os.Hostname(); err == nil {
		t.res.attrs = append(t.res.attrs, strAttr("host.name", host))
	}
	t.res.attrs = append(t.res.attrs, intAttr("process.pid", int64(os.Getpid())))
	if t.exp, err = newExporter(tgt, "crictl/"+version); err != nil {
		return nil, fmt.Errorf("tracing endpoint %q: %w", cfg.Endpoint, err)
	}
	t.kick = make(chan struct{}, 1)
	t.stop = make(chan struct{})
	t.done = make(chan struct{})
	t.life, t.cancelLife = context.WithCancel(context.Background())
	go t.loop()
	return t, nil
}

// TraceID is the run's trace ID.
func (t *Tracer) TraceID() TraceID { return t.traceID }

// Sampled reports whether the run's spans are recorded and sent.
func (t *Tracer) Sampled() bool { return t.sampled }

// SetName names the root span, once the command is known.
func (t *Tracer) SetName(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.root.name = name
}

// End ends the root span with the run's exit code; a non-zero code with
// message as the error status. Later calls do nothing.
func (t *Tracer) End(exitCode int, message string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.root.ended {
		return
	}
	t.root.attrs = append(t.root.attrs, intAttr("process.exit.code", int64(exitCode)))
	if exitCode != 0 {
		t.root.status = statusError
		t.root.statusMsg = message
	}
	t.endLocked(t.root, time.Now())
}

// Shutdown ends the root span (if End was not called) and whatever CRI
// spans are still open (a stream never read to its end), sends every span
// not sent yet, and closes the connection to the collector. It returns
// within about Config.FlushTimeout whatever the collector does; the error,
// if any, is the one line to warn with: which spans were lost and why.
func (t *Tracer) Shutdown() error {
	t.mu.Lock()
	if t.shutdown {
		t.mu.Unlock()
		return nil
	}
	t.shutdown = true
	now := time.Now()
	for s := range t.open {
		if s.ctx != nil && s.ctx.Err() != nil {
			t.finishLocked(s, status.FromContextError(s.ctx.Err()).Err(), now)
		}
		t.endLocked(s, now)
	}
	if !t.root.ended {
		t.endLocked(t.root, now)
	}
	t.mu.Unlock()
	if !t.sampled {
		return nil
	}
	// The loop sends what is queued, then stops; the collector gets
	// flushTimeout for all of it.
	deadline := time.AfterFunc(t.flushTimeout, t.cancelLife)
	close(t.stop)
	select {
	case <-t.done:
	case <-time.After(t.flushTimeout + 500*time.Millisecond):
		// gRPC honours the cancelled context at once; this only guards
		// against a hang in something else.
	}
	deadline.Stop()
	t.cancelLife()
	t.exp.close()

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lost == 0 {
		return nil
	}
	reason := "spans were dropped while the collector was not taking them"
	if t.lastErr != nil {
		reason = t.lastErr.Error()
	}
	if t.sent == 0 {
		return fmt.Errorf("could not send spans to %s: %s", t.endpoint, reason)
	}
	return fmt.Errorf("could not send %d of %d spans to %s: %s", t.lost, t.lost+t.sent, t.endpoint, reason)
}

// endLocked ends s and queues it for sending.
func (t *Tracer) endLocked(s *span, at time.Time) {
	if s.ended {
		return
	}
	s.ended = true
	s.end = at
	delete(t.open, s)
	if !t.sampled {
		return
	}
	if len(t.queue) >= maxQueue {
		t.lost++
		return
	}
	t.queue = append(t.queue, s)
	if len(t.queue) >= batchSize {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

// loop sends queued spans in the background until Shutdown, then sends
// the rest.
func (t *Tracer) loop() {
	defer close(t.done)
	tick := time.NewTicker(exportInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.kick:
		case <-tick.C:
		case <-t.stop:
			t.sendQueued()
			return
		}
		t.sendQueued()
	}
}

// sendQueued sends the queue in batches until it is empty.
func (t *Tracer) sendQueued() {
	for {
		t.mu.Lock()
		n := min(len(t.queue), batchSize)
		batch := t.queue[:n:n]
		t.queue = t.queue[n:]
		var req []byte
		if n > 0 {
			// Encoded under the lock: a span may still be renamed (the
			// root) until it is sent.
			req = appendExportRequest(nil, &t.res, batch)
		}
		t.mu.Unlock()
		if n == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(t.life, exportTimeout)
		ps, err := t.exp.export(ctx, req)
		cancel()
		t.mu.Lock()
		switch rejected := int(min(max(ps.rejected, 0), int64(n))); {
		case err != nil:
			t.lost += n
			t.lastErr = t.describe(err)
		case rejected > 0:
			t.lost += rejected
			t.sent += n - rejected
			t.lastErr = ps.err()
		default:
			t.sent += n
		}
		t.mu.Unlock()
	}
}

// describe words an export error for the one warning line.
func (t *Tracer) describe(err error) error {
	st, isStatus := status.FromError(err)
	switch {
	case t.life.Err() != nil:
		return fmt.Errorf("no answer within %s", t.flushTimeout)
	case !isStatus:
		return err
	case st.Code() == codes.DeadlineExceeded:
		return fmt.Errorf("no answer within %s", exportTimeout)
	case st.Code() == codes.Unimplemented:
		return errors.New("the endpoint does not offer the OTLP trace service (is it a collector's OTLP gRPC port?)")
	case st.Code() == codes.Unavailable:
		msg := st.Message()
		if strings.Contains(msg, "connection refused") {
			return errors.New("connection refused (is a collector listening there?)")
		}
		// `connection error: desc = "transport: Error while dialing: dial
		// tcp: lookup x: no such host"`: the part after the last "desc".
		if i := strings.LastIndex(msg, `desc = "`); i >= 0 {
			msg = strings.TrimSuffix(msg[i+len(`desc = "`):], `"`)
		}
		msg = strings.TrimPrefix(msg, "transport: ")
		msg = strings.TrimPrefix(msg, "Error while dialing: ")
		return errors.New(msg)
	}
	return fmt.Errorf("%s: %s", st.Code(), st.Message())
}
