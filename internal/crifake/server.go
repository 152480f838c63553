package crifake

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// FixedTime is the start of the default clock: the first object created
// through an RPC is stamped with it, each later one a second after the last.
var FixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// DefaultSandboxImage is the pause image reported by verbose Status and
// used by PauseContainer.
const DefaultSandboxImage = "registry.k8s.io/pause:3.9"

// maxSunPath is the usable length of sun_path on Linux (108 bytes minus the
// terminating NUL).
const maxSunPath = 107

// Server is a fake CRI runtime and image service.
//
// The exported fields configure replies. Set them before the RPCs that read
// them; handlers read them under the server's lock.
type Server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer

	// Now stamps objects created through RPCs (RunPodSandbox,
	// CreateContainer, StartContainer, StopContainer, PullImage). The
	// default starts at FixedTime and advances one second per call.
	Now func() time.Time
	// VersionInfo is the Version reply; nil means fakeruntime 0.1.0 / v1.
	VersionInfo *runtimeapi.VersionResponse
	// Conditions are the Status conditions; nil means RuntimeReady and
	// NetworkReady, both true.
	Conditions []*runtimeapi.RuntimeCondition
	// SandboxImage is the "sandboxImage" in verbose Status's config and the
	// image of sandboxes in their verbose info; "" means DefaultSandboxImage.
	SandboxImage string
	// StatusInfo adds keys to, or replaces keys of, the verbose Status info.
	StatusInfo map[string]string
	// RuntimeHandlers and Features are returned by Status as they are.
	RuntimeHandlers []*runtimeapi.RuntimeHandler
	Features        *runtimeapi.RuntimeFeatures
	// CgroupDriver is the RuntimeConfig answer (zero value: systemd).
	CgroupDriver runtimeapi.CgroupDriver
	// HonorImageFilter makes ListImages apply its filter. containerd 1.6
	// ignores it and returns every image, which is the default here.
	HonorImageFilter bool
	// NoCPURates leaves usage_nano_cores empty in derived stats, as
	// containerd 1.6 does (clients then need two samples for a rate).
	NoCPURates bool
	// FsInfo replaces the computed ImageFsInfo reply.
	FsInfo *runtimeapi.ImageFsInfoResponse

	mu       sync.Mutex
	pods     []*podEntry
	podByID  map[string]*podEntry
	ctrs     []*ctrEntry
	ctrByID  map[string]*ctrEntry
	imgs     []*imgEntry
	created  uint64 // objects created through RPCs, for IDs and IPs
	samples  uint64 // stats samples served, for advancing stats timestamps
	faults   map[string][]*Fault
	setupErr error
	calls    []string
	reqs     map[string][]proto.Message
	canceled []string
	execSync func(*runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error)
	streamer StreamServer
	urls     map[string]string
	pullErrs map[string]error
	events   eventHub

	grpc      *grpc.Server
	done      chan struct{}
	closeOnce sync.Once
	lifeMu    sync.Mutex // orders ListenUnix against Close
	closed    bool
	serveWG   sync.WaitGroup
}

// New returns an empty server that is not listening yet.
func New() *Server {
	s := &Server{
		podByID:  map[string]*podEntry{},
		ctrByID:  map[string]*ctrEntry{},
		faults:   map[string][]*Fault{},
		reqs:     map[string][]proto.Message{},
		urls:     map[string]string{},
		pullErrs: map[string]error{},
		done:     make(chan struct{}),
	}
	var tick int64
	s.Now = func() time.Time {
		t := FixedTime.Add(time.Duration(tick) * time.Second)
		tick++
		return t
	}
	s.grpc = grpc.NewServer(
		grpc.ForceServerCodecV2(badUTF8Codec{}),
		grpc.UnaryInterceptor(s.unaryInterceptor),
		grpc.StreamInterceptor(s.streamInterceptor),
	)
	runtimeapi.RegisterRuntimeServiceServer(s.grpc, s)
	runtimeapi.RegisterImageServiceServer(s.grpc, s)
	return s
}

// Start starts a server on a unix socket in a fresh short temporary
// directory and stops it when the test ends. It returns the endpoint
// ("unix:///…/cri.sock").
func Start(t testing.TB) (*Server, string) {
	t.Helper()
	s := New()
	endpoint, err := s.ListenUnix(ShortTempDir(t))
	if err != nil {
		t.Fatalf("crifake: %v", err)
	}
	t.Cleanup(s.Close)
	return s, endpoint
}

// ShortTempDir makes a directory short enough to hold a socket path within
// the sun_path limit, and removes it when the test ends. t.TempDir() is
// usually too long for that because it embeds the test name.
func ShortTempDir(t testing.TB) string {
	t.Helper()
	base := os.TempDir()
	if len(base)+len("/crifake0123456789/readnoanswer.sock") > maxSunPath {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "crifake")
	if err != nil {
		t.Fatalf("crifake: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// ListenUnix serves on <dir>/cri.sock and returns "unix://<path>". It may
// be called again with another directory to serve on several sockets.
func (s *Server) ListenUnix(dir string) (string, error) {
	p, err := socketPath(dir, "cri.sock")
	if err != nil {
		return "", err
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.closed {
		return "", errors.New("crifake: ListenUnix on a closed server")
	}
	lis, err := net.Listen("unix", p)
	if err != nil {
		return "", fmt.Errorf("crifake: listen: %w", err)
	}
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		_ = s.grpc.Serve(lis)
	}()
	return "unix://" + p, nil
}

// Close stops serving. Blocked and delayed calls return at once; calls
// still running after a short grace period are cut off.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.lifeMu.Lock()
		s.closed = true
		s.lifeMu.Unlock()
		close(s.done)
		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(250 * time.Millisecond):
			s.grpc.Stop()
			<-stopped
		}
		s.serveWG.Wait()
	})
}

func socketPath(dir, name string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("crifake: %w", err)
	}
	p := filepath.Join(abs, name)
	if len(p) > maxSunPath {
		return "", fmt.Errorf("crifake: socket path %q is %d bytes, over the %d-byte sun_path limit; use ShortTempDir", p, len(p), maxSunPath)
	}
	return p, nil
}

// Fault describes how the next calls of one RPC misbehave. Delay or Block
// happen first; then a non-OK Code fails the call, while an OK Code lets
// the call proceed normally (a slow but successful RPC).
type Fault struct {
	// Code and Message form the returned status. An empty Message gets a
	// generic one naming the method.
	Code    codes.Code
	Message string
	// Delay waits before answering; the caller's cancellation or deadline
	// ends the wait early with the matching status.
	Delay time.Duration
	// Block waits until the caller's context is done (or the server
	// closes), then answers Canceled or DeadlineExceeded.
	Block bool
	// PadBytes, with an OK Code, adds that many bytes of an unknown field to
	// the (unary) reply. Clients skip the field but count it against their message
	// size limit, so a padded reply tests "message larger than max" cheaply.
	PadBytes int
	// Times is how many calls the fault applies to; 0 means every call, for
	// good, so faults queued behind it never apply.
	Times int
}

// Inject queues a fault for method, the short RPC name such as
// "ListPodSandbox" or "ImageFsInfo". Faults for one method apply in the
// order they were injected. An unknown method name does not panic; it
// makes every later RPC fail with Internal naming the mistake, so the test
// fails loudly.
func (s *Server) Inject(method string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !knownMethods[method] {
		if s.setupErr == nil {
			s.setupErr = fmt.Errorf("crifake: Inject: unknown method %q (want a short RPC name such as \"ListPodSandbox\")", method)
		}
		return
	}
	if f.Times < 0 {
		f.Times = 0
	}
	s.faults[method] = append(s.faults[method], &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]*Fault{}
}

// Calls returns the short names of the RPCs received, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Requests returns copies of the requests received by method, in order.
// Streaming RPCs are recorded in Calls only.
func (s *Server) Requests(method string) []proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]proto.Message, 0, len(s.reqs[method]))
	for _, r := range s.reqs[method] {
		out = append(out, proto.Clone(r))
	}
	return out
}

// ResetCalls forgets the recorded calls, requests and cancellations.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.reqs = map[string][]proto.Message{}
	s.canceled = nil
}

// Canceled returns the methods whose callers went away (cancel or
// deadline) while a Delay or Block fault held the call, in order.
func (s *Server) Canceled() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.canceled...)
}

// SetExecSync makes ExecSync on an existing running container answer with
// f. By default ExecSync answers exit code 0 and no output.
func (s *Server) SetExecSync(f func(*runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execSync = f
}

// StreamServer hands out the URLs of a streaming server, as
// k8s.io/cri-streaming's streaming.Server does.
type StreamServer interface {
	GetExec(*runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error)
	GetAttach(*runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error)
	GetPortForward(*runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error)
}

// SetStreamServer makes Exec, Attach and PortForward answer with the URLs
// of ss (one-time URLs of a real streaming server) once crifake has
// checked the request; the request carries the full ID. It wins over
// SetStreamURL; nil removes it.
func (s *Server) SetStreamServer(ss StreamServer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streamer = ss
}

// SetStreamURL sets the URL that method ("Exec", "Attach" or
// "PortForward") returns.
func (s *Server) SetStreamURL(method, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.urls[method] = url
}

// SetPullError makes PullImage of ref fail with err (a status error keeps
// its code; any other error arrives as Unknown). ref matches the requested
// reference as sent or once both are normalized ("busybox" matches
// "docker.io/library/busybox:latest"). A nil err clears it.
func (s *Server) SetPullError(ref string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.pullErrs, ref)
		return
	}
	s.pullErrs[ref] = err
}

var knownMethods = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range []grpc.ServiceDesc{runtimeapi.RuntimeService_ServiceDesc, runtimeapi.ImageService_ServiceDesc} {
		for _, md := range d.Methods {
			m[md.MethodName] = true
		}
		for _, sd := range d.Streams {
			m[sd.StreamName] = true
		}
	}
	return m
}()

func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method := path.Base(info.FullMethod)
	var msg proto.Message
	if m, ok := req.(proto.Message); ok {
		msg = proto.Clone(m)
	}
	pad, err := s.before(ctx, method, msg)
	if err != nil {
		return nil, err
	}
	resp, err := handler(ctx, req)
	if m, ok := resp.(proto.Message); ok && err == nil && pad > 0 {
		// Every handler builds a fresh top-level reply, so it is ours to change.
		r := m.ProtoReflect()
		u := protowire.AppendTag(r.GetUnknown(), padField, protowire.BytesType)
		u = protowire.AppendVarint(u, uint64(pad))
		r.SetUnknown(append(u, make([]byte, pad)...))
	}
	return resp, err
}

// padField is the unknown field number that PadBytes fills.
const padField = 999999

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if _, err := s.before(ss.Context(), path.Base(info.FullMethod), nil); err != nil {
		return err
	}
	return handler(srv, ss)
}

// before records the call and applies the next fault for method. It
// returns the fault's PadBytes for a call that goes ahead.
func (s *Server) before(ctx context.Context, method string, req proto.Message) (int, error) {
	s.mu.Lock()
	s.calls = append(s.calls, method)
	if req != nil {
		s.reqs[method] = append(s.reqs[method], req)
	}
	if s.setupErr != nil {
		err := s.setupErr
		s.mu.Unlock()
		return 0, status.Error(codes.Internal, err.Error())
	}
	var f Fault
	if q := s.faults[method]; len(q) > 0 {
		f = *q[0]
		if q[0].Times > 0 {
			q[0].Times--
			if q[0].Times == 0 {
				s.faults[method] = q[1:]
			}
		}
	}
	s.mu.Unlock()

	if f.Block || f.Delay > 0 {
		var timer <-chan time.Time
		if !f.Block {
			t := time.NewTimer(f.Delay)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-timer:
		case <-ctx.Done():
			s.mu.Lock()
			s.canceled = append(s.canceled, method)
			s.mu.Unlock()
			return 0, status.FromContextError(ctx.Err()).Err()
		case <-s.done:
			return 0, status.Error(codes.Unavailable, "crifake: server closing")
		}
	}
	if f.Code != codes.OK {
		msg := f.Message
		if msg == "" {
			msg = fmt.Sprintf("crifake: injected %s fault in %s", f.Code, method)
		}
		return 0, status.Error(f.Code, msg)
	}
	return f.PadBytes, nil
}
