package bundle

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"
)

// Sink receives a bundle's files, in order.
type Sink interface {
	// Add stores one file of exactly size bytes read from r under the
	// relative path name (see validMember); its parent directories are
	// made as needed.
	Add(name string, size int64, r io.Reader) error
	// Close finishes the bundle: the archive is complete (and, for a file,
	// renamed into place).
	Close() error
	// Abort removes what was written; it is called instead of Close after
	// a failure.
	Abort()
	// Location says where the bundle went, for the final line.
	Location() string
	// Size is the bytes written so far (compressed, for an archive).
	Size() int64
}

// File and directory modes, whatever the umask.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// tarSink writes a tar.gz stream: regular files 0600 and directories 0700,
// owned by uid 0, every time the bundle's start time, no links.
type tarSink struct {
	cw    *countWriter
	bw    *bufio.Writer
	gz    *gzip.Writer
	tw    *tar.Writer
	dirs  map[string]bool
	mtime time.Time
	where string
	// For a file: the temporary name and the destination.
	tmp  *os.File
	dest string
	done bool
}

func newTarSink(w io.Writer, mtime time.Time, where string) *tarSink {
	s := &tarSink{cw: &countWriter{w: w}, dirs: map[string]bool{}, mtime: mtime.Truncate(time.Second), where: where}
	s.bw = bufio.NewWriterSize(s.cw, 256<<10)
	s.gz, _ = gzip.NewWriterLevel(s.bw, gzip.DefaultCompression)
	s.tw = tar.NewWriter(s.gz)
	return s
}

// NewStreamSink writes the bundle as tar.gz to w (-o -).
func NewStreamSink(w io.Writer, mtime time.Time) Sink {
	return newTarSink(w, mtime, "stdout")
}

// NewFileSink writes the bundle as tar.gz to a temporary file next to dest
// and renames it to dest when complete, so nobody sees half a bundle.
// dest may not be a symbolic link; an existing file is replaced only with
// force.
func NewFileSink(dest string, force bool, mtime time.Time) (Sink, error) {
	if err := checkDest(dest, force); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the bundle next to %s: %w", dest, err)
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		_ = os.Remove(tmp.Name())
		return nil, fmt.Errorf("creating the bundle next to %s: %w", dest, err)
	}
	s := newTarSink(tmp, mtime, dest)
	s.tmp, s.dest = tmp, dest
	return s, nil
}

// checkDest refuses a symbolic link at the destination, and an existing
// file unless force (and then only a regular file).
func checkDest(dest string, force bool) error {
	fi, err := os.Lstat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("output %s: %w", dest, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("output %s is a symbolic link; refusing to write through it", dest)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("output %s exists and is not a regular file", dest)
	case !force:
		return fmt.Errorf("output %s exists; remove it or use --force", dest)
	}
	return nil
}

func (s *tarSink) Location() string { return s.where }

func (s *tarSink) Size() int64 { return s.cw.n }

func (s *tarSink) header(name string, typ byte, mode int64, size int64) *tar.Header {
	return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: s.mtime, Format: tar.FormatPAX}
}

func (s *tarSink) Add(name string, size int64, r io.Reader) error {
	if !validMember(name) {
		return fmt.Errorf("bundle: invalid member name %q", name)
	}
	// Parents first, each once.
	var missing []string
	for d := path.Dir(name); d != "." && !s.dirs[d]; d = path.Dir(d) {
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := s.tw.WriteHeader(s.header(missing[i]+"/", tar.TypeDir, dirMode, 0)); err != nil {
			return err
		}
		s.dirs[missing[i]] = true
	}
	if err := s.tw.WriteHeader(s.header(name, tar.TypeReg, fileMode, size)); err != nil {
		return err
	}
	n, err := io.Copy(s.tw, io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("bundle: %s: %d bytes instead of %d", name, n, size)
	}
	return nil
}

func (s *tarSink) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	err := errors.Join(s.tw.Close(), s.gz.Close(), s.bw.Flush())
	if s.tmp == nil {
		return err
	}
	if err == nil {
		err = s.tmp.Sync()
	}
	if cerr := s.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(s.tmp.Name(), s.dest)
	}
	if err != nil {
		_ = os.Remove(s.tmp.Name())
		return fmt.Errorf("writing %s: %w", s.dest, err)
	}
	return nil
}

func (s *tarSink) Abort() {
	if s.done {
		return
	}
	s.done = true
	if s.tmp != nil {
		s.tmp.Close()
		_ = os.Remove(s.tmp.Name())
	}
}

// dirSink writes a bundle into a new directory, confined to it (os.Root).
type dirSink struct {
	dest    string
	root    *os.Root
	created bool
	dirs    map[string]bool
	n       int64
}

// NewDirSink writes the bundle as files under dest, which must not exist
// or be an empty directory.
func NewDirSink(dest string) (Sink, error) {
	created := false
	fi, err := os.Lstat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dest, dirMode); err != nil {
			return nil, fmt.Errorf("output directory: %w", err)
		}
		created = true
	case err != nil:
		return nil, fmt.Errorf("output directory %s: %w", dest, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("output directory %s exists and is not a directory", dest)
	default:
		ents, err := os.ReadDir(dest)
		if err != nil {
			return nil, fmt.Errorf("output directory %s: %w", dest, err)
		}
		if len(ents) > 0 {
			return nil, fmt.Errorf("output directory %s is not empty", dest)
		}
	}
	if err := os.Chmod(dest, dirMode); err != nil {
		return nil, fmt.Errorf("output directory %s: %w", dest, err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", dest, err)
	}
	return &dirSink{dest: dest, root: root, created: created, dirs: map[string]bool{}}, nil
}

func (s *dirSink) Location() string { return s.dest }

func (s *dirSink) Size() int64 { return s.n }

func (s *dirSink) mkdirs(d string) error {
	if d == "." || s.dirs[d] {
		return nil
	}
	if err := s.mkdirs(path.Dir(d)); err != nil {
		return err
	}
	if err := s.root.Mkdir(d, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := s.root.Chmod(d, dirMode); err != nil {
		return err
	}
	s.dirs[d] = true
	return nil
}

func (s *dirSink) Add(name string, size int64, r io.Reader) error {
	if !validMember(name) {
		return fmt.Errorf("bundle: invalid member name %q", name)
	}
	if err := s.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	if err := f.Chmod(fileMode); err != nil {
		f.Close()
		return err
	}
	n, err := io.Copy(f, io.LimitReader(r, size))
	s.n += n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("bundle: %s: %d bytes instead of %d", name, n, size)
	}
	return err
}

func (s *dirSink) Close() error { return s.root.Close() }

func (s *dirSink) Abort() {
	_ = s.root.Close()
	if s.created {
		_ = os.RemoveAll(s.dest)
		return
	}
	// An empty directory we were given: empty it again.
	ents, _ := os.ReadDir(s.dest)
	for _, e := range ents {
		_ = os.RemoveAll(filepath.Join(s.dest, e.Name()))
	}
}
