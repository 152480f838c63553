// Package tracing sends OpenTelemetry traces of one crictl run to an OTLP
// collector over gRPC, as the reference crictl's --enable-tracing does.
//
// A run is one trace: a root span named after the command ("pods",
// "create jsonschema") and, as its children, one client span per CRI call
// named by its full method ("runtime.v1.RuntimeService/ListPodSandbox"),
// with the otelgrpc attributes (rpc.system, rpc.service, rpc.method,
// rpc.grpc.status_code), message events and an error status on failure.
// Every CRI call carries a W3C traceparent, so a runtime that traces
// continues the trace.
//
// The package links no OpenTelemetry library: the OTLP
// ExportTraceServiceRequest is encoded here with protowire and sent with
// ClientConn.Invoke and a pass-through codec, so a crictl run without
// --enable-tracing pays nothing for the feature, not even package
// initialisation (see docs/design.md).
//
// Spans are sent in the background in batches and the rest when the run
// ends; Shutdown is bounded by Config.FlushTimeout whatever the collector
// does, and returns the one warning to print when spans were lost.
package tracing
