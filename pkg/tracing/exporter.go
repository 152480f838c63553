package tracing

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
)

// DefaultEndpoint is the collector address of the reference crictl.
const DefaultEndpoint = "127.0.0.1:4317"

// target turns the --tracing-endpoint value into a gRPC target: HOST:PORT
// (an http:// prefix is accepted), or unix:PATH for a collector on a unix
// socket. TLS is not offered, as in the reference.
func target(endpoint string) (string, error) {
	ep := endpoint
	switch {
	case ep == "":
		return "", fmt.Errorf("tracing endpoint is empty; give the collector's HOST:PORT, e.g. %s", DefaultEndpoint)
	case strings.HasPrefix(ep, "unix:"):
		if strings.TrimLeft(strings.TrimPrefix(ep, "unix:"), "/") == "" {
			return "", fmt.Errorf("tracing endpoint %q names no socket path; give unix:///path/to/socket", endpoint)
		}
		return ep, nil
	case strings.HasPrefix(ep, "https://"):
		return "", fmt.Errorf("tracing endpoint %q: TLS is not supported; the collector must accept plain gRPC (OTLP without TLS) at HOST:PORT", endpoint)
	case strings.HasPrefix(ep, "http://"):
		ep = strings.TrimSuffix(strings.TrimPrefix(ep, "http://"), "/")
	}
	host, port, err := net.SplitHostPort(ep)
	if err == nil && strings.ContainsAny(host, "/ ") {
		err = fmt.Errorf("bad host %q", host)
	}
	if err == nil {
		if p, perr := strconv.Atoi(port); perr != nil || p < 1 || p > 65535 {
			err = fmt.Errorf("bad port %q", port)
		}
	}
	if err != nil {
		return "", fmt.Errorf("tracing endpoint %q is not HOST:PORT (e.g. %s)", endpoint, DefaultEndpoint)
	}
	return "passthrough:///" + ep, nil
}

// exporter sends encoded ExportTraceServiceRequests on one connection.
type exporter struct {
	cc *grpc.ClientConn
}

func newExporter(target, userAgent string) (*exporter, error) {
	cc, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(userAgent),
		grpc.WithDisableServiceConfig(),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})),
	)
	if err != nil {
		return nil, err
	}
	// Connect while the command works, so the spans leave at once at the
	// end.
	cc.Connect()
	return &exporter{cc: cc}, nil
}

// export sends one request and returns what the collector says it
// rejected. It does not wait for a collector that is not reachable: the
// call fails at once unless a connection is being made.
func (e *exporter) export(ctx context.Context, req []byte) (partialSuccess, error) {
	var reply rawMessage
	if err := e.cc.Invoke(ctx, exportMethod, rawMessage(req), &reply); err != nil {
		return partialSuccess{}, err
	}
	return parseExportResponse(reply)
}

func (e *exporter) close() { _ = e.cc.Close() }

// rawMessage is a message already in (or still in) its wire form.
type rawMessage []byte

// rawCodec passes rawMessages through; named "proto" so the request is
// "application/grpc+proto".
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(rawMessage)
	if !ok {
		return nil, fmt.Errorf("tracing: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(m)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("tracing: cannot unmarshal into %T", v)
	}
	*m = data.Materialize()
	return nil
}
