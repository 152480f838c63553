package logs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Skipped is a file at a log path that RemoveFiles leaves alone.
type Skipped struct {
	Path string
	Kind string // "symbolic link", "FIFO", "directory", ...
}

// RemoveFiles deletes the log file of a removed container and its
// rotations (<path>.*, e.g. kubelet's 0.log.20240101-000000 and its .gz),
// as the reference does, but safely on a node where a pod may write to
// /var/log (a hostPath mount) or the runtime may report any path:
//   - the path must be absolute and clean and name a *.log file;
//   - no directory on the way may be a symbolic link (each is opened with
//     O_NOFOLLOW), so a planted link cannot move the deletion elsewhere;
//   - only regular files are deleted, looked at without following links
//     (fstatat AT_SYMLINK_NOFOLLOW) and unlinked relative to the opened
//     directory; a symbolic link, FIFO or anything else is left alone and
//     returned in skipped;
//   - the directory must lie under one of allowed (see Confine; an
//     *OutsideError tells the caller it may retry with more).
//
// err means nothing was deleted, or a deletion failed.
func RemoveFiles(logPath string, allowed ...string) (removed []string, skipped []Skipped, err error) {
	if !filepath.IsAbs(logPath) || filepath.Clean(logPath) != logPath {
		return nil, nil, fmt.Errorf("log path %q is not a clean absolute path", logPath)
	}
	dir, base := filepath.Split(logPath)
	if !strings.HasSuffix(base, ".log") {
		return nil, nil, fmt.Errorf("log path %q does not name a .log file", logPath)
	}
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil // no directory, no logs to delete
	}
	// The directories on the way are opened without following links
	// below; checking the path as it is against the resolved roots is
	// enough.
	if _, err := Confine(filepath.Join(dir, "x.log"), allowed...); err != nil {
		var oe *OutsideError
		if errors.As(err, &oe) {
			oe.Path, oe.Resolved = logPath, logPath
		}
		return nil, nil, err
	}
	return removeLogFiles(dir, base)
}

// isLogName reports whether a directory entry is the log file base or one
// of its rotations.
func isLogName(name, base string) bool {
	return name == base || strings.HasPrefix(name, base+".")
}

// removeLogFiles deletes base and base.* in dir; see RemoveFiles.
func removeLogFiles(dir, base string) (removed []string, skipped []Skipped, err error) {
	fd, err := openDirNoFollow(dir)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil, nil // no directory, no logs to delete
	}
	if err != nil {
		return nil, nil, err
	}
	d := os.NewFile(uintptr(fd), dir)
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", dir, err)
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
		var st unix.Stat_t
		if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("%s: %w", path, err))
			}
			continue
		}
		if kind := fileKind(uint32(st.Mode)); kind != "" { //nolint:unconvert // Stat_t.Mode is uint16 on darwin
			skipped = append(skipped, Skipped{Path: path, Kind: kind})
			continue
		}
		// unlinkat never follows a link: if the entry was swapped for one
		// since fstatat, the link itself goes, never its target; a
		// directory is refused (no AT_REMOVEDIR).
		if err := unix.Unlinkat(int(d.Fd()), name, 0); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("%s: %w", path, err))
			}
			continue
		}
		removed = append(removed, path)
	}
	return removed, skipped, errors.Join(errs...)
}

// fileKind names a file type that is not a regular file; "" for a regular
// file.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return ""
	case unix.S_IFLNK:
		return "symbolic link"
	case unix.S_IFIFO:
		return "FIFO"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "device"
	}
	return "special file"
}

// openDirNoFollow opens an absolute directory path one component at a
// time with O_NOFOLLOW, so that no component may be a symbolic link.
func openDirNoFollow(dir string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Open("/", flags, 0)
	if err != nil {
		return -1, fmt.Errorf("opening /: %w", err)
	}
	walked := ""
	for _, comp := range strings.Split(strings.Trim(dir, "/"), "/") {
		if comp == "" {
			continue
		}
		walked += "/" + comp
		next, err := unix.Openat(fd, comp, flags, 0)
		_ = unix.Close(fd)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				var st unix.Stat_t
				if unix.Lstat(walked, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
					return -1, fmt.Errorf("%s is a symbolic link; log files are deleted only through real directories", walked)
				}
				return -1, fmt.Errorf("%s is not a directory", walked)
			}
			return -1, fmt.Errorf("opening %s: %w", walked, err)
		}
		fd = next
	}
	return fd, nil
}
