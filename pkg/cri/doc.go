// Package cri connects to a CRI runtime and image service over a unix
// socket.
//
// One gRPC connection serves both services when they share an endpoint; it
// is created lazily (nothing is dialed until the first RPC) and no RPC is made
// to "validate" it. Every unary call goes through one interceptor that
// applies the per-call timeout, retries a refused connection inside that
// timeout, writes redacted requests and replies to the debug writer, and turns
// gRPC and socket errors into one-line *Error values that name the endpoint
// and the RPC. Extra interceptors (Options.UnaryInterceptors and
// StreamInterceptors, used for tracing) run inside that one, once per
// attempt.
//
// Commands use the generated clients (runtimeapi.RuntimeServiceClient,
// runtimeapi.ImageServiceClient) directly, so the tests exercise the same
// wire path against an in-process fake server.
package cri
