package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// logFile is one open file of a container's log: the live file or a rotated one.
type logFile struct {
	path  string
	f     *os.File
	ra    io.ReaderAt
	gz    bool
	size0 int64 // size when opened
	info  os.FileInfo
	sum   *fileSummary
	// gzWarned keeps a corrupt compressed file to one warning.
	gzWarned bool
}

// openRegular opens path for reading and fails unless it is a regular file.
// O_NONBLOCK keeps a FIFO from blocking the open; it has no effect on the
// reads of a regular file. With noFollow a symbolic link is refused too.
func openRegular(path string, noFollow bool) (*os.File, os.FileInfo, error) {
	if !filepath.IsAbs(path) {
		return nil, nil, fmt.Errorf("log path %q is not absolute", path)
	}
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if noFollow && errors.Is(err, syscall.ELOOP) {
			return nil, nil, rotatedLinkError(path)
		}
		if errors.Is(err, syscall.ENXIO) {
			if fi, serr := os.Stat(path); serr == nil && !fi.Mode().IsRegular() {
				return nil, nil, notRegular(path, fi.Mode())
			}
		}
		return nil, nil, fmt.Errorf("opening log file %q: %w", path, bareErr(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("opening log file %q: %w", path, bareErr(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, fi.Mode())
	}
	return f, fi, nil
}

// bareErr drops the path from an *fs.PathError, so that the caller can
// quote it: it comes from the runtime.
func bareErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func notRegular(path string, m fs.FileMode) error {
	kind := "not a regular file"
	switch {
	case m&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a block device"
	case m.IsDir():
		kind = "a directory"
	}
	return fmt.Errorf("log path %q is %s, not a regular file; refusing to read it", path, kind)
}

// countKey lets tests count the bytes read from log files through the context.
type countKey struct{}

type countingReaderAt struct {
	ra io.ReaderAt
	n  *atomic.Int64
}

func (c countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// rotatedLinkError refuses a rotated log file that is a symbolic link.
func rotatedLinkError(path string) error {
	return fmt.Errorf("log file %q is a symbolic link; rotated logs never are, so it is not read", path)
}

// newLogFile opens a log file; a rotated one (noFollow) must not be a
// symbolic link: only the live path is checked against the allowed
// directories (Confine), and its siblings share its resolved directory.
func newLogFile(ctx context.Context, path string, gz, noFollow bool) (*logFile, error) {
	f, fi, err := openRegular(path, noFollow)
	if err != nil {
		return nil, err
	}
	return wrapLogFile(ctx, path, f, fi, gz), nil
}

func wrapLogFile(ctx context.Context, path string, f *os.File, fi os.FileInfo, gz bool) *logFile {
	lf := &logFile{path: path, f: f, ra: f, gz: gz, size0: fi.Size(), info: fi}
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		lf.ra = countingReaderAt{f, n}
	}
	return lf
}

func (lf *logFile) size() int64 {
	fi, err := lf.f.Stat()
	if err != nil {
		return lf.size0
	}
	return fi.Size()
}

// atReader reads a file sequentially with ReadAt, so that several readers can
// share one descriptor.
type atReader struct {
	ra  io.ReaderAt
	off int64
	// check, when set, runs after each read and reports whether the file
	// still holds what was read before (see lineReader.check).
	check func(off int64) bool
}

var errTruncated = errors.New("log file truncated")

func (r *atReader) Read(p []byte) (int, error) {
	n, err := r.ra.ReadAt(p, r.off)
	if r.check != nil && !r.check(r.off+int64(n)) {
		return 0, errTruncated
	}
	r.off += int64(n)
	if n > 0 {
		return n, nil
	}
	if err == nil {
		err = io.EOF
	}
	return 0, err
}

// rotated describes a sibling such as 0.log.20260102-150405[.gz] (kubelet) or
// 0.log.1[.gz] (logrotate's copytruncate).
type rotated struct {
	name string
	gz   bool
	num  int64 // -1 for a timestamp suffix
	ts   time.Time
}

const rotateLayout = "20060102-150405"

func parseRotated(base, name string) (rotated, bool) {
	suffix, ok := strings.CutPrefix(name, base+".")
	if !ok {
		return rotated{}, false
	}
	r := rotated{name: name, num: -1}
	if s, ok := strings.CutSuffix(suffix, ".gz"); ok {
		r.gz = true
		suffix = s
	}
	if len(suffix) == len(rotateLayout) && suffix[8] == '-' {
		t, err := time.Parse(rotateLayout, suffix)
		if err != nil {
			return rotated{}, false
		}
		r.ts = t
		return r, true
	}
	if suffix == "" || len(suffix) > 9 || strings.Trim(suffix, "0123456789") != "" {
		return rotated{}, false
	}
	r.num, _ = strconv.ParseInt(suffix, 10, 64)
	return r, true
}

// listRotated returns the rotated siblings of base among a directory's
// entries, oldest first: numbered ones (highest number first) before
// timestamped ones (by timestamp). When both X and X.gz exist (kubelet is
// compressing X), only X is kept.
func listRotated(ents []fs.DirEntry, base string) []rotated {
	plain := map[string]bool{}
	var rs []rotated
	for _, e := range ents {
		if r, ok := parseRotated(base, e.Name()); ok {
			rs = append(rs, r)
			if !r.gz {
				plain[r.name] = true
			}
		}
	}
	out := rs[:0]
	for _, r := range rs {
		if r.gz && plain[strings.TrimSuffix(r.name, ".gz")] {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.num >= 0) != (b.num >= 0) {
			return a.num >= 0
		}
		if a.num >= 0 {
			if a.num != b.num {
				return a.num > b.num
			}
		} else if !a.ts.Equal(b.ts) {
			return a.ts.Before(b.ts)
		}
		return a.name < b.name
	})
	return out
}

// Dir is the directory of a container log, for reading it under a host
// root (package hostroot's Dir): the log file and its rotated siblings are
// opened by base name in it, and the Dir decides what may be read.
type Dir interface {
	// Open opens the regular file name for reading, without blocking.
	Open(name string) (*os.File, error)
	// ReadDir lists the directory afresh.
	ReadDir() ([]fs.DirEntry, error)
	// OpenNoFollow opens name as Open does but refuses a symbolic link
	// with an error that wraps syscall.ELOOP.
	OpenNoFollow(name string) (*os.File, error)
}

// chain is the sequence of files making up one container's log, oldest first;
// the last one is the live file.
type chain struct {
	ctx   context.Context
	path  string
	dir   string
	base  string
	files []*logFile
	extra []*logFile // opened for copytruncate detours
	warn  func(string, ...any)
	// d, when set, opens the files (Source.Dir).
	d Dir
}

func (c *chain) live() *logFile { return c.files[len(c.files)-1] }

func (c *chain) last() int { return len(c.files) - 1 }

func openChain(ctx context.Context, path string, d Dir, warn func(string, ...any)) (*chain, error) {
	c := &chain{ctx: ctx, path: path, dir: filepath.Dir(path), base: filepath.Base(path), warn: warn, d: d}
	live, err := c.open(c.base, false, false)
	if err != nil {
		return nil, err
	}
	rs, err := c.rotated()
	if err != nil {
		warn("listing rotated logs of %q: %v", path, bareErr(err))
	}
	for _, r := range rs {
		lf, err := c.openSibling(r)
		if err != nil || lf == nil {
			continue
		}
		if os.SameFile(lf.info, live.info) {
			lf.f.Close()
			continue
		}
		c.files = append(c.files, lf)
	}
	c.files = append(c.files, live)
	return c, nil
}

// open opens a file of the chain's directory by name; a rotated file
// (noFollow) must not be a symbolic link, whichever way it is opened.
func (c *chain) open(name string, gz, noFollow bool) (*logFile, error) {
	p := filepath.Join(c.dir, name)
	if c.d == nil {
		return newLogFile(c.ctx, p, gz, noFollow)
	}
	open := c.d.Open
	if noFollow {
		open = c.d.OpenNoFollow
	}
	f, err := open(name)
	if noFollow && errors.Is(err, syscall.ELOOP) {
		return nil, rotatedLinkError(p)
	}
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening log file %q: %w", p, bareErr(err))
	}
	return wrapLogFile(c.ctx, p, f, fi, gz), nil
}

// rotated lists the chain's rotated siblings, oldest first.
func (c *chain) rotated() ([]rotated, error) {
	var ents []fs.DirEntry
	var err error
	if c.d != nil {
		ents, err = c.d.ReadDir()
	} else {
		ents, err = os.ReadDir(c.dir)
	}
	if err != nil {
		return nil, err
	}
	return listRotated(ents, c.base), nil
}

// statLive is the file now at the chain's path.
func (c *chain) statLive() (os.FileInfo, error) {
	if c.d == nil {
		return os.Stat(c.path)
	}
	f, err := c.d.Open(c.base)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Stat()
}

func (c *chain) openSibling(r rotated) (*logFile, error) {
	lf, err := c.open(r.name, r.gz, true)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.warn("skipping rotated log: %v", err)
		}
		return nil, err
	}
	return lf, nil
}

func (c *chain) close() {
	for _, lf := range c.files {
		lf.f.Close()
	}
	for _, lf := range c.extra {
		lf.f.Close()
	}
}

// rotate checks whether kubelet has renamed the live file and the runtime has
// started writing a new one. The switch waits until the new file has data (or
// force is set), so that nothing the runtime still writes to the old file
// between the rename and its reopen is lost.
func (c *chain) rotate(force bool) bool {
	fi, err := c.statLive()
	if err != nil || os.SameFile(fi, c.live().info) {
		return false
	}
	if fi.Size() == 0 && !force {
		return false
	}
	nf, err := c.open(c.base, false, false)
	if err != nil {
		c.warn("not following the new log file: %v", err)
		return false
	}
	old := c.live()
	var add []*logFile
	if rs, err := c.rotated(); err == nil {
		// Siblings newer than the one we were reading were rotated while we
		// were not looking (two rotations between checks).
		found := false
		for _, r := range rs {
			lf, err := c.openSibling(r)
			if err != nil || lf == nil {
				continue
			}
			switch {
			case os.SameFile(lf.info, old.info):
				found = true
				lf.f.Close()
			case found && !os.SameFile(lf.info, nf.info):
				add = append(add, lf)
			default:
				lf.f.Close()
			}
		}
	}
	c.files = append(c.files, add...)
	c.files = append(c.files, nf)
	return true
}
