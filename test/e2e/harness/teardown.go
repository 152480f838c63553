package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// pidsNaming lists the live processes (not this one) that have needle as an
// argument.
func pidsNaming(needle string, also ...int) []int {
	seen := map[int]bool{}
	var out []int
	for _, pid := range append(also, allPIDs()...) {
		if pid > 0 && pid != os.Getpid() && !seen[pid] && argsName(pid, needle) {
			seen[pid] = true
			out = append(out, pid)
		}
	}
	return out
}

// teardown stops everything of the environment described by st, in the order
// that leaves the least behind: pods through the CRI (containerd then
// removes their containers, network namespaces and CNI setup itself), then
// containerd, then whatever outlived it. A containerd frozen by
// FreezeRuntime is continued first.
func teardown(st *state, logf func(string, ...any)) error {
	var errs []error
	if st.Config != "" {
		ctd := pidsNaming(st.Config, st.ContainerdPID)
		for _, pid := range ctd {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
		if len(ctd) > 0 {
			if err := removeAllPodsAt(st.Socket, logf); err != nil {
				logf("removing pods through the CRI: %v (they are killed instead)", err)
			}
			logf("stopping containerd (pid %s)", joinInts(ctd))
			if err := terminate(ctd, 10*time.Second, func(p int) bool { return argsName(p, st.Config) }); err != nil {
				errs = append(errs, fmt.Errorf("containerd: %w", err))
			}
		}
	}
	if st.Dir != "" {
		errs = append(errs, killRuncContainers(filepath.Join(st.Dir, "runc"), logf))
	}
	if st.Socket != "" {
		if shims := shimsOf(st.Socket); len(shims) > 0 {
			logf("killing %d leftover shims", len(shims))
			isShim := func(p int) bool { return argsName(p, st.Socket) }
			if err := terminate(shims, time.Second, isShim); err != nil {
				errs = append(errs, fmt.Errorf("shims: %w", err))
			}
		}
	}
	errs = append(errs, stopRegistries(st))
	if st.Dir != "" {
		errs = append(errs, unmountUnder(st.Dir))
	}
	errs = append(errs, removeCgroups(st.Bridge))
	errs = append(errs, deleteBridge(st.Bridge, st.Subnet, logf))
	removeCNICache(st)
	if st.Socket != "" {
		_ = os.Remove(st.Socket)
		_ = os.Remove(st.Socket + ".ttrpc")
	}
	return errors.Join(errs...)
}

// removeCNICache removes CNI's cached results of this environment's pods
// (/var/lib/cni/results/NETWORK-SANDBOXID-IFNAME), which CNI DEL removes
// unless containerd died with pods: those of our network, and those of
// containerd's own loopback network for our sandboxes.
func removeCNICache(st *state) {
	const cache = "/var/lib/cni/results/"
	var old []string
	if st.Bridge != "" {
		old, _ = filepath.Glob(cache + netPrefix + st.Bridge + "-*")
	}
	if st.Dir != "" {
		sbs, _ := os.ReadDir(filepath.Join(st.Dir, "root", "io.containerd.grpc.v1.cri", "sandboxes"))
		for _, sb := range sbs {
			if len(sb.Name()) == 64 {
				m, _ := filepath.Glob(cache + "cni-loopback-" + sb.Name() + "-*")
				old = append(old, m...)
			}
		}
	}
	for _, f := range old {
		_ = os.Remove(f)
	}
}

// stopRegistries stops the registries recorded in st and any other process
// serving one of its registry configs.
func stopRegistries(st *state) error {
	var errs []error
	for i, cfg := range st.RegistryConfigs {
		var rec []int
		if i < len(st.RegistryPIDs) {
			rec = []int{st.RegistryPIDs[i]}
		}
		if pids := pidsNaming(cfg, rec...); len(pids) > 0 {
			if err := terminate(pids, 5*time.Second, func(p int) bool { return argsName(p, cfg) }); err != nil {
				errs = append(errs, fmt.Errorf("registry: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// removeAllPodsAt stops and removes every pod of the containerd at sock, four
// at a time, then any container left outside a pod.
func removeAllPodsAt(sock string, logf func(string, ...any)) error {
	conn, err := dialCRI(sock)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return removeAllPods(ctx, runtimeapi.NewRuntimeServiceClient(conn), logf)
}

func removeAllPods(ctx context.Context, rt runtimeapi.RuntimeServiceClient, logf func(string, ...any)) error {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	resp, err := rt.ListPodSandbox(lctx, &runtimeapi.ListPodSandboxRequest{})
	cancel()
	if err != nil {
		return err
	}
	pods := resp.GetItems()
	if len(pods) > 0 {
		logf("removing %d pods", len(pods))
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for _, p := range pods {
		wg.Add(1)
		sem <- struct{}{}
		go func(id string) {
			defer func() { <-sem; wg.Done() }()
			if err := stopRemovePod(ctx, rt, id); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(p.GetId())
	}
	wg.Wait()
	lctx, cancel = context.WithTimeout(ctx, 10*time.Second)
	cresp, err := rt.ListContainers(lctx, &runtimeapi.ListContainersRequest{})
	cancel()
	if err == nil {
		for _, c := range cresp.GetContainers() {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if _, err := rt.RemoveContainer(cctx, &runtimeapi.RemoveContainerRequest{ContainerId: c.GetId()}); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
	}
	return errors.Join(errs...)
}

func stopRemovePod(ctx context.Context, rt runtimeapi.RuntimeServiceClient, id string) error {
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := rt.StopPodSandbox(cctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("stop pod %.12s: %w", id, err)
	}
	if _, err := rt.RemovePodSandbox(cctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("remove pod %.12s: %w", id, err)
	}
	return nil
}

// killRuncContainers force-deletes the containers in runc state roots under
// root (one per containerd namespace): the processes of pods whose shim or
// containerd died cannot be stopped any other way.
func killRuncContainers(root string, logf func(string, ...any)) error {
	runc, err := lookPath("runc")
	if err != nil {
		return nil
	}
	nsDirs, _ := os.ReadDir(root)
	var errs []error
	for _, ns := range nsDirs {
		if !ns.IsDir() {
			continue
		}
		r := filepath.Join(root, ns.Name())
		out, err := exec.Command(runc, "--root", r, "list", "-q").Output()
		if err != nil {
			continue
		}
		for _, id := range strings.Fields(string(out)) {
			if b, err := exec.Command(runc, "--root", r, "delete", "-f", id).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("runc delete %.12s: %w: %s", id, err, lastLines(string(b), 1)))
				continue
			}
			logf("deleted leftover container %.12s", id)
		}
	}
	return errors.Join(errs...)
}

// mount is a line of /proc/self/mountinfo.
type mount struct {
	point  string // unescaped
	fsType string
}

// mounts lists this process's mounts.
func mounts() []mount {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []mount
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER
		pre, post, _ := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 {
			continue
		}
		m := mount{point: unescapeMount(fields[4])}
		if len(tail) > 0 {
			m.fsType = tail[0]
		}
		out = append(out, m)
	}
	return out
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	var out []string
	for _, m := range mounts() {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			out = append(out, m.point)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder unmounts everything at or below dir (lazily if busy).
func unmountUnder(dir string) error {
	for pass := 0; pass < 5; pass++ {
		mps := mountsUnder(dir)
		if len(mps) == 0 {
			return nil
		}
		for _, mp := range mps {
			if unix.Unmount(mp, 0) != nil {
				_ = unix.Unmount(mp, unix.MNT_DETACH)
			}
		}
	}
	if left := mountsUnder(dir); len(left) > 0 {
		return fmt.Errorf("still mounted: %s", strings.Join(left, " "))
	}
	return nil
}

// deleteBridge deletes the bridge and the veths still attached to it, but only
// if it is a bridge whose addresses all lie in subnet: a link of that name
// with any other address is not ours.
func deleteBridge(bridge, subnet string, logf func(string, ...any)) error {
	if bridge == "" {
		return nil
	}
	ipCmd, err := lookPath("ip")
	if err != nil {
		return err
	}
	type link struct {
		Ifname   string `json:"ifname"`
		Linkinfo struct {
			InfoKind string `json:"info_kind"`
		} `json:"linkinfo"`
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
			Scope     string `json:"scope"`
		} `json:"addr_info"`
	}
	var links []link
	if out, err := exec.Command(ipCmd, "-j", "-d", "addr", "show", "dev", bridge).Output(); err != nil {
		return nil // no such link
	} else if err := json.Unmarshal(out, &links); err != nil || len(links) != 1 {
		return fmt.Errorf("ip addr show dev %s: cannot parse", bridge)
	}
	l := links[0]
	if l.Linkinfo.InfoKind != "bridge" {
		logf("%s is a %q link, not a bridge: left alone", bridge, l.Linkinfo.InfoKind)
		return nil
	}
	sn, err := netip.ParsePrefix(subnet)
	if err != nil {
		logf("bridge %s: no subnet recorded: left alone", bridge)
		return nil
	}
	for _, a := range l.AddrInfo {
		ip, err := netip.ParseAddr(a.Local)
		if err != nil || (a.Family == "inet6" && ip.IsLinkLocalUnicast()) {
			continue
		}
		if !sn.Contains(ip) {
			logf("bridge %s has %s/%d, outside %s: not ours, left alone", bridge, a.Local, a.Prefixlen, subnet)
			return nil
		}
	}
	var ports []link
	if out, err := exec.Command(ipCmd, "-j", "-d", "link", "show", "master", bridge).Output(); err == nil {
		_ = json.Unmarshal(out, &ports)
	}
	for _, p := range ports {
		if p.Linkinfo.InfoKind == "veth" {
			_ = exec.Command(ipCmd, "link", "del", p.Ifname).Run()
		}
	}
	if b, err := exec.Command(ipCmd, "link", "del", bridge).CombinedOutput(); err != nil {
		return fmt.Errorf("ip link del %s: %w: %s", bridge, err, strings.TrimSpace(string(b)))
	}
	logf("deleted bridge %s", bridge)
	return nil
}
