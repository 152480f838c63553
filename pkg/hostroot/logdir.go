package hostroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// dockerContainers is where cri-dockerd's log paths (links kubelet's path
// to docker's json-file log) lead.
const dockerContainers = "/var/lib/docker/containers"

// Dir is the directory of a container log, opened inside a Root: the log
// file and its rotated siblings are opened by name in it (see LogDir).
type Dir struct {
	root *Root
	f    *os.File
	// host is the directory as the runtime reported it; in its in-root
	// path after resolving links.
	host, in string
}

// LogDir opens the directory of a log path the runtime reports (absolute
// and clean), resolved inside the Root.
func (r *Root) LogDir(logPath string) (*Dir, error) {
	if err := checkPath(logPath); err != nil {
		return nil, fmt.Errorf("log path: %w", err)
	}
	if filepath.Clean(logPath) != logPath {
		return nil, fmt.Errorf("log path %q is not clean", logPath)
	}
	dir := filepath.Dir(logPath)
	f, in, err := r.open(dir, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, fmt.Errorf("opening log directory %s: %w", r.describe(dir), bare(err))
	}
	return &Dir{root: r, f: f, host: dir, in: in}, nil
}

// OpenLog opens a log path the runtime reports, under the rules of LogDir
// and Dir.Open: what `crictl logs` needs to read a log safely under a
// host root.
func (r *Root) OpenLog(logPath string) (*os.File, error) {
	d, err := r.LogDir(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.Close() }()
	return d.Open(filepath.Base(logPath))
}

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// Path is the host path of name in the directory, for messages.
func (d *Dir) Path(name string) string { return filepath.Join(d.host, name) }

// ReadDir lists the directory afresh on every call.
func (d *Dir) ReadDir() ([]fs.DirEntry, error) {
	fd, err := unix.Openat(int(d.f.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.root.describe(d.host), err)
	}
	f := os.NewFile(uintptr(fd), d.root.Path(d.in))
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.root.describe(d.host), bare(err))
	}
	return ents, nil
}

// Open opens the regular file name (a base name) in the directory for
// reading, with O_NONBLOCK. A symbolic link is followed only inside the
// Root and only when its target is in this same directory (resolved) or
// under /var/lib/docker/containers; anything else is refused with an error
// that names the link and its target, never the content.
func (d *Dir) Open(name string) (*os.File, error) { return d.open(name, true) }

// OpenNoFollow opens the regular file name as Open does, but refuses a
// symbolic link with an error that wraps unix.ELOOP (a rotated log file
// never is one).
func (d *Dir) OpenNoFollow(name string) (*os.File, error) { return d.open(name, false) }

func (d *Dir) open(name string, follow bool) (*os.File, error) {
	if err := plainName(name); err != nil {
		return nil, err
	}
	what := d.root.describe(d.Path(name))
	fd, err := unix.Openat(int(d.f.Fd()), name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err == nil {
		f := os.NewFile(uintptr(fd), d.root.Path(path.Join(d.in, name)))
		if err := regular(f, "log file "+what); err != nil {
			return nil, err
		}
		return f, nil
	}
	if !errors.Is(err, unix.ELOOP) || !follow {
		return nil, fmt.Errorf("opening log file %s: %w", what, err)
	}
	// A symbolic link (O_NOFOLLOW's ELOOP).
	target, err := readlinkat(int(d.f.Fd()), name)
	if err != nil {
		return nil, fmt.Errorf("reading the link %s: %w", what, err)
	}
	in := target
	if !strings.HasPrefix(target, "/") {
		in = path.Join(d.in, target)
	}
	f, resolved, err := d.root.open(in, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("log file %s is a link to %q: %w", what, target, bare(err))
	}
	if !within(resolved, d.in) && !within(resolved, dockerContainers) {
		f.Close()
		return nil, fmt.Errorf("log file %s is a link to %q, outside its directory; refusing to read it", what, target)
	}
	if err := regular(f, "log file "+what); err != nil {
		return nil, err
	}
	return f, nil
}

// plainName refuses a log file name that is not a base name in the
// directory.
func plainName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("log file name %q is not a plain name", name)
	}
	return nil
}

// within reports whether the clean absolute path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}
