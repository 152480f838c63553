package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// containerdConfig renders the config of an isolated containerd of st's
// kind: everything it keeps lives under the run dir, its runc state too (runc
// option Root), pod network namespaces are mounted under its state dir, and it
// has its own sandbox image, CNI config and stream server port.
func containerdConfig(st *state, runc string, bins *runtimeBins) string {
	if st.Runtime.orDefault() == Containerd2 {
		return containerd2Config(st, runc, bins)
	}
	return containerd1Config(st, runc)
}

// configPrelude is the start of a config of the given version that both
// containerd versions read alike: the directories and sockets under the run
// dir, no metrics listener, and the snapshotters that are not used disabled.
func configPrelude(st *state, version int, disabledSnapshotters ...string) string {
	q := strconv.Quote
	disabled := make([]string, len(disabledSnapshotters))
	for i, sn := range disabledSnapshotters {
		disabled[i] = q("io.containerd.snapshotter.v1." + sn)
	}
	return `# written by the crictl e2e harness: an isolated containerd for tests
version = ` + strconv.Itoa(version) + `
root = ` + q(filepath.Join(st.Dir, "root")) + `
state = ` + q(filepath.Join(st.Dir, "state")) + `
oom_score = 0
disabled_plugins = [` + strings.Join(disabled, ", ") + `]

[grpc]
  address = ` + q(st.Socket) + `
[ttrpc]
  address = ` + q(st.Socket+".ttrpc") + `
[debug]
  level = "info"
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ` + q(filepath.Join(st.Dir, "opt")) + `

`
}

// containerd1Config is the version 2 config of containerd 1.x.
func containerd1Config(st *state, runc string) string {
	q := strconv.Quote
	var mirrors strings.Builder
	for _, host := range []string{st.Registry, st.AuthRegistry} {
		if host == "" {
			continue
		}
		fmt.Fprintf(&mirrors, "    [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.%s]\n      endpoint = [%s]\n",
			q(host), q("http://"+host))
	}
	return configPrelude(st, 2, "aufs", "btrfs", "zfs", "devmapper") + `
[plugins."io.containerd.grpc.v1.cri"]
  # root here lacks CAP_SYS_RESOURCE: without this runc fails to set the
  # negative oom_score_adj containerd asks for sandboxes
  restrict_oom_score_adj = true
  sandbox_image = ` + q(PauseImage) + `
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ` + q(cniBinDir) + `
    conf_dir = ` + q(filepath.Join(st.Dir, "cni")) + `
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = ` + q(runc) + `
        Root = ` + q(filepath.Join(st.Dir, "runc")) + `
  [plugins."io.containerd.grpc.v1.cri".registry]
    # the loopback registries speak plain HTTP
` + mirrors.String()
}

// containerd2Config is the version 3 config of containerd 2.x, where the
// CRI settings are split over the cri.v1.runtime, cri.v1.images and
// grpc.v1.cri plugins. NRI is off: its socket (/var/run/nri/nri.sock) would
// be shared by every containerd 2 on the machine.
func containerd2Config(st *state, runc string, bins *runtimeBins) string {
	q := strconv.Quote
	return configPrelude(st, 3, "btrfs", "zfs", "devmapper", "erofs") + `
[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ` + q(PauseImage) + `
  [plugins."io.containerd.cri.v1.images".registry]
    # hosts.toml per registry: the loopback registries speak plain HTTP
    config_path = ` + q(filepath.Join(st.Dir, "certs.d")) + `

[plugins."io.containerd.cri.v1.runtime"]
  # root here lacks CAP_SYS_RESOURCE: without this runc fails to set the
  # negative oom_score_adj containerd asks for sandboxes
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [` + q(cniBinDir) + `]
    conf_dir = ` + q(filepath.Join(st.Dir, "cni")) + `
    max_conf_num = 1
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      runtime_path = ` + q(bins.shim) + `
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ` + q(runc) + `
        Root = ` + q(filepath.Join(st.Dir, "runc")) + `

[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`
}

// hostsConfig is the hosts.toml of a loopback registry for containerd 2's
// registry config_path: plain HTTP, pull, resolve and push.
func hostsConfig(host string) string {
	q := strconv.Quote
	return `# written by the crictl e2e harness
server = ` + q("http://"+host) + `

[host.` + q("http://"+host) + `]
  capabilities = ["pull", "resolve", "push"]
`
}

// writeHostsConfigs writes DIR/certs.d/HOST/hosts.toml for both registries
// (containerd 2 reads them on every pull, so a restarted registry on a new
// port needs no containerd restart).
func writeHostsConfigs(st *state) error {
	root := filepath.Join(st.Dir, "certs.d")
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	for _, host := range []string{st.Registry, st.AuthRegistry} {
		if host == "" {
			continue
		}
		d := filepath.Join(root, host)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "hosts.toml"), []byte(hostsConfig(host)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// cniConfig is the pod network: a bridge with host-local IPAM whose leases
// live in the run dir, portmap, and loopback.
func cniConfig(st *state) string {
	q := strconv.Quote
	return `{
  "cniVersion": "0.4.0",
  "name": ` + q(netPrefix+st.Bridge) + `,
  "plugins": [
    {
      "type": "bridge",
      "bridge": ` + q(st.Bridge) + `,
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": ` + q(st.Subnet) + `}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": ` + q(filepath.Join(st.Dir, "ipam")) + `
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
`
}

// toolEnv is the environment of the processes the harness starts: the sbin
// directories are in PATH (containerd looks up runc and the shim there),
// after the directories first, if any.
func toolEnv(first ...string) []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	path := os.Getenv("PATH") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for i := len(first) - 1; i >= 0; i-- {
		if first[i] != "" {
			path = first[i] + ":" + path
		}
	}
	return append(env, "PATH="+path)
}

// startDaemon starts a long-lived process in its own session (so a Ctrl-C
// aimed at the test binary does not hit it before the teardown), with its
// output appended to logPath and env as its environment. The returned
// channel is closed when it exits.
func startDaemon(logPath string, env []string, bin string, args ...string) (int, <-chan struct{}, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = env
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return cmd.Process.Pid, done, nil
}

// startContainerd writes the configs and starts containerd. Without CNI
// (st.NoCNI) the CNI config dir stays empty, so the CRI reports
// NetworkReady false and only host-network pods can run.
func startContainerd(st *state, bins *runtimeBins) (<-chan struct{}, error) {
	runc, err := lookPath("runc")
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"root", "state", "runc", "cni", "ipam", "opt"} {
		if err := os.MkdirAll(filepath.Join(st.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(st.Config, []byte(containerdConfig(st, runc, bins)), 0o644); err != nil {
		return nil, err
	}
	if st.Runtime.orDefault() == Containerd2 {
		if err := writeHostsConfigs(st); err != nil {
			return nil, err
		}
	}
	cniDir := filepath.Join(st.Dir, "cni")
	old, _ := filepath.Glob(filepath.Join(cniDir, "*"))
	for _, f := range old {
		_ = os.Remove(f)
	}
	if !st.NoCNI {
		if err := os.WriteFile(filepath.Join(cniDir, "10-"+netPrefix+st.Bridge+".conflist"), []byte(cniConfig(st)), 0o644); err != nil {
			return nil, err
		}
	}
	_ = os.Remove(st.Socket)
	_ = os.Remove(st.Socket + ".ttrpc")
	pid, done, err := startDaemon(filepath.Join(st.Dir, "containerd.log"), toolEnv(bins.pathDir), bins.containerd, "--config", st.Config)
	if err != nil {
		return nil, fmt.Errorf("start containerd: %w", err)
	}
	st.ContainerdPID = pid
	return done, nil
}

// containerdAlive reports whether the recorded containerd still runs.
func (st *state) containerdAlive() bool {
	return argsName(st.ContainerdPID, st.Config)
}

// dialCRI connects to the CRI socket (lazily; a call fails until it serves).
func dialCRI(sock string) (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+sock,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
}

// waitReady polls the CRI Status until RuntimeReady and NetworkReady are
// true (without CNI: RuntimeReady true and NetworkReady false), giving up
// when the process behind it dies or ctx ends.
func waitReady(ctx context.Context, rt runtimeapi.RuntimeServiceClient, st *state, logPath string) error {
	var last string
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := rt.Status(cctx, &runtimeapi.StatusRequest{})
		cancel()
		if err == nil {
			ready := map[string]bool{}
			var notes []string
			for _, c := range resp.GetStatus().GetConditions() {
				ready[c.GetType()] = c.GetStatus()
				if !c.GetStatus() {
					notes = append(notes, fmt.Sprintf("%s=false (%s: %s)", c.GetType(), c.GetReason(), c.GetMessage()))
				}
			}
			netReady, reported := ready[runtimeapi.NetworkReady]
			if ready[runtimeapi.RuntimeReady] && reported && netReady != st.NoCNI {
				return nil
			}
			last = strings.Join(notes, ", ")
		} else {
			last = err.Error()
		}
		if !st.containerdAlive() {
			return fmt.Errorf("containerd exited: %s", tailFile(logPath, 3))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("containerd not ready: %s (log %s)", last, logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tailFile returns the last n lines of a file, joined by " | ".
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	return lastLines(string(b), n)
}

// ctr runs `ctr -a SOCK -n k8s.io ARGS...`.
func ctr(ctx context.Context, sock string, args ...string) ([]byte, error) {
	bin, err := lookPath("ctr")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-a", sock, "-n", "k8s.io"}, args...)...)
	cmd.Env = toolEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, lastLines(string(out), 3))
	}
	return out, nil
}
