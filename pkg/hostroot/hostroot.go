// Package hostroot reads the host's files from inside a container: with
// `kubectl debug node/NAME` or a DaemonSet, the host's file system is
// mounted at a directory such as /host, and the paths the host and the
// runtime report (the default sockets, /etc/crictl.yaml, container log
// paths) name files under it.
//
// A Root is that directory. Paths are resolved in it as if it were "/": an
// absolute symbolic link starts again at the Root, ".." stops at it, so
// nothing resolves outside it (a host's /var/run -> /run link leads to
// ROOT/run, never to the container's own /run). Files are opened with
// openat2(2) and RESOLVE_IN_ROOT where the kernel has it (Linux 5.6), and
// otherwise by a walk that opens one component at a time without following
// links and resolves each link itself, then opens the result with
// O_NOFOLLOW at every step, so a link swapped in meanwhile fails the open
// instead of redirecting it.
//
// LogDir and OpenLog add the rule for container logs, whose paths a pod
// with a writable hostPath mount of /var/log can plant links in: a log
// file that is itself a symbolic link is read only when its target stays
// in the log's own directory or under /var/lib/docker/containers
// (cri-dockerd's layout); only regular files are read, opened with
// O_NONBLOCK so a FIFO cannot hang the reader.
package hostroot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symbolic links one resolution follows, as the
// kernel's ELOOP does.
const maxLinks = 40

// Root is a directory standing for the host's "/".
type Root struct {
	dir string
}

// Host is the machine's own root, "/".
var Host = &Root{dir: "/"}

// noOpenat2 is set once openat2 turned out to be missing (ENOSYS) or
// refused by a seccomp filter; tests set it to exercise the walk.
var noOpenat2 atomic.Bool

// New returns the Root at dir, which must be an existing directory; ""
// and "/" are the machine's own root.
func New(dir string) (*Root, error) {
	if dir == "" || dir == "/" {
		return Host, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("host root %q: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("host root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("host root %q is not a directory", dir)
	}
	return &Root{dir: abs}, nil
}

// Dir is the Root's directory.
func (r *Root) Dir() string { return r.dir }

// IsHost reports whether the Root is the machine's own "/".
func (r *Root) IsHost() bool { return r.dir == "/" }

// Path is the path, in this process's view, of the in-root path p (which
// is absolute and clean).
func (r *Root) Path(p string) string {
	if r.IsHost() {
		return p
	}
	if p == "/" {
		return r.dir
	}
	return r.dir + p
}

func (r *Root) describe(p string) string {
	if r.IsHost() {
		return strconv.Quote(p)
	}
	return fmt.Sprintf("%q under host root %s", p, r.dir)
}

func (r *Root) openRoot() (int, error) {
	fd, err := unix.Open(r.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening host root %s: %w", r.dir, err)
	}
	return fd, nil
}

// checkPath requires a host path to be absolute.
func checkPath(p string) error {
	if !filepath.IsAbs(p) {
		return fmt.Errorf("path %q is not absolute", p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return fmt.Errorf("path %q holds a NUL byte", p)
	}
	return nil
}

// Resolve returns the path, in this process's view, that the host path p
// names: symbolic links resolved inside the Root; components that do not
// exist (yet) are appended as they are. It is for paths handed to the
// kernel by name (a socket to dial); files are read with Open.
func (r *Root) Resolve(p string) (string, error) {
	if err := checkPath(p); err != nil {
		return "", err
	}
	in, _, err := r.resolve(p)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", r.describe(p), err)
	}
	return r.Path(in), nil
}

// resolve walks p inside the Root and returns the in-root path it names
// (absolute, clean, no links) and whether it exists.
func (r *Root) resolve(p string) (string, bool, error) {
	rootFD, err := r.openRoot()
	if err != nil {
		return "", false, err
	}
	defer unix.Close(rootFD) //nolint:errcheck // read-only descriptor
	cur, err := unix.Dup(rootFD)
	if err != nil {
		return "", false, err
	}
	var stack []int // parents of cur, for ".."
	var names []string
	defer func() {
		for _, fd := range stack {
			_ = unix.Close(fd)
		}
		if cur >= 0 {
			_ = unix.Close(cur)
		}
	}()
	queue := strings.Split(p, "/")
	links := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				_ = unix.Close(cur)
				cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
				names = names[:len(names)-1]
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(cur, c, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				// The rest does not exist: it can hold no link.
				rest := filepath.Clean("/" + strings.Join(append([]string{c}, queue...), "/"))
				return filepath.Join(append([]string{"/"}, append(names, rest)...)...), false, nil
			}
			return "", false, err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if links++; links > maxLinks {
				return "", false, unix.ELOOP
			}
			target, err := readlinkat(cur, c)
			if err != nil {
				return "", false, err
			}
			if strings.HasPrefix(target, "/") {
				for _, fd := range stack {
					_ = unix.Close(fd)
				}
				_ = unix.Close(cur)
				stack, names = nil, nil
				if cur, err = unix.Dup(rootFD); err != nil {
					cur = -1
					return "", false, err
				}
			}
			queue = append(strings.Split(target, "/"), queue...)
		case unix.S_IFDIR:
			next, err := unix.Openat(cur, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return "", false, err
			}
			stack = append(stack, cur)
			cur = next
			names = append(names, c)
		default:
			for _, rest := range queue {
				if rest != "" && rest != "." {
					return "", false, unix.ENOTDIR
				}
			}
			names = append(names, c)
		}
	}
	return "/" + strings.Join(names, "/"), true, nil
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size >= 1<<16 {
			return "", unix.ENAMETOOLONG
		}
	}
}

// openResolved opens an in-root path without following any link: every
// directory with O_NOFOLLOW, then the last component with flags and
// O_NOFOLLOW. A link swapped in after resolve makes it fail with ELOOP.
func (r *Root) openResolved(in string, flags int) (int, error) {
	rootFD, err := r.openRoot()
	if err != nil {
		return -1, err
	}
	comps := strings.Split(strings.Trim(in, "/"), "/")
	if in == "/" {
		comps = []string{"."}
	}
	cur := rootFD
	for i, c := range comps {
		f := unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if i == len(comps)-1 {
			f = flags | unix.O_NOFOLLOW | unix.O_CLOEXEC
		}
		next, err := unix.Openat(cur, c, f, 0)
		_ = unix.Close(cur)
		if err != nil {
			return -1, err
		}
		cur = next
	}
	return cur, nil
}

// open opens the host path p inside the Root with flags and returns the
// file and its in-root path.
func (r *Root) open(p string, flags int) (*os.File, string, error) {
	if err := checkPath(p); err != nil {
		return nil, "", err
	}
	if !noOpenat2.Load() {
		rootFD, err := r.openRoot()
		if err != nil {
			return nil, "", err
		}
		fd, err := unix.Openat2(rootFD, p, &unix.OpenHow{
			Flags:   uint64(flags | unix.O_CLOEXEC),
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		_ = unix.Close(rootFD)
		switch {
		case err == nil:
			in, ok := r.fdPath(fd)
			if !ok {
				// No /proc: ask the walk where p leads.
				if in, _, err = r.resolve(p); err != nil {
					_ = unix.Close(fd)
					return nil, "", err
				}
			}
			return os.NewFile(uintptr(fd), r.Path(in)), in, nil
		case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM):
			noOpenat2.Store(true)
		default:
			return nil, "", err
		}
	}
	in, exists, err := r.resolve(p)
	if err != nil {
		return nil, "", err
	}
	if !exists {
		return nil, "", unix.ENOENT
	}
	fd, err := r.openResolved(in, flags)
	if err != nil {
		return nil, "", err
	}
	return os.NewFile(uintptr(fd), r.Path(in)), in, nil
}

// fdPath is the in-root path of an open file, from /proc/self/fd.
func (r *Root) fdPath(fd int) (string, bool) {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || !strings.HasPrefix(p, "/") {
		return "", false
	}
	if r.IsHost() {
		return p, true
	}
	if p == r.dir {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(p, r.dir+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

// Open opens the host path p for reading, resolved inside the Root; it
// must be a regular file (it is opened with O_NONBLOCK, so a FIFO fails
// instead of hanging). Errors name p, never the file's content.
func (r *Root) Open(p string) (*os.File, error) {
	f, _, err := r.open(p, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", r.describe(p), bare(err))
	}
	if err := regular(f, r.describe(p)); err != nil {
		return nil, err
	}
	return f, nil
}

// regular closes f and fails unless it is a regular file.
func regular(f *os.File, what string) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", what, bare(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return fmt.Errorf("%s is %s, not a regular file; refusing to read it", what, kind(fi.Mode()))
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// bare drops the path from an *fs.PathError: the caller names it.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
