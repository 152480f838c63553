package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/config"
	"github.com/crictl/crictl/pkg/cri"
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
	// ReadPassword reads a password from the terminal without echo; nil
	// reads the terminal on stdin.
	ReadPassword func(ctx context.Context) ([]byte, error)

	exitHooks *exitHooks

	flags     config.Flags
	cfg       *config.Config
	cfgErr    error
	runtime   *cri.Conn
	image     *cri.Conn
	runtimeEP string

	tracer  *tracing.Tracer  // --enable-tracing
	profile *profile.Session // --profile-cpu, --profile-mem
}

// Config resolves the configuration once (flag > env > file > default).
func (f *Factory) Config() (*config.Config, error) {
	if f.cfg == nil && f.cfgErr == nil {
		r, err := config.Resolve(f.flags, f.Getenv)
		if err != nil {
			f.cfgErr = err
		} else {
			f.cfg = &r.Config
		}
	}
	return f.cfg, f.cfgErr
}

func (f *Factory) connOptions(cfg *config.Config) cri.Options {
	o := cri.Options{Timeout: cfg.Timeout, MaxRetries: cfg.MaxRetries}
	if cfg.Debug {
		o.Debug = f.IO.ErrOut
	}
	if f.tracer != nil {
		o.UnaryInterceptors = append(o.UnaryInterceptors, f.tracer.UnaryClientInterceptor())
		o.StreamInterceptors = append(o.StreamInterceptors, f.tracer.StreamClientInterceptor())
	}
	return o
}

// Runtime returns the runtime service client, dialing on first use.
func (f *Factory) Runtime() (runtimeapi.RuntimeServiceClient, error) {
	if f.runtime == nil {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		ep, err := f.runtimeEndpoint(cfg)
		if err != nil {
			return nil, err
		}
		if f.image != nil && sameEndpoint(f.image.Endpoint(), ep) {
			f.runtime = f.image
		} else if f.runtime, err = cri.Dial(ep, f.connOptions(cfg)); err != nil {
			return nil, err
		}
	}
	return f.runtime.Runtime(), nil
}

// Image returns the image service client, dialing on first use; it shares
// the runtime's connection when both endpoints are the same.
func (f *Factory) Image() (runtimeapi.ImageServiceClient, error) {
	if f.image == nil {
		cfg, err := f.Config()
		if err != nil {
			return nil, err
		}
		ep := cfg.ImageEndpoint
		if ep == "" {
			if ep, err = f.runtimeEndpoint(cfg); err != nil {
				return nil, err
			}
		}
		if f.runtime != nil && sameEndpoint(f.runtime.Endpoint(), ep) {
			f.image = f.runtime
		} else if f.image, err = cri.Dial(ep, f.connOptions(cfg)); err != nil {
			return nil, err
		}
	}
	return f.image.Image(), nil
}

// Close closes the connections.
func (f *Factory) Close() {
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
