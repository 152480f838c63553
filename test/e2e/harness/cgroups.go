package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// cgroupTop is the cgroup (in every hierarchy) under which each environment
// keeps its pods' cgroups, in a child named after its bridge. The top itself
// is never removed: another environment may be creating its child in it.
const cgroupTop = "/crictl-e2e"

// cgroupRoot is the cgroup (cgroupfs path) of an environment's pods.
func cgroupRoot(bridge string) string {
	if bridge == "" {
		return ""
	}
	return cgroupTop + "/" + bridge
}

// cgroupMounts lists the mount points of the cgroup (v1) and cgroup2
// hierarchies.
func cgroupMounts() []string {
	var out []string
	for _, m := range mounts() {
		if m.fsType == "cgroup" || m.fsType == "cgroup2" {
			out = append(out, m.point)
		}
	}
	return out
}

// removeCgroups removes the pod cgroups of the environment with this bridge
// from every hierarchy, deepest first. runc removes a container's own cgroup
// when the container is deleted, but the pod-level parents are kubelet's to
// remove, so they stay behind. A cgroup that still holds a process cannot be
// removed and is reported.
func removeCgroups(bridge string) error {
	root := cgroupRoot(bridge)
	if root == "" {
		return nil
	}
	var errs []error
	for _, mp := range cgroupMounts() {
		top := filepath.Join(mp, root)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		var failed []string
		for _, d := range dirs {
			if hasUnder(failed, d) {
				continue // a child is still there, so is this one
			}
			if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("cgroup %s: %w", d, err))
				failed = append(failed, d)
			}
		}
	}
	return errors.Join(errs...)
}

// hasUnder reports whether one of paths is inside dir.
func hasUnder(paths []string, dir string) bool {
	for _, p := range paths {
		if isUnder(p, dir) {
			return true
		}
	}
	return false
}
