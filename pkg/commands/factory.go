package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/cri"
	"github.com/crictl/crictl/pkg/hostroot"
	"github.com/crictl/crictl/pkg/profile"
	"github.com/crictl/crictl/pkg/tracing"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Factory carries what commands need from outside: streams, clock,
// environment, configuration and the lazily dialed CRI connections.
type Factory struct {
	IO     IOStreams
	Now    func() time.Time
	Getenv func(string) string
	// DefaultEndpoints are probed when no runtime endpoint is configured.
	DefaultEndpoints []string
	// Version is crictl's own version.
	Version string
	// InterfaceAddrs lists this machine's addresses (stream URLs must point
	// at one, or at loopback); nil is net.InterfaceAddrs.
	InterfaceAddrs func() ([]net.Addr, error)
	// Location is the time zone of the times crictl prints as the
	// reference does, in local time (inspect, pods -v); nil is the
	// machine's.
	Location *time.Location
	// ReadPassword reads a password from the terminal without echo; nil
	// reads the terminal on stdin.
	ReadPassword func(ctx context.Context) ([]byte, error)

	exitHooks *exitHooks
	// exitAfterRun: the process ends when Run returns (Main), so Close
	// leaves the connections to the exit: closing a gRPC connection
	// waits for its goroutines, 0.5% of `crictl inspect`'s CPU.
	exitAfterRun bool

	flags     config.Flags
	resolved  *config.Resolved
	cfgErr    error
	runtime   *cri.Conn
	image     *cri.Conn
	runtimeEP string

	tracer  *tracing.Tracer  // --enable-tracing
	profile *profile.Session // --profile-cpu, --profile-mem
}

// localTime is a CRI nanosecond timestamp in the factory's time zone.
func (f *Factory) localTime(ns int64) time.Time {
	return time.Unix(0, ns).In(f.location())
}

// location is the factory's time zone: Location, else the machine's.
func (f *Factory) location() *time.Location {
	if f.Location != nil {
		return f.Location
	}
	return time.Local
}

// Config resolves the configuration once (flag > env > file > default).
func (f *Factory) Config() (*config.Config, error) {
	if f.resolved == nil && f.cfgErr == nil {
		r, err := config.Resolve(f.flags, f.Getenv)
		if err != nil {
			f.cfgErr = err
		} else {
			f.hostEndpoints(&r)
			f.resolved = &r
			for _, w := range r.Warnings {
				f.warnf("%s", w)
			}
		}
	}
	if f.cfgErr != nil {
		return nil, f.cfgErr
	}
	return &f.resolved.Config, nil
}

// configForReport resolves the configuration for a command that reports
// on it (doctor) instead of failing on it: a config file that cannot be
// used is returned as fileErr and the flags and environment alone are
// used, as with --config /dev/null. The file's warnings are returned, not
// printed. path is the config file that was looked for.
func (f *Factory) configForReport() (r config.Resolved, path string, fileErr, err error) {
	path, _, _ = config.ConfigPath(f.flags, f.Getenv)
	r, fileErr = config.Resolve(f.flags, f.Getenv)
	if fileErr != nil {
		fl := f.flags
		none := os.DevNull
		fl.ConfigPath = &none
		if r, err = config.Resolve(fl, f.Getenv); err != nil {
			return r, path, fileErr, err
		}
	}
	f.hostEndpoints(&r)
	f.resolved, f.cfgErr = &r, nil
	return r, path, fileErr, nil
}

// hostEndpoints makes the endpoints of the host's own config file (read
// under --host-root) reachable from here: they name host paths.
func (f *Factory) hostEndpoints(r *config.Resolved) {
	if !r.HostFile {
		return
	}
	for _, k := range []struct {
		key string
		ep  *string
	}{{config.KeyRuntimeEndpoint, &r.RuntimeEndpoint}, {config.KeyImageEndpoint, &r.ImageEndpoint}} {
		if r.Sources[k.key] == config.FromFile {
			*k.ep = f.hostEndpoint(*k.ep)
		}
	}
}

// endpointProbed tells whether the runtime endpoint in use was found by
// probing the defaults rather than configured; call it after Runtime.
func (f *Factory) endpointProbed() (endpoint string, probed bool) {
	return f.runtimeEP, f.resolved != nil && f.resolved.RuntimeEndpoint == ""
}

// refuseIfReadOnly fails a command that can change the node when read-only
// mode is on, before any RPC, naming the setting that turned it on.
func (f *Factory) refuseIfReadOnly(cmd string) error {
	if _, err := f.Config(); err != nil {
		return err
	}
	if reason := f.resolved.ReadOnlyReason(); reason != "" {
		return fmt.Errorf("%s refused: read-only mode is on (%s); it can change the node or a container", cmd, reason)
	}
	return nil
}

// HostRoot is --host-root, or the machine's own root.
func (f *Factory) HostRoot() *hostroot.Root {
	if f.flags.HostRoot != nil {
		return f.flags.HostRoot
	}
	return hostroot.Host
}

// hostEndpoint is a host's endpoint as this process reaches it: its socket
// path resolved under --host-root. One that does not parse is kept for
// the dialer to report.
func (f *Factory) hostEndpoint(ep string) string {
	root := f.HostRoot()
	if root.IsHost() {
		return ep
	}
	p, err := cri.SocketPath(ep)
	if err != nil {
		return ep
	}
	if p, err = root.Resolve(p); err != nil {
		return ep
	}
	return "unix://" + p
}

// debugOut is where -D writes: stderr, or nowhere without -D.
func (f *Factory) debugOut(cfg *config.Config) io.Writer {
	if cfg.Debug {
		return f.IO.ErrOut
	}
	return nil
}

// Runtime returns the runtime service client, dialing on first use.
func (f *Factory) Runtime() (runtimeapi.RuntimeServiceClient, error) {
	if err := f.dial(&f.runtime, f.image, f.runtimeEndpoint); err != nil {
		return nil, err
	}
	return f.runtime.Runtime(), nil
}

// Image returns the image service client, dialing on first use; it shares
// the runtime's connection when both endpoints are the same.
func (f *Factory) Image() (runtimeapi.ImageServiceClient, error) {
	if err := f.dial(&f.image, f.runtime, func(cfg *config.Config) (string, error) {
		if cfg.ImageEndpoint != "" {
			return cfg.ImageEndpoint, nil
		}
		return f.runtimeEndpoint(cfg)
	}); err != nil {
		return nil, err
	}
	return f.image.Image(), nil
}

// dial sets *conn, once: other when it is open to the same endpoint, else a
// new connection to the endpoint the configuration names.
func (f *Factory) dial(conn **cri.Conn, other *cri.Conn, endpoint func(*config.Config) (string, error)) error {
	if *conn != nil {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	ep, err := endpoint(cfg)
	if err != nil {
		return err
	}
	if other != nil && sameEndpoint(other.Endpoint(), ep) {
		*conn = other
		return nil
	}
	*conn, err = cri.Dial(ep, f.connOptions(cfg))
	return err
}

func (f *Factory) connOptions(cfg *config.Config) cri.Options {
	o := cri.Options{Timeout: cfg.Timeout, MaxRetries: cfg.MaxRetries, Debug: f.debugOut(cfg)}
	if f.tracer != nil {
		o.UnaryInterceptors = append(o.UnaryInterceptors, f.tracer.UnaryClientInterceptor())
		o.StreamInterceptors = append(o.StreamInterceptors, f.tracer.StreamClientInterceptor())
	}
	return o
}

// Close closes the connections, unless the process ends after the run
// anyway (exitAfterRun).
func (f *Factory) Close() {
	if f.exitAfterRun {
		return
	}
	if f.runtime != nil {
		_ = f.runtime.Close()
	}
	if f.image != nil && f.image != f.runtime {
		_ = f.image.Close()
	}
}

func sameEndpoint(a, b string) bool {
	pa, erra := cri.SocketPath(a)
	pb, errb := cri.SocketPath(b)
	return erra == nil && errb == nil && pa == pb
}

// runtimeEndpoint is the configured endpoint or, when none is configured,
// the first default endpoint that accepts a connection.
func (f *Factory) runtimeEndpoint(cfg *config.Config) (string, error) {
	if f.runtimeEP != "" {
		return f.runtimeEP, nil
	}
	if cfg.RuntimeEndpoint != "" {
		f.runtimeEP = cfg.RuntimeEndpoint
		return f.runtimeEP, nil
	}
	var reasons []string
	for _, ep := range f.DefaultEndpoints {
		ep = f.hostEndpoint(ep)
		path, err := cri.SocketPath(ep)
		if err != nil {
			continue
		}
		if err := probeSocket(path, cfg.Timeout); err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", ep, err))
			continue
		}
		f.runtimeEP = ep
		return ep, nil
	}
	return "", fmt.Errorf("no runtime endpoint is configured and none of the default endpoints answers (%s); set --runtime-endpoint, CONTAINER_RUNTIME_ENDPOINT or runtime-endpoint in the config file", strings.Join(reasons, "; "))
}

func probeSocket(path string, timeout time.Duration) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("no such file")
		}
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return errors.New("not a socket")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "unix", path)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			return oe.Err
		}
		return err
	}
	return c.Close()
}
