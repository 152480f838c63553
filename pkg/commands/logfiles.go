package commands

import (
	"fmt"
	"path/filepath"
	"strings"
)

// skippedLog is a file at a log path that rm leaves alone.
type skippedLog struct {
	path string
	kind string // "symbolic link", "FIFO", "directory", ...
}

// removeContainerLogs deletes the log file of a removed container and its
// rotations (<path>.*, e.g. kubelet's 0.log.20240101-000000 and its .gz),
// as the reference does, but safely on a node where a pod may write to
// /var/log (a hostPath mount) or the runtime may report any path:
//   - the path must be absolute and clean and name a *.log file;
//   - no directory on the way may be a symbolic link (each is opened with
//     O_NOFOLLOW), so a planted link cannot move the deletion elsewhere;
//   - only regular files are deleted, looked at without following links
//     (fstatat AT_SYMLINK_NOFOLLOW) and unlinked relative to the opened
//     directory; a symbolic link, FIFO or anything else is left alone and
//     returned in skipped.
//
// err means nothing was deleted, or a deletion failed.
func removeContainerLogs(logPath string) (removed []string, skipped []skippedLog, err error) {
	if !filepath.IsAbs(logPath) || filepath.Clean(logPath) != logPath {
		return nil, nil, fmt.Errorf("log path %q is not a clean absolute path", logPath)
	}
	dir, base := filepath.Split(logPath)
	if !strings.HasSuffix(base, ".log") {
		return nil, nil, fmt.Errorf("log path %q does not name a .log file", logPath)
	}
	return removeLogFiles(filepath.Clean(dir), base)
}

// isLogName reports whether a directory entry is the log file base or one
// of its rotations.
func isLogName(name, base string) bool {
	return name == base || strings.HasPrefix(name, base+".")
}
