package logs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// PodLogRoot is where kubelet keeps container logs
// (PodLogRoot/<namespace>_<pod>_<uid>/<container>/<attempt>.log).
const PodLogRoot = "/var/log/pods"

// OutsideError is a log path that resolves outside every allowed directory.
type OutsideError struct {
	// Path is the log path the runtime reported, Resolved what it resolves
	// to after following symbolic links.
	Path, Resolved string
	// Allowed are the directories it may lie under.
	Allowed []string
}

func (e *OutsideError) Error() string {
	what := fmt.Sprintf("log path %s", e.Path)
	if e.Resolved != e.Path {
		what += " resolves to " + e.Resolved + ", which is"
	} else {
		what += " is"
	}
	return fmt.Sprintf("%s outside %s; not reading it (--allow-any-log-path reads it anyway)", what, strings.Join(e.Allowed, " and "))
}

// Confine resolves the symbolic links of a log path the runtime reported
// and checks that the result lies under one of the allowed directories
// (each also resolved; empty ones are skipped). It returns the resolved
// path, to be opened instead of the reported one, so a link planted between
// the check and the open cannot move the read elsewhere. A log file that
// does not exist yet is checked by its directory. A relative path is
// refused: it would be read relative to wherever crictl runs.
func Confine(path string, allowed ...string) (string, error) {
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("log path %q is not absolute", path)
	}
	resolved, err := resolve(filepath.Clean(path))
	if err != nil {
		return "", err
	}
	var roots []string
	for _, a := range allowed {
		if a == "" || !filepath.IsAbs(a) {
			continue
		}
		roots = append(roots, filepath.Clean(a))
		r, err := resolve(filepath.Clean(a))
		if err != nil {
			continue // a root that does not exist holds nothing
		}
		if within(resolved, r) {
			return resolved, nil
		}
	}
	return "", &OutsideError{Path: path, Resolved: resolved, Allowed: roots}
}

// resolve follows every symbolic link of path; when the last element does
// not exist, its directory is resolved and the name kept.
func resolve(path string) (string, error) {
	r, err := filepath.EvalSymlinks(path)
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("resolving log path %q: %w", path, bareErr(err))
	}
	if _, lerr := os.Lstat(path); lerr == nil {
		// A dangling link: where it points does not exist.
		return "", fmt.Errorf("log path %q is a symbolic link to nothing", path)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(path))
	if err != nil {
		return "", fmt.Errorf("resolving log path %q: %w", path, bareErr(err))
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// within reports whether path is root or lies under it.
func within(path, root string) bool {
	if root == "/" {
		return true
	}
	return path == root || strings.HasPrefix(path, root+string(filepath.Separator))
}
