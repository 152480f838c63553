package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Options configure Start. The zero value starts a test environment under
// DefaultBaseDir that Close removes entirely.
type Options struct {
	// BaseDir holds the lock, the claims and the test run directories
	// (default DefaultBaseDir). Environments that should not see each other's
	// bridges and subnets must share it.
	BaseDir string
	// Dir is the run directory. Empty: BASE/runs/BRIDGE, removed by Close.
	// The socket DIR/containerd.sock must fit in a unix socket path.
	Dir string
	// Detached environments outlive the process that started them (the
	// demo's crienv up): Close only disconnects, a later Start with the same
	// Dir reuses the runtime, and Down tears it down. Requires Dir.
	Detached bool
	// SubnetPrefixLen is the size of the pod subnet: 24 (the default) holds
	// 253 bridge-network pods, a scale run wants 20.
	SubnetPrefixLen int
	// Runtime selects the runtime: Containerd (Debian's 1.6, the default)
	// or Containerd2 (built from the Go module proxy, cached).
	Runtime RuntimeKind
	// NoCNI starts the runtime without a CNI network config: the CRI
	// Status then reports NetworkReady false, only host-network pods run,
	// and SamplePods fails.
	NoCNI bool
	// CRIU installs Debian's criu package when it is missing, so that the
	// runtime can checkpoint containers (see TryCheckpoint).
	CRIU bool
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Timings are how long the steps of Start took.
type Timings struct {
	Packages, Images, Registries, Containerd, Import, Push, Total time.Duration
	// Build is how long finding (or building) the runtime's binaries
	// took; it runs alongside the steps before Containerd, which waits for it.
	Build time.Duration
}

// Env is a running environment: an isolated containerd with the CRI plugin,
// the test images imported into it, and two loopback registries.
type Env struct {
	Kind RuntimeKind // the runtime: Containerd or Containerd2
	// RuntimeVersion is the version the CRI Version call reports
	// ("1.6.20~ds1" for Debian's containerd, "v2.4.2" for Containerd2).
	RuntimeVersion string
	NoCNI          bool // started without CNI config (NetworkReady false)

	Dir      string // run directory
	LogRoot  string // kubelet's /var/log: pod logs are LogRoot/pods/NS_NAME_UID/CTR/ATTEMPT.log
	Socket   string // containerd's CRI socket
	Endpoint string // "unix://" + Socket, for crictl -r
	Bridge   string // CNI bridge name
	Subnet   string // pod subnet (CIDR)
	// CgroupRoot holds the pods' cgroups: a pod's cgroup parent is
	// CgroupRoot/pod<UID> (cgroupfs driver) unless PodSpec.NoCgroupParent.
	CgroupRoot string

	PauseImage string // sandbox image, imported
	AppImage   string // busybox app image, imported

	Registry         string // open registry, "127.0.0.1:PORT"
	AuthRegistry     string // registry with basic auth, same storage
	RegistryUser     string
	RegistryPassword string
	// RegistryImage is Registry/RegistryRepo:RegistryTags[0]; it is not in
	// containerd's store, so pulling it (or any tag or registry of it) really
	// pulls. Its manifest digest is RegistryImageDigest.
	RegistryImage       string
	RegistryImageDigest string

	Runtime runtimeapi.RuntimeServiceClient
	Images  runtimeapi.ImageServiceClient
	Timings Timings

	base      string
	st        *state
	conn      *grpc.ClientConn
	connMu    sync.Mutex
	logf      func(string, ...any)
	closeOnce sync.Once
	closeErr  error
}

// state is DIR/env.json: everything a later process needs to reuse or tear
// down the environment, and the only way a Sweep recognises it.
type state struct {
	Dir                 string      `json:"dir"`
	Runtime             RuntimeKind `json:"runtime,omitempty"` // "" is Containerd (state of older harnesses)
	NoCNI               bool        `json:"no_cni,omitempty"`
	Socket              string      `json:"socket"`
	Config              string      `json:"config"`
	Bridge              string      `json:"bridge"`
	Subnet              string      `json:"subnet"`
	OwnerPID            int         `json:"owner_pid,omitempty"`
	OwnerStart          uint64      `json:"owner_start,omitempty"`
	ContainerdPID       int         `json:"containerd_pid,omitempty"`
	RegistryPIDs        []int       `json:"registry_pids,omitempty"`
	RegistryConfigs     []string    `json:"registry_configs"`
	Registry            string      `json:"registry,omitempty"`
	AuthRegistry        string      `json:"auth_registry,omitempty"`
	RegistryUser        string      `json:"registry_user,omitempty"`
	RegistryPassword    string      `json:"registry_password,omitempty"`
	RegistryImageDigest string      `json:"registry_image_digest,omitempty"`
}

func stateFile(dir string) string { return filepath.Join(dir, "env.json") }

func loadState(dir string) (*state, error) {
	if dir == "" {
		return nil, os.ErrNotExist
	}
	b, err := os.ReadFile(stateFile(dir))
	if err != nil {
		return nil, err
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%s: %w", stateFile(dir), err)
	}
	if st.Dir != dir {
		return nil, fmt.Errorf("%s names another directory (%s)", stateFile(dir), st.Dir)
	}
	st.fillPaths()
	return st, nil
}

// describe names the runtime of st, e.g. "containerd2 without CNI".
func (st *state) describe() string {
	s := st.Runtime.orDefault().String()
	if st.NoCNI {
		s += " without CNI"
	}
	return s
}

func (st *state) save() error {
	b, _ := json.MarshalIndent(st, "", "  ")
	return writeFileAtomic(stateFile(st.Dir), b, 0o600)
}

// fillPaths sets the paths that follow from Dir.
func (st *state) fillPaths() {
	st.Socket = filepath.Join(st.Dir, "containerd.sock")
	st.Config = filepath.Join(st.Dir, "config.toml")
	st.RegistryConfigs = []string{
		filepath.Join(st.Dir, "registry", "open.yml"),
		filepath.Join(st.Dir, "registry", "auth.yml"),
	}
}

// created are the entries Start makes in a run directory; Down removes these
// and nothing else from a directory it did not create.
var created = []string{"root", "state", "runc", "cni", "ipam", "opt", "img", "registry", "log", "certs.d", "checkpoint",
	"config.toml", "containerd.log", "containerd.sock", "containerd.sock.ttrpc", "env.json", "env.json.tmp", ".lock"}

func nop(string, ...any) {}

// Start brings up an environment: it installs missing Debian packages,
// sweeps what dead earlier runs left, claims a bridge name and subnet, builds
// and imports the images, starts the registries and the runtime, and waits
// until the CRI reports RuntimeReady and NetworkReady (NetworkReady false
// with Options.NoCNI). The runtime's binaries are found, or for Containerd2
// built and cached, alongside the other steps. On error nothing it started is
// left running (except a reused detached environment).
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	t0 := time.Now()
	logf := opts.Logf
	if logf == nil {
		logf = nop
	}
	base := opts.BaseDir
	if base == "" {
		base = DefaultBaseDir
	}
	prefix := opts.SubnetPrefixLen
	if prefix == 0 {
		prefix = 24
	}
	if opts.Detached && opts.Dir == "" {
		return nil, errors.New("a detached environment needs a directory")
	}
	kind := opts.Runtime.orDefault()
	if err := kind.valid(); err != nil {
		return nil, err
	}
	if err := Requirements(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}

	// the runtime's binaries (a build of several minutes on a cold cache)
	// come while the packages, images and registries are prepared
	type builtBins struct {
		bins *runtimeBins
		err  error
		took time.Duration
	}
	bctx, cancelBuild := context.WithCancel(ctx)
	binsCh := make(chan builtBins, 1)
	go func() {
		t := time.Now()
		b, err := runtimeBinaries(bctx, kind, filepath.Join(base, "cache"), logf)
		binsCh <- builtBins{b, err, time.Since(t)}
	}()
	binsWaited := false
	defer func() {
		cancelBuild()
		if !binsWaited {
			<-binsCh
		}
	}()

	var tm Timings
	t := time.Now()
	var extra []string
	if opts.CRIU {
		extra = append(extra, "criu")
	}
	if err := ensurePackages(base, logf, extra...); err != nil {
		return nil, err
	}
	tm.Packages = time.Since(t)

	dir := ""
	if opts.Dir != "" {
		if dir, err = prepareDir(opts.Dir); err != nil {
			return nil, err
		}
		unlock, err := lockFile(filepath.Join(dir, ".lock"))
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	st, reused, err := claimEnv(base, dir, opts, prefix, logf)
	if err != nil {
		return nil, err
	}
	e := &Env{base: base, st: st, logf: logf}
	defer func() {
		if err == nil {
			return
		}
		if reused {
			e.disconnect()
			err = fmt.Errorf("%w (tear it down with Down %s)", err, st.Dir)
			return
		}
		if cerr := e.destroy(); cerr != nil {
			err = fmt.Errorf("%w; cleanup: %w", err, cerr)
		}
	}()
	if reused {
		logf("reusing %s (%s, bridge %s, subnet %s)", st.Dir, kind, st.Bridge, st.Subnet)
	} else {
		logf("run dir %s, %s, bridge %s, subnet %s", st.Dir, kind, st.Bridge, st.Subnet)
	}

	t = time.Now()
	images, err := buildImages(ctx, filepath.Join(st.Dir, "img"), filepath.Join(base, "cache"))
	if err != nil {
		return nil, err
	}
	tm.Images = time.Since(t)

	t = time.Now()
	if !st.registriesAlive() {
		_ = stopRegistries(st)
		if err := startRegistries(ctx, st); err != nil {
			return nil, err
		}
		if err := st.save(); err != nil {
			return nil, err
		}
	}
	tm.Registries = time.Since(t)

	t = time.Now()
	built := <-binsCh
	binsWaited = true
	tm.Build = built.took
	if built.err != nil {
		return nil, built.err
	}
	if !st.containerdAlive() {
		if _, err := startContainerd(st, built.bins); err != nil {
			return nil, err
		}
		if err := st.save(); err != nil {
			return nil, err
		}
	} else if kind == Containerd2 {
		// the registries may have come back on other ports
		if err := writeHostsConfigs(st); err != nil {
			return nil, err
		}
	}
	if e.conn, err = dialCRI(st.Socket); err != nil {
		return nil, err
	}
	e.Runtime = runtimeapi.NewRuntimeServiceClient(e.conn)
	e.Images = runtimeapi.NewImageServiceClient(e.conn)
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = waitReady(rctx, e.Runtime, st, filepath.Join(st.Dir, "containerd.log"))
	cancel()
	if err != nil {
		return nil, err
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	ver, err := e.Runtime.Version(vctx, &runtimeapi.VersionRequest{})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("CRI Version: %w", err)
	}
	e.RuntimeVersion = ver.GetRuntimeVersion()
	tm.Containerd = time.Since(t)

	t = time.Now()
	for _, ref := range []string{PauseImage, AppImage} {
		if _, err := ctr(ctx, st.Socket, "images", "import", filepath.Join(st.Dir, "img", tarName(ref))); err != nil {
			return nil, err
		}
	}
	tm.Import = time.Since(t)

	t = time.Now()
	if err := pushImage(ctx, st.Registry, RegistryRepo, images.registry, RegistryTags); err != nil {
		return nil, err
	}
	st.RegistryImageDigest = images.registry.manifestDigest
	if err := st.save(); err != nil {
		return nil, err
	}
	tm.Push = time.Since(t)
	tm.Total = time.Since(t0)

	e.Timings = tm
	e.fill(opts.Detached)
	logf("ready in %v: containerd %s on %s, registries %s and %s (auth)", tm.Total.Round(time.Millisecond), e.RuntimeVersion, st.Socket, st.Registry, st.AuthRegistry)
	return e, nil
}

func (e *Env) fill(detached bool) {
	st := e.st
	e.Kind = st.Runtime.orDefault()
	e.NoCNI = st.NoCNI
	e.CgroupRoot = cgroupRoot(st.Bridge)
	e.Dir = st.Dir
	e.LogRoot = filepath.Join(st.Dir, "log")
	e.Socket = st.Socket
	e.Endpoint = "unix://" + st.Socket
	e.Bridge, e.Subnet = st.Bridge, st.Subnet
	e.PauseImage, e.AppImage = PauseImage, AppImage
	e.Registry, e.AuthRegistry = st.Registry, st.AuthRegistry
	e.RegistryUser, e.RegistryPassword = st.RegistryUser, st.RegistryPassword
	e.RegistryImage = st.Registry + "/" + RegistryRepo + ":" + RegistryTags[0]
	e.RegistryImageDigest = st.RegistryImageDigest
	if detached {
		e.closeOnce.Do(func() {}) // Close then only disconnects
	}
}

// prepareDir makes dir absolute, creates it, resolves symlinks (mount points
// in /proc are resolved paths) and checks the socket path length.
func prepareDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return "", err
	}
	if n := len(filepath.Join(abs, "containerd.sock.ttrpc")); n > 100 {
		return "", fmt.Errorf("%s: path too long for a unix socket in it (%d bytes)", abs, n)
	}
	if _, err := os.Stat(stateFile(abs)); err != nil {
		ents, _ := os.ReadDir(abs)
		for _, en := range ents {
			if en.Name() != ".lock" {
				return "", fmt.Errorf("%s is not empty and holds no environment: refusing to use it", abs)
			}
		}
	}
	return abs, nil
}

// claimEnv sweeps, then reuses the detached environment in dir or claims a
// new bridge and subnet, all under the base lock.
func claimEnv(base, dir string, opts Options, prefix int, logf func(string, ...any)) (*state, bool, error) {
	detached := opts.Detached
	unlock, err := lockFile(filepath.Join(base, "lock"))
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if err := sweepLocked(base, logf); err != nil {
		logf("sweep: %v", err)
	}
	claims, err := readClaims(base)
	if err != nil {
		return nil, false, err
	}
	if dir != "" {
		if old, err := loadState(dir); err == nil {
			for _, c := range claims {
				if c.Bridge != old.Bridge || c.Dir != dir {
					continue
				}
				if c.OwnerPID != 0 {
					return nil, false, fmt.Errorf("%s is in use by process %d", dir, c.OwnerPID)
				}
				if !detached {
					return nil, false, fmt.Errorf("%s holds a detached environment: reuse it detached or tear it down", dir)
				}
				if old.Runtime.orDefault() != opts.Runtime.orDefault() || old.NoCNI != opts.NoCNI {
					return nil, false, fmt.Errorf("%s runs %s: tear it down first (crienv down %s)", dir, old.describe(), dir)
				}
				return old, true, nil
			}
			if old.OwnerPID != 0 && ownerAlive(old.OwnerPID, old.OwnerStart) {
				return nil, false, fmt.Errorf("%s is in use by process %d", dir, old.OwnerPID)
			}
			// a state without a claim (the base dir was emptied): stop
			// whatever still runs from it before starting afresh
			if err := teardown(old, logf); err != nil {
				return nil, false, fmt.Errorf("%s: stopping what an earlier run left: %w", dir, err)
			}
		}
	}
	bridge, subnet, err := allocate(claims, prefix)
	if err != nil {
		return nil, false, err
	}
	if dir == "" {
		dir = filepath.Join(base, "runs", bridge)
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, false, err
		}
	}
	st := &state{Dir: dir, Bridge: bridge, Subnet: subnet.String(), Runtime: opts.Runtime.orDefault(), NoCNI: opts.NoCNI}
	st.fillPaths()
	c := &claim{Bridge: bridge, Subnet: st.Subnet, Dir: dir}
	if !detached {
		st.OwnerPID, st.OwnerStart = os.Getpid(), startTime(os.Getpid())
		c.OwnerPID, c.OwnerStart = st.OwnerPID, st.OwnerStart
	}
	if err := writeClaim(base, c); err != nil {
		return nil, false, err
	}
	if err := st.save(); err != nil {
		_ = os.Remove(claimPath(base, bridge))
		return nil, false, err
	}
	return st, false, nil
}

func (e *Env) disconnect() {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	if e.conn != nil {
		_ = e.conn.Close()
		e.conn = nil
	}
}

// Close tears the environment down: it stops and removes every pod through
// the CRI, stops containerd, kills leftover shims and containers of this
// environment, stops the registries, unmounts what is mounted under the run
// directory, deletes the bridge and removes the run directory. For a
// detached environment it only disconnects (see Down). Safe to call twice.
func (e *Env) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.destroy() })
	e.disconnect()
	return e.closeErr
}

func (e *Env) destroy() error {
	e.disconnect()
	err := teardown(e.st, e.logf)
	if err != nil {
		// keep the claim, so the bridge and subnet stay reserved until a
		// later sweep manages the rest
		return err
	}
	return releaseDir(e.base, e.st)
}

// releaseDir removes the run directory (all of it under the base dir, only
// the harness's own entries elsewhere) and then the claim.
func releaseDir(base string, st *state) error {
	var errs []error
	if isUnder(st.Dir, filepath.Join(base, "runs")) {
		errs = append(errs, os.RemoveAll(st.Dir))
	} else {
		for _, name := range created {
			errs = append(errs, os.RemoveAll(filepath.Join(st.Dir, name)))
		}
		_ = os.Remove(st.Dir) // only if empty
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(base, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	if c, err := os.ReadFile(claimPath(base, st.Bridge)); err == nil {
		var cl claim
		if json.Unmarshal(c, &cl) == nil && cl.Dir == st.Dir {
			return os.Remove(claimPath(base, st.Bridge))
		}
	}
	return nil
}

// Down tears down the detached environment in dir (what Start with
// Options{Dir: dir, Detached: true} created) and removes the harness's
// entries from dir. It is safe when nothing runs there or dir does not exist.
func Down(opts Options) error {
	logf := opts.Logf
	if logf == nil {
		logf = nop
	}
	base := opts.BaseDir
	if base == "" {
		base = DefaultBaseDir
	}
	if opts.Dir == "" {
		return errors.New("Down needs a directory")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		logf("%s does not exist: nothing to tear down", dir)
		return nil
	}
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return err
	}
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return err
	}
	st, err := loadState(dir)
	if errors.Is(err, os.ErrNotExist) {
		unlock()
		_ = os.Remove(filepath.Join(dir, ".lock"))
		_ = os.Remove(dir)
		logf("%s holds no environment: nothing to tear down", dir)
		return nil
	}
	if err != nil {
		unlock()
		return err
	}
	if st.OwnerPID != 0 && ownerAlive(st.OwnerPID, st.OwnerStart) {
		unlock()
		return fmt.Errorf("%s belongs to running process %d", dir, st.OwnerPID)
	}
	logf("tearing down %s (bridge %s)", dir, st.Bridge)
	err = teardown(st, logf)
	unlock()
	if err != nil {
		return err
	}
	return releaseDir(base, st)
}
