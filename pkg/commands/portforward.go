package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/crictl/crictl/pkg/kube"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/resolve"
	"github.com/crictl/crictl/pkg/stream"
	"github.com/urfave/cli/v2"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

type portForwardOptions struct {
	stream  streamOptions
	address string
	filter  filterFlags

	ports []forwardedPort
	addrs []listenAddr
}

type forwardedPort struct {
	local, remote uint16
}

// listenAddr is one local address to listen on; "localhost" is both
// loopback addresses and needs only one of them to work, as kubectl.
type listenAddr struct {
	host      string
	network   string
	localhost bool
}

func newPortForwardCommand(f *Factory) *cli.Command {
	o := &portForwardOptions{stream: streamOptions{onlySPDY: true}}
	flags := []cli.Flag{
		&cli.StringFlag{Name: "address", Value: "localhost", Destination: &o.address,
			Usage: "local addresses to listen on, comma-separated IP addresses or localhost (127.0.0.1 and ::1)"},
	}
	flags = append(flags, o.filter.flags(map[filterFlag]string{fNamespace: "narrow a pod name to this namespace"})...)
	flags = append(flags, o.stream.flags()...)
	return &cli.Command{
		Flags: flags,
		Action: action(func(c *cli.Context) error { return runPortForward(c.Context, f, o, c.Args().First()) },
			o.validate, o.stream.validate, func(c *cli.Context) error { return o.filter.validate(commandPath(c)) }),
	}
}

var _ = register(command{name: "port-forward", group: groupPods, args: argPod, firstArgOnly: true, changes: true, build: newPortForwardCommand,
	usage: "Forward local ports to a pod", argsUsage: "POD (ID, ID prefix or name) [LOCAL:]REMOTE...", help: portForwardHelp})

// portForwardHelp is the description in "crictl port-forward --help".
const portForwardHelp = `Listens on each LOCAL port and forwards every connection to REMOTE in the pod's network
namespace until Ctrl-C (exit 0). REMOTE alone listens on the same port number locally; LOCAL 0
or empty (:REMOTE) picks a free port. The "Forwarding from" lines name the ports listened on.`

// validate parses the ports and listen addresses.
func (o *portForwardOptions) validate(c *cli.Context) error {
	cmd := commandPath(c)
	if c.NArg() < 2 {
		return usagef(cmd, "port-forward needs a pod and at least one [LOCAL:]REMOTE port")
	}
	var err error
	if o.ports, err = parsePorts(c.Args().Slice()[1:]); err != nil {
		return usagef(cmd, "%v", err)
	}
	if o.addrs, err = parseListenAddrs(o.address); err != nil {
		return usagef(cmd, "--address: %v", err)
	}
	return nil
}

func parsePorts(args []string) ([]forwardedPort, error) {
	var ports []forwardedPort
	for _, a := range args {
		local, remote, found := strings.Cut(a, ":")
		if !found {
			local, remote = a, a
		} else if local == "" {
			local = "0"
		}
		r, err := strconv.ParseUint(remote, 10, 16)
		if err != nil || r == 0 {
			return nil, fmt.Errorf("port %q: the remote port must be a number from 1 to 65535 ([LOCAL:]REMOTE)", a)
		}
		l, err := strconv.ParseUint(local, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("port %q: the local port must be a number from 0 to 65535 ([LOCAL:]REMOTE)", a)
		}
		ports = append(ports, forwardedPort{local: uint16(l), remote: uint16(r)})
	}
	return ports, nil
}

func parseListenAddrs(s string) ([]listenAddr, error) {
	var out []listenAddr
	seen := map[string]bool{}
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if seen[a] {
			continue
		}
		seen[a] = true
		if a == "localhost" {
			out = append(out, listenAddr{host: "127.0.0.1", network: "tcp4", localhost: true},
				listenAddr{host: "::1", network: "tcp6", localhost: true})
			continue
		}
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, fmt.Errorf("%q is not an IP address or localhost", a)
		}
		network := "tcp6"
		if ip.To4() != nil {
			network = "tcp4"
		}
		out = append(out, listenAddr{host: ip.String(), network: network})
	}
	return out, nil
}

// listener is one local socket and the port it forwards to.
type listener struct {
	net.Listener
	remote uint16
}

func runPortForward(ctx context.Context, f *Factory, o *portForwardOptions, arg string) error {
	rs, err := f.Runtime()
	if err != nil {
		return err
	}
	id, err := resolve.New(rs, o.filter.scope()).Pod(ctx, arg)
	if err != nil {
		return err
	}
	st, err := rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id})
	if err != nil {
		return err
	}
	if s := st.GetStatus().GetState(); s != runtimeapi.PodSandboxState_SANDBOX_READY {
		return fmt.Errorf("pod %s (%s) is %s: port-forward needs a ready pod", output.Escape(st.GetStatus().GetMetadata().GetName()),
			output.TruncateID(id, "", false), kube.PodState(s))
	}
	// Listen first: a port in use fails before anything is asked of the
	// runtime.
	listeners, err := listenAll(o)
	if err != nil {
		return err
	}
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	remotes := make([]int32, 0, len(o.ports))
	for _, p := range o.ports {
		remotes = append(remotes, int32(p.remote))
	}
	resp, err := rs.PortForward(ctx, &runtimeapi.PortForwardRequest{PodSandboxId: id, Port: remotes})
	if err != nil {
		return err
	}
	t, err := o.stream.target(f, resp.GetUrl())
	if err != nil {
		return err
	}
	pf, err := stream.DialPortForward(ctx, t)
	if err != nil {
		return err
	}
	defer pf.Close()
	for _, l := range listeners {
		fmt.Fprintf(f.IO.Out, "Forwarding from %s -> %d\n", l.Addr(), l.remote)
	}
	f.flushOut()

	var errMu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					if err := pf.Forward(c, l.remote); err != nil {
						errMu.Lock()
						f.errorf("forwarding %s -> %d: %w", l.Addr(), l.remote, err)
						errMu.Unlock()
					}
				}()
			}
		}()
	}
	select {
	case <-ctx.Done():
		// Ctrl-C is the normal end.
		return nil
	case <-pf.Done():
		return errors.New("lost the connection to the runtime's streaming server; port-forward ended")
	}
}

// listenAll opens every LOCAL port on every address. A port given as 0
// takes a free port on the first address and the same one on the others.
func listenAll(o *portForwardOptions) ([]listener, error) {
	var all []listener
	fail := func(err error) ([]listener, error) {
		for _, l := range all {
			_ = l.Close()
		}
		return nil, err
	}
	for _, p := range o.ports {
		local := p.local
		var loopbackErrs []error
		opened := 0
		for _, a := range o.addrs {
			addr := net.JoinHostPort(a.host, strconv.Itoa(int(local)))
			l, err := net.Listen(a.network, addr)
			if err != nil {
				if a.localhost {
					loopbackErrs = append(loopbackErrs, listenError(addr, err))
					continue
				}
				return fail(listenError(addr, err))
			}
			opened++
			if local == 0 {
				local = uint16(l.Addr().(*net.TCPAddr).Port)
			}
			all = append(all, listener{Listener: l, remote: p.remote})
		}
		// localhost needs one of its two addresses, but a port in use is
		// an error on either.
		for _, err := range loopbackErrs {
			if opened == 0 || errors.Is(err, syscall.EADDRINUSE) {
				return fail(err)
			}
		}
	}
	return all, nil
}

func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the port is in use: %w", addr, syscall.EADDRINUSE)
	}
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("cannot listen on %s: permission denied (ports below 1024 need root)", addr)
	}
	return fmt.Errorf("cannot listen on %s: %w", addr, err)
}
