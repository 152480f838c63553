package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/logs"
	"github.com/crictl/crictl/pkg/output"
	"github.com/crictl/crictl/pkg/redact"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// memRing is the largest log tail kept in memory; a larger --log-bytes
// keeps the tail in a temporary file instead.
const memRing = 4 << 20

// maxWarnings bounds the warnings kept per log file.
const maxWarnings = 10

// ring keeps the newest max bytes written to it: a log tail capped by
// bytes keeps its end, the lines closest to the problem. Byte n of the
// stream is at n % max, in memory (buf, reused from log to log) or, past
// memRing, in an unlinked temporary file.
type ring struct {
	max int64
	n   int64 // bytes written since reset
	buf []byte
	f   *os.File
}

func (g *ring) reset(limit int64) error {
	g.max, g.n = max(limit, 1), 0
	if g.max <= memRing {
		if int64(cap(g.buf)) < g.max {
			g.buf = make([]byte, g.max)
		}
		g.buf = g.buf[:g.max]
		return nil
	}
	if g.f == nil {
		f, err := os.CreateTemp("", "crictl-bundle-log-*")
		if err != nil {
			return fmt.Errorf("a temporary file for a log tail: %w", err)
		}
		// Unlinked at once: nothing is left behind, whatever happens.
		_ = os.Remove(f.Name())
		if err := f.Chmod(fileMode); err != nil {
			f.Close()
			return err
		}
		g.f = f
	}
	return g.f.Truncate(0)
}

func (g *ring) inFile() bool { return g.max > memRing }

func (g *ring) Write(p []byte) (int, error) {
	written := len(p)
	if skip := int64(len(p)) - g.max; skip > 0 {
		// Only the end of p can stay.
		g.n += skip
		p = p[skip:]
	}
	for len(p) > 0 {
		off := g.n % g.max
		chunk := p[:min(int64(len(p)), g.max-off)]
		if g.inFile() {
			if _, err := g.f.WriteAt(chunk, off); err != nil {
				return 0, err
			}
		} else {
			copy(g.buf[off:], chunk)
		}
		g.n += int64(len(chunk))
		p = p[len(chunk):]
	}
	return written, nil
}

func (g *ring) storage() io.ReaderAt {
	if g.inFile() {
		return g.f
	}
	return bytes.NewReader(g.buf)
}

// contents returns the tail, oldest byte first, starting at a line when
// it was cut (unless it holds no line break at all), and whether it was
// cut.
func (g *ring) contents() (io.Reader, int64, bool, error) {
	st := g.storage()
	if g.n <= g.max {
		return io.NewSectionReader(st, 0, g.n), g.n, false, nil
	}
	start := g.n % g.max // the oldest byte
	at := func(logical int64) int64 { return (start + logical) % g.max }
	// The first line break, reading in logical order.
	skip := int64(0)
	buf := make([]byte, 32<<10)
scan:
	for off := int64(0); off < g.max; {
		n := min(int64(len(buf)), g.max-off, g.max-at(off))
		if _, err := st.ReadAt(buf[:n], at(off)); err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, err
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			if off+int64(i)+1 < g.max {
				skip = off + int64(i) + 1
			}
			break scan
		}
		off += n
	}
	from, size := at(skip), g.max-skip
	if from >= start {
		return io.MultiReader(io.NewSectionReader(st, from, g.max-from), io.NewSectionReader(st, 0, start)), size, true, nil
	}
	return io.NewSectionReader(st, from, size), size, true, nil
}

func (g *ring) close() {
	if g.f != nil {
		g.f.Close()
		g.f = nil
	}
}

// limitedBuffer keeps the first lines written to it (pkg/logs' warnings).
type limitedBuffer struct {
	lines []string
	more  int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if l == "" {
			continue
		}
		if len(b.lines) < maxWarnings {
			b.lines = append(b.lines, output.Escape(l))
		} else {
			b.more++
		}
	}
	return len(p), nil
}

func (b *limitedBuffer) result() []string {
	if b.more > 0 {
		return append(b.lines, fmt.Sprintf("%d more warnings", b.more))
	}
	return b.lines
}

// collectLogs writes the log tails of every container, one after the
// other: <container>/current.log and, after a restart, previous.log.
func (r *run) collectLogs(ctx context.Context, pods []*podItem) error {
	var ctrs []*ctrItem
	for _, p := range pods {
		ctrs = append(ctrs, p.ctrs...)
	}
	r.prog.phase("reading logs", len(ctrs))
	g := &ring{}
	defer g.close()
	for _, c := range ctrs {
		if ctx.Err() != nil {
			return nil
		}
		if err := r.containerLogs(ctx, g, c); err != nil {
			return err
		}
		r.prog.step()
	}
	return nil
}

func (r *run) containerLogs(ctx context.Context, g *ring, c *ctrItem) error {
	if !c.inspected {
		return nil // its status failed: the manifest says so
	}
	if c.logPath == "" {
		if c.state != runtimeapi.ContainerState_CONTAINER_CREATED {
			r.addSkip(c.dir, "rpc ContainerStatus", "the runtime reports no log path")
		}
		return nil
	}
	if err := r.logFile(ctx, g, c.dir, "current.log", c.logPath); err != nil {
		return err
	}
	if c.attempt == 0 {
		return nil
	}
	prev, err := logs.PreviousName(c.logPath, c.attempt)
	if err != nil {
		r.addSkip(c.dir, "file "+c.logPath, oneLine(err.Error()))
		return nil
	}
	return r.logFile(ctx, g, c.dir, "previous.log", prev)
}

// logFile writes one log tail: the last --log-lines lines of the log and
// its rotated files, of which the newest --log-bytes (within what is left
// of --max-bytes), with each line's time and stream, literal secrets
// replaced. The log is read under the host root (hostroot.Dir).
func (r *run) logFile(ctx context.Context, g *ring, dir, name, hostPath string) error {
	p := path.Join(dir, name)
	source := "file " + hostPath
	r.mu.Lock()
	left := r.opt.MaxBytes - r.written
	r.mu.Unlock()
	if left <= 0 {
		r.addSkip(p, source, fmt.Sprintf("the bundle reached --max-bytes (%d)", r.opt.MaxBytes))
		return nil
	}
	limit := min(r.opt.LogBytes, left)
	start := r.now()
	d, err := r.root.LogDir(hostPath)
	if err != nil {
		r.logError(p, source, err)
		return nil
	}
	defer func() { _ = d.Close() }()
	if err := g.reset(limit); err != nil {
		return err
	}
	var w io.Writer = g
	var rw *redact.Writer
	before := 0
	if r.red != nil {
		before = r.red.Total()
		rw = r.red.Writer(g)
		w = rw
	}
	var warn limitedBuffer
	opts := logs.Options{Tail: r.opt.LogLines, Timestamps: true, StreamNames: true}
	rerr := logs.ReadMany(ctx, []logs.Source{{Path: hostPath, Dir: d}}, opts, w, w, &warn)
	if rw != nil {
		if err := rw.Close(); err != nil && rerr == nil {
			rerr = err
		}
	}
	redactions := 0
	if r.red != nil {
		redactions = r.red.Total() - before
	}
	if rerr != nil {
		r.logError(p, source, rerr)
		if g.n == 0 {
			return nil
		}
	}
	body, size, cut, err := g.contents()
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.man.Counts.Logs++
	r.mu.Unlock()
	return r.add(p, source, size, body, r.now().Sub(start), redactions, cut || rerr != nil, warn.result())
}

// logError records a log that could not be read; a log that does not
// exist (a container that never started, a previous attempt kubelet has
// removed) is a skip.
func (r *run) logError(p, source string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		r.addSkip(p, source, "no such file")
		return
	}
	r.addError(p, source, err)
}

// finish writes manifest.json, the last file, and closes the bundle.
func (r *run) finish() error {
	end := r.now()
	m := r.man
	m.FinishedAt = end.UTC().Format(time.RFC3339Nano)
	m.DurationMs = end.Sub(r.start).Milliseconds()
	m.Redaction = Redaction{Enabled: r.red != nil, ByRule: map[string]int{}}
	if r.red != nil {
		m.Redaction.Marker = r.red.Marker()
		for rule, n := range r.red.Counts() {
			m.Redaction.ByRule[string(rule)] = n
			m.Redaction.Total += n
		}
	}
	m.sortLists()
	m.Complete = len(m.Errors) == 0
	b, err := output.MarshalJSON(m)
	if err != nil {
		return err
	}
	if err := r.sink.Add("manifest.json", int64(len(b)), bytes.NewReader(b)); err != nil {
		return fmt.Errorf("writing manifest.json into the bundle: %w", err)
	}
	return r.sink.Close()
}
