//go:build !unix

package commands

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// removeLogFiles deletes base and base.* in dir; see removeContainerLogs.
// Without openat, the checks are made by path (Lstat), which leaves a
// window between check and removal.
func removeLogFiles(dir, base string) (removed []string, skipped []skippedLog, err error) {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil // no directory, no logs to delete
		}
		if err != nil {
			return nil, nil, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, nil, fmt.Errorf("%s is a symbolic link; log files are deleted only through real directories", p)
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, e := range entries {
		if isLogName(e.Name(), base) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		path := filepath.Join(dir, name)
		fi, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if !fi.Mode().IsRegular() {
			skipped = append(skipped, skippedLog{path: path, kind: fi.Mode().Type().String()})
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, path)
	}
	return removed, skipped, errors.Join(errs...)
}
