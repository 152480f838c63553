// Package harness runs end-to-end tests of crictl against a real, isolated
// containerd (CRI plugin, runc, CNI bridge) and two loopback registries, all
// started and torn down by Go code. It needs root on Debian/Ubuntu: missing
// packages (containerd, runc, containernetworking-plugins, docker-registry,
// busybox-static, iproute2, iptables) are installed with apt-get.
//
// # Runtimes
//
// Options.Runtime selects the runtime:
//
//	Containerd   Debian's containerd package (1.6.20 on Debian 12), version 2 config
//	Containerd2  containerd Containerd2Version (2.4.2), version 3 config
//
// Containerd2 is built with `go install` from the Go module proxy
// (CGO_ENABLED=0, -tags=no_btrfs,no_devmapper,no_zfs,no_tracing; about 4.5
// CPU-minutes with cold Go caches, seconds with a warm build cache) into BASE/cache/containerd-VERSION-GOVERSION-FLAGS, once: a later Start, in
// any process, finds it there, and a file lock makes concurrent Starts wait
// for one build. Start builds it while it installs packages, builds the
// images and starts the registries; BuildContainerd2 (crienv build) builds it
// ahead of time. Its own shim runs the pods (runtime_path, and first in
// PATH); runc, ctr and the CNI plugins are Debian's for both. NRI is off in
// containerd 2 (its socket would be shared), and the loopback registries are
// plain-HTTP hosts in DIR/certs.d/HOST/hosts.toml (registry config_path).
// Everything else (isolation, claims, sweep, teardown, images, registries,
// pods) is the same for both.
//
// Env.Kind and Env.RuntimeVersion (the CRI Version: "1.6.20~ds1", "v2.4.2")
// say which runtime a test runs on. What tells them apart, as seen here:
// containerd 2 implements GetContainerEvents, RuntimeConfig,
// ListMetricDescriptors, ListPodSandboxMetrics and CheckpointContainer;
// 1.6 answers websocket streaming with 403, leaves the sandbox image
// unpinned, and says "401 Unauthorized" where 2.4 says "authorization
// failed: no basic auth credentials". Both fail ListPodSandboxStats as a
// whole when one sandbox has no cgroup parent.
//
// # Starting an environment
//
//	func Requirements() error
//	func Start(ctx context.Context, opts Options) (*Env, error)
//	func (e *Env) Close() error
//	func Down(opts Options) error                 // tear down a detached environment
//	func Sweep(base string, logf func(string, ...any)) error
//	func BuildContainerd2(ctx, base string, logf) (dir string, err error)
//	func ParseRuntimes(s string) ([]RuntimeKind, error)
//
// Start claims a CNI bridge name (crie2eN) and a pod subnet (a /24 from
// 10.234.0.0 up by default; Options.SubnetPrefixLen 20 for scale runs) that no
// address, route or other environment on the machine uses, under a flock on
// BASE/lock (BASE is DefaultBaseDir, /run/crictl-e2e), so concurrently
// running test binaries never collide. It builds the images, starts the
// registries and containerd, imports the images and waits until the CRI
// Status reports RuntimeReady and NetworkReady.
//
// Options.NoCNI starts the runtime without CNI config: NetworkReady stays
// false (Start waits for RuntimeReady only), host-network pods run, others
// fail, and so does SamplePods. Options.CRIU installs Debian's criu package
// before the runtime starts (containerd checks for criu once).
//
// The Env gives:
//
//	Kind, RuntimeVersion   which runtime (see Runtimes); NoCNI
//	Endpoint, Socket       "unix://DIR/containerd.sock" for crictl -r
//	Runtime, Images        CRI clients (k8s.io/cri-api runtime/v1)
//	Dir, LogRoot           run directory; kubelet's /var/log (pod logs under LogRoot/pods)
//	Bridge, Subnet         the pod network
//	CgroupRoot             /crictl-e2e/BRIDGE: pods' cgroup parents are CgroupRoot/podUID
//	PauseImage, AppImage   localhost/crictl-e2e/{pause,busybox}:1.0, imported
//	Registry, AuthRegistry "127.0.0.1:PORT" (open; basic auth with RegistryUser/RegistryPassword)
//	RegistryImage          Registry/e2e/busybox:1.0, also :latest and @RegistryImageDigest,
//	                       on both registries, and not in containerd's store
//	Timings                how long Start's steps took (Build: finding or building the runtime)
//
// # Images
//
// All images are OCI image-layout tarballs written by this package with fixed
// mtimes (stable digests): the pause image holds a static Go program (source
// in pause/main.go, embedded, built once per Go version into BASE/cache); the
// app image holds /bin/busybox from busybox-static with /bin/sh and other
// applet links. The registry image is the app image plus a marker file, so
// it is a different image: removing it never removes AppImage.
//
// # Pods and containers (over the CRI, not through crictl)
//
//	func (e *Env) RunPod(ctx, PodSpec) (*Pod, error)
//	func (e *Env) StartContainer(ctx, *Pod, ContainerSpec) (*Container, error)
//	func (e *Env) WaitContainer(ctx, id string, want runtimeapi.ContainerState) (*runtimeapi.ContainerStatus, error)
//	func (e *Env) RemovePod(ctx, id string) error
//	func (e *Env) RemoveAllPods(ctx) error
//	func (e *Env) RemoveImageRef(ctx, ref string) error  // one name only, via ctr
//	func (e *Env) Ctr(ctx, args ...string) ([]byte, error)
//	func (e *Env) SamplePods(ctx) (*Samples, error)
//	func TickScript(prefix string) string; func ExitScript(code int) string; func PodUID(ns, name string) string
//
// Pods look like kubelet's (io.kubernetes.pod.* and io.kubernetes.container.*
// labels, restartCount/hash annotations, logs at
// LogRoot/pods/NS_NAME_UID/CTR/ATTEMPT.log, a cgroup parent per pod) unless
// PodSpec.NoKubeletLabels or PodSpec.NoCgroupParent; PodSpec.HostNetwork
// selects the node network, otherwise the CNI bridge.
// Containers run `/bin/sh -c SCRIPT` from busybox. SamplePods creates (or
// finds) the fixed set documented on it: kube-system, default,
// kube-system-extra and a pod without kubelet labels; tests must use it
// read-only and make their own pods, in their own namespaces, for anything
// that changes state.
//
// # Runtime faults and features
//
//	func (e *Env) FreezeRuntime() error  // SIGSTOP containerd: connections are accepted, nothing answers
//	func (e *Env) ThawRuntime() error    // SIGCONT
//	func (e *Env) TryCheckpoint(ctx) error
//
// A frozen runtime is always continued by Close, Down and the sweep before
// they tear it down. TryCheckpoint checkpoints a throwaway container through
// the CRI and returns nil or the runtime's error, with criu's own error lines
// added. On the machines this was written on, containerd 2.4.2 with Debian's
// criu 3.17.1 fails: "vdso: Unexpected rt vDSO area bounds".
//
// # Test binaries
//
//	var suite = harness.Suite{Setup: func(ctx context.Context, env *harness.Env) error { ... }}
//	func TestMain(m *testing.M) { os.Exit(suite.Main(m)) }
//	func TestX(t *testing.T) { env := suite.Env(t); ... }
//
// Suite.Main starts one environment per runtime, all at once (Containerd2
// builds while the tests run on Containerd), then runs Setup and every test
// once per runtime, one runtime after the other, as `go test -count=2` would;
// a failed test's log ends with "(on KIND VERSION)". Suite.Runtimes, else
// CRICTL_E2E_RUNTIME (a comma-separated list, or "all", the default), names
// the runtimes. Fixtures a test keeps across tests must be per Env.
// Main tears every environment down after its tests, on SIGINT/SIGTERM, and
// shortly before -test.timeout. Without root, Linux, or apt-get and the
// binaries, every test skips with one line saying why; with CI=true that is
// a failure instead, as is a runtime that does not start. CRICTL_E2E=0 skips
// on purpose.
//
// # Teardown and leftovers
//
// Close stops and removes every pod through the CRI, stops containerd, kills
// leftover containers (runc --root DIR/runc/NS delete -f) and the shims whose
// -address is this socket, stops the registries, unmounts everything under
// the run directory (rootfs, shm, and the pod network namespaces, which are
// mounted under DIR/state), removes the pods' cgroups (CgroupRoot), deletes
// the veths left on the bridge and the bridge itself, but only if all its
// addresses are inside the subnet, and removes the run directory and the
// claim.
//
// A run killed outright (SIGKILL, a test timeout panic) cannot do that, so
// every Start first sweeps: each environment has a claim BASE/claims/BRIDGE.json
// and a state file DIR/env.json recording the owning test process (pid and
// start time), the runtime kind, the containerd and registry pids, bridge,
// subnet and socket. When the owner is gone, the sweep tears that environment
// down the same way, signalling a process only if its command line names that
// run's config file or socket. Nothing is ever matched by process name alone.
//
// A detached environment (Options.Detached with a Dir: the demo's `crienv up
// DIR`) has no owner: it stays until Down, whichever runtime it runs, and a
// later Start with the same Dir and runtime reuses it (another runtime is
// refused until Down).
package harness
