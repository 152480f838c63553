package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultBaseDir holds the lock, the claims of every environment on this
// machine and the run directories of test environments. It is on a tmpfs, so
// a reboot (which ends every process named in it) also empties it.
const DefaultBaseDir = "/run/crictl-e2e"

const (
	bridgePrefix = "crie2e" // + a number; Linux allows 15 bytes
	maxBridges   = 100
	netPrefix    = "crictl-e2e-" // CNI network name = netPrefix + bridge
)

// A claim reserves a bridge name and a subnet for one environment. Its file
// is BASE/claims/BRIDGE.json; it is written under the base lock together with
// the environment's state file, so a concurrent Start never picks the same
// bridge or subnet and a Sweep never mistakes a starting run for a dead one.
type claim struct {
	Bridge     string `json:"bridge"`
	Subnet     string `json:"subnet"`
	Dir        string `json:"dir"`
	OwnerPID   int    `json:"owner_pid,omitempty"` // 0: detached (crienv up), lives until Down
	OwnerStart uint64 `json:"owner_start,omitempty"`
}

// live: an attached environment lives while the process that started it
// does; a detached one until Down removes its state file.
func (c *claim) live() bool {
	if c.OwnerPID != 0 {
		return ownerAlive(c.OwnerPID, c.OwnerStart)
	}
	st, err := loadState(c.Dir)
	return err == nil && st.Bridge == c.Bridge
}

func claimPath(base, bridge string) string {
	return filepath.Join(base, "claims", bridge+".json")
}

func readClaims(base string) ([]*claim, error) {
	ents, err := os.ReadDir(filepath.Join(base, "claims"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*claim
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(base, "claims", e.Name()))
		if err != nil {
			continue
		}
		c := &claim{}
		if json.Unmarshal(b, c) != nil || c.Bridge+".json" != e.Name() {
			// a torn or foreign file: keep its bridge name reserved but
			// otherwise ignore it
			c = &claim{Bridge: strings.TrimSuffix(e.Name(), ".json"), OwnerPID: -1}
		}
		out = append(out, c)
	}
	return out, nil
}

func writeClaim(base string, c *claim) error {
	if err := os.MkdirAll(filepath.Join(base, "claims"), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	return writeFileAtomic(claimPath(base, c.Bridge), b, 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockFile takes an exclusive flock on path (created if needed); the returned
// function releases it.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
}

// hostNet is what `ip -j` tells about the machine's IPv4 networks.
type hostNet struct {
	links  map[string][]netip.Prefix // link name -> its IPv4 addresses (addr/len)
	routes []netip.Prefix            // non-default IPv4 route destinations
}

func readHostNet() (*hostNet, error) {
	ipCmd, err := lookPath("ip")
	if err != nil {
		return nil, err
	}
	var links []struct {
		Ifname   string `json:"ifname"`
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := ipJSON(ipCmd, &links, "-j", "addr"); err != nil {
		return nil, err
	}
	hn := &hostNet{links: map[string][]netip.Prefix{}}
	for _, l := range links {
		hn.links[l.Ifname] = nil
		for _, a := range l.AddrInfo {
			if a.Family != "inet" {
				continue
			}
			if p, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", a.Local, a.Prefixlen)); err == nil {
				hn.links[l.Ifname] = append(hn.links[l.Ifname], p)
			}
		}
	}
	var routes []struct {
		Dst string `json:"dst"`
	}
	if err := ipJSON(ipCmd, &routes, "-j", "-4", "route", "show", "table", "all"); err != nil {
		return nil, err
	}
	for _, r := range routes {
		dst := r.Dst
		if dst == "" || dst == "default" {
			continue
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if p, err := netip.ParsePrefix(dst); err == nil && p.Addr().Is4() {
			hn.routes = append(hn.routes, p)
		}
	}
	return hn, nil
}

func ipJSON(ipCmd string, v any, args ...string) error {
	out, err := exec.Command(ipCmd, args...).Output()
	if err != nil {
		return fmt.Errorf("ip %s: %w", strings.Join(args, " "), err)
	}
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("ip %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// conflict names what on the machine overlaps subnet, or "" if nothing does.
func (hn *hostNet) conflict(subnet netip.Prefix) string {
	names := make([]string, 0, len(hn.links))
	for n := range hn.links {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, a := range hn.links[n] {
			if a.Masked().Overlaps(subnet) {
				return fmt.Sprintf("address %s on %s", a, n)
			}
		}
	}
	for _, r := range hn.routes {
		if r.Overlaps(subnet) {
			return "route " + r.String()
		}
	}
	return ""
}

// allocate picks a bridge name that no claim and no link uses and a subnet of
// the given prefix length that overlaps no address, route or claim. The
// caller holds the base lock and has swept stale claims.
func allocate(claims []*claim, prefixLen int) (bridge string, subnet netip.Prefix, err error) {
	if prefixLen < 16 || prefixLen > 28 {
		return "", netip.Prefix{}, fmt.Errorf("subnet prefix length %d: want 16..28", prefixLen)
	}
	hn, err := readHostNet()
	if err != nil {
		return "", netip.Prefix{}, err
	}
	usedBridge := map[string]bool{}
	var usedNets []netip.Prefix
	for _, c := range claims {
		usedBridge[c.Bridge] = true
		if p, err := netip.ParsePrefix(c.Subnet); err == nil {
			usedNets = append(usedNets, p)
		}
	}
	for i := 0; i < maxBridges && bridge == ""; i++ {
		name := fmt.Sprintf("%s%d", bridgePrefix, i)
		if _, exists := hn.links[name]; !exists && !usedBridge[name] {
			bridge = name
		}
	}
	if bridge == "" {
		return "", netip.Prefix{}, fmt.Errorf("no free bridge name %s0..%d", bridgePrefix, maxBridges-1)
	}
	// 10.234.0.0 - 10.254.255.255 first, then 10.200.0.0 - 10.233.255.255:
	// away from the ranges tools usually pick (10.0-10.99, 10.244 is
	// flannel's default, so it comes last in its block but stays usable).
	step := uint32(1) << (32 - prefixLen)
	try := func(from, to uint32) (netip.Prefix, bool) {
		for a := from; a+step-1 <= to && a >= from; a += step {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), prefixLen)
			if hn.conflict(p) != "" {
				continue
			}
			free := true
			for _, u := range usedNets {
				if u.Overlaps(p) {
					free = false
					break
				}
			}
			if free {
				return p, true
			}
		}
		return netip.Prefix{}, false
	}
	ip4 := func(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }
	if p, ok := try(ip4(10, 234, 0, 0), ip4(10, 254, 255, 255)); ok {
		return bridge, p, nil
	}
	if p, ok := try(ip4(10, 200, 0, 0), ip4(10, 233, 255, 255)); ok {
		return bridge, p, nil
	}
	return "", netip.Prefix{}, fmt.Errorf("no free /%d in 10.200.0.0-10.254.255.255", prefixLen)
}

// Sweep tears down what earlier environments under base left behind when the
// process that owned them died without closing them (SIGKILL, a test binary's
// timeout panic): their containerd, shims, containers, registries, mounts,
// bridge and run directory. An environment is recognised only by its claim
// and state files, and a process is signalled only if its command line names
// that environment's config file or socket. Environments whose owner is alive,
// and detached ones (crienv up) whose state file is present, are left alone.
// Start sweeps by itself; Sweep is for tools and tests.
func Sweep(base string, logf func(string, ...any)) error {
	if base == "" {
		base = DefaultBaseDir
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	unlock, err := lockFile(filepath.Join(base, "lock"))
	if err != nil {
		return err
	}
	defer unlock()
	return sweepLocked(base, logf)
}

func sweepLocked(base string, logf func(string, ...any)) error {
	claims, err := readClaims(base)
	if err != nil {
		return err
	}
	var errs []error
	claimedDirs := map[string]bool{}
	for _, c := range claims {
		if c.OwnerPID < 0 || c.live() {
			claimedDirs[c.Dir] = true
			continue
		}
		st, err := loadState(c.Dir)
		if err != nil || st.Bridge != c.Bridge {
			// no state file: the run died before writing it, or a detached
			// environment's directory was deleted by hand
			st = &state{Dir: c.Dir, Bridge: c.Bridge, Subnet: c.Subnet}
			if c.Dir != "" {
				st.fillPaths()
			}
		}
		logf("sweeping %s (bridge %s) left by pid %d", c.Dir, c.Bridge, c.OwnerPID)
		if err := teardown(st, logf); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", c.Dir, err))
			claimedDirs[c.Dir] = true
			continue
		}
		if c.Dir != "" && isUnder(c.Dir, filepath.Join(base, "runs")) {
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
				claimedDirs[c.Dir] = true
				continue
			}
		}
		if err := os.Remove(claimPath(base, c.Bridge)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// run directories without a claim: their claim was removed but the
	// directory could not be (e.g. a mount was busy then)
	ents, _ := os.ReadDir(filepath.Join(base, "runs"))
	for _, e := range ents {
		dir := filepath.Join(base, "runs", e.Name())
		if claimedDirs[dir] {
			continue
		}
		if st, err := loadState(dir); err == nil {
			if st.OwnerPID != 0 && ownerAlive(st.OwnerPID, st.OwnerStart) {
				continue
			}
			logf("sweeping unclaimed %s", dir)
			if err := teardown(st, logf); err != nil {
				errs = append(errs, err)
				continue
			}
		} else if err := unmountUnder(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isUnder reports whether path is strictly inside dir.
func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}
