package tracing

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// UnaryClientInterceptor traces each unary call as a client span, child of
// the root span, and sends the W3C traceparent with it.
func (t *Tracer) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return t.unary
}

// StreamClientInterceptor traces each stream as one client span that ends
// with the stream: at its last message, its error, or its context's end.
func (t *Tracer) StreamClientInterceptor() grpc.StreamClientInterceptor {
	return t.stream
}

func (t *Tracer) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	s, id := t.startClient(method)
	ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", t.traceparent(id))
	t.message(s, "SENT", req)
	err := invoker(ctx, method, req, reply, cc, opts...)
	if err == nil {
		t.message(s, "RECEIVED", reply)
	}
	t.finish(s, err)
	return err
}

func (t *Tracer) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, id := t.startClient(method)
	ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", t.traceparent(id))
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		t.finish(s, err)
		return nil, err
	}
	if s == nil {
		return cs, nil
	}
	t.mu.Lock()
	s.ctx = ctx
	t.mu.Unlock()
	ts := &tracedStream{ClientStream: cs, t: t, s: s, serverStreams: desc.ServerStreams}
	// A stream given up by cancelling its context ends its span then.
	ts.stopWatch = context.AfterFunc(ctx, func() {
		ts.end(status.FromContextError(ctx.Err()).Err())
	})
	return ts, nil
}

// startClient starts the client span of method; it returns nil (and only
// an ID to propagate) when the run is not sampled.
func (t *Tracer) startClient(method string) (*span, SpanID) {
	id := newSpanID()
	if !t.sampled {
		return nil, id
	}
	name := strings.TrimPrefix(method, "/")
	service, rpc, _ := strings.Cut(name, "/")
	s := &span{
		traceID: t.traceID,
		id:      id,
		name:    name,
		kind:    kindClient,
		start:   time.Now(),
		attrs:   []attr{strAttr("rpc.system", "grpc"), strAttr("rpc.service", service), strAttr("rpc.method", rpc)},
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shutdown {
		return nil, id
	}
	s.parent = t.root.id
	t.open[s] = struct{}{}
	return s, id
}

// message records a message event as otelgrpc does: message.type,
// message.id (counted per direction from 1) and message.uncompressed_size.
func (t *Tracer) message(s *span, typ string, m any) {
	if s == nil {
		return
	}
	attrs := []attr{strAttr("message.type", typ)}
	var size int64 = -1
	if pm, ok := m.(proto.Message); ok {
		size = int64(proto.Size(pm))
	}
	at := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.ended {
		return
	}
	var n int64
	if typ == "SENT" {
		s.sent++
		n = s.sent
	} else {
		s.received++
		n = s.received
	}
	attrs = append(attrs, intAttr("message.id", n))
	if size >= 0 {
		attrs = append(attrs, intAttr("message.uncompressed_size", size))
	}
	s.addEvent(event{at: at, name: "message", attrs: attrs})
}

// finish ends s with err's gRPC status: rpc.grpc.status_code, and an error
// status with the message unless the call succeeded.
func (t *Tracer) finish(s *span, err error) {
	if s == nil {
		return
	}
	at := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finishLocked(s, err, at)
}

func (t *Tracer) finishLocked(s *span, err error, at time.Time) {
	if s.ended {
		return
	}
	st := status.Convert(err)
	s.attrs = append(s.attrs, intAttr("rpc.grpc.status_code", int64(st.Code())))
	if st.Code() != codes.OK {
		s.status = statusError
		s.statusMsg = st.Message()
	}
	t.endLocked(s, at)
}

// traceparent is the W3C traceparent of a call whose span is id.
func (t *Tracer) traceparent(id SpanID) string {
	flags := "00"
	if t.sampled {
		flags = "01"
	}
	return "00-" + t.traceID.String() + "-" + id.String() + "-" + flags
}

// tracedStream records a stream's messages and ends its span with it.
type tracedStream struct {
	grpc.ClientStream
	t             *Tracer
	s             *span
	serverStreams bool
	stopWatch     func() bool
	once          sync.Once
}

func (ts *tracedStream) SendMsg(m any) error {
	err := ts.ClientStream.SendMsg(m)
	if err == nil {
		ts.t.message(ts.s, "SENT", m)
	}
	return err
}

func (ts *tracedStream) RecvMsg(m any) error {
	err := ts.ClientStream.RecvMsg(m)
	switch {
	case err == nil:
		ts.t.message(ts.s, "RECEIVED", m)
		if !ts.serverStreams {
			// A client-streaming call has one answer: it is over.
			ts.done(nil)
		}
	case errors.Is(err, io.EOF):
		ts.done(nil)
	default:
		ts.done(err)
	}
	return err
}

func (ts *tracedStream) Header() (metadata.MD, error) {
	md, err := ts.ClientStream.Header()
	if err != nil {
		ts.done(err)
	}
	return md, err
}

// done ends the stream's span from the caller's side.
func (ts *tracedStream) done(err error) {
	ts.stopWatch()
	ts.end(err)
}

// end ends the span once, from the caller or the context watch.
func (ts *tracedStream) end(err error) {
	ts.once.Do(func() { ts.t.finish(ts.s, err) })
}
