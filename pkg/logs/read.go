package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Stream selects the container's output streams.
type Stream int

// The streams. Both is the zero value.
const (
	Both Stream = iota
	Stdout
	Stderr
)

func (s Stream) String() string {
	switch s {
	case Both:
		return "both"
	case Stdout:
		return "stdout"
	case Stderr:
		return "stderr"
	}
	return fmt.Sprintf("Stream(%d)", int(s))
}

// Options control what Read and ReadMany print.
type Options struct {
	// Tail is the number of logical lines to print from the end of the
	// log (counting only lines of the selected stream that pass Since and
	// Until); a negative value prints everything, zero nothing but what
	// Follow then reads.
	Tail int64
	// Since and Until bound the timestamps of printed lines (inclusive);
	// the zero time leaves a bound unset.
	Since, Until time.Time
	// Timestamps prefixes each line with its timestamp in UTC, as
	// 2006-01-02T15:04:05.000000000Z followed by a space.
	Timestamps bool
	// StreamNames writes the line's stream, "stdout " or "stderr ", after
	// the timestamp (a bundle keeps which stream a line came from).
	StreamNames bool
	// LimitBytes stops the output after that many bytes; zero or negative
	// means no limit.
	LimitBytes int64
	// Stream selects stdout, stderr or both.
	Stream Stream
	// Follow keeps reading as the container writes, until it exits.
	Follow bool
}

// Source is one container log for ReadMany.
type Source struct {
	// Path is the absolute path of the log file the runtime reports.
	Path string
	// Prefix is written verbatim at the start of each line of this source,
	// after the timestamp. The caller escapes anything taken from the
	// runtime.
	Prefix string
	// Running reports whether the container is still running; in follow
	// mode, reading stops after the container has exited and its log has
	// been drained. A nil Running follows until the context is cancelled.
	// It should return (false, nil) for a container that no longer exists;
	// an error is reported once and following goes on.
	Running func(ctx context.Context) (bool, error)
	// Dir, when set, is Path's directory, opened under a host root: the
	// files are opened by name through it (package hostroot decides what
	// may be read). Nil opens Path's directory directly.
	Dir Dir
}

const (
	checkEvery    = time.Second
	pollWatched   = time.Second
	pollUnwatched = 250 * time.Millisecond
	maxBadReports = 10
)

// Read prints the container log at path. stdout and stderr receive the
// container's stdout and stderr lines; warn receives one line per skipped
// malformed log line (never its content). running is used in follow mode as
// Source.Running. Cancelling ctx returns ctx.Err().
func Read(ctx context.Context, path string, opts Options, stdout, stderr, warn io.Writer,
	running func(context.Context) (bool, error)) error {
	return ReadMany(ctx, []Source{{Path: path, Running: running}}, opts, stdout, stderr, warn)
}

// ReadMany prints several container logs merged in timestamp order. Tail
// applies to each source; Since, Until, Stream and LimitBytes to the whole.
// With Follow it returns when every container has exited and its log has been
// drained, or when ctx is cancelled.
func ReadMany(ctx context.Context, srcs []Source, opts Options, stdout, stderr, warn io.Writer) (err error) {
	if len(srcs) == 0 {
		return errors.New("no log to read")
	}
	if opts.Stream < Both || opts.Stream > Stderr {
		return fmt.Errorf("invalid stream %d", int(opts.Stream))
	}
	if !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since) {
		return errors.New("the until time is before the since time")
	}
	if warn == nil {
		warn = io.Discard
	}
	m := &merger{ctx: ctx, opts: opts, warnW: warn}
	m.out = newOutput(ctx, stdout, stderr, opts)
	m.filt = filter{since: opts.Since, until: opts.Until}
	if !opts.Until.IsZero() {
		m.filt.stopAfter = opts.Until.Add(seekSlack)
	}
	defer func() {
		if ferr := m.finish(); err == nil {
			err = ferr
		}
	}()
	for i, s := range srcs {
		ch, err := openChain(ctx, s.Path, s.Dir, m.warnf)
		if err != nil {
			return err
		}
		src := &source{idx: i, m: m, ch: ch, path: s.Path, prefix: []byte(s.Prefix), running: s.Running, filt: &m.filt}
		m.srcs = append(m.srcs, src)
		src.start()
	}
	return m.run()
}

type source struct {
	idx     int
	m       *merger
	ch      *chain
	path    string
	prefix  []byte
	running func(context.Context) (bool, error)
	filt    *filter
	streams []Stream
	cursors []*cursor

	sinceTarget time.Time
	skip        int64
	draining    bool
	done        bool
	lastCheck   time.Time
	checkWarned bool
	lastBad     position
	nBad        int64
}

func (s *source) selected(st Stream) bool {
	return s.m.opts.Stream == Both || s.m.opts.Stream == st
}

// start positions the cursors: by Tail, else by Since, else at the oldest
// rotated file.
func (s *source) start() {
	opts := s.m.opts
	s.streams = []Stream{Stdout, Stderr}
	if opts.Stream != Both {
		s.streams = []Stream{opts.Stream}
	}
	if !opts.Since.IsZero() {
		s.sinceTarget = opts.Since.Add(-seekSlack)
	}
	var at position
	switch {
	case opts.Tail >= 0:
		from := position{fi: s.ch.last(), off: s.ch.live().size0}
		if !opts.Until.IsZero() {
			from = s.seek(s.filt.stopAfter.Add(1))
		}
		at = s.tailStart(opts.Tail, from)
	case !opts.Since.IsZero():
		at = s.seek(s.sinceTarget)
	}
	for _, st := range s.streams {
		r := newLineReader(s.ch, at)
		r.want = st
		r.bad = s.reportBad
		r.final = !opts.Follow
		r.snapshot = !opts.Follow
		r.verify = opts.Follow
		r.truncCopy = s.truncatedCopy
		r.open(r.file, r.off)
		c := &cursor{src: s, stream: st, r: r, filt: s.filt}
		c.skipping = at != (position{}) && s.inLine(at, st)
		s.cursors = append(s.cursors, c)
	}
	if opts.Tail >= 0 {
		s.skip = max(0, s.count()-opts.Tail)
	}
}

// count returns how many logical lines the cursors would print from their
// start up to the end of the files as they were opened.
func (s *source) count() int64 {
	var n int64
	for _, c := range s.cursors {
		r := c.r.clone()
		r.final, r.snapshot = true, true
		cc := &cursor{src: s, stream: c.stream, r: r, filt: c.filt, skipping: c.skipping}
		for cc.peek() {
			cc.emit(nil)
			if n++; n%1024 == 0 && s.m.ctx.Err() != nil {
				return n
			}
		}
	}
	return n
}

func (s *source) reportBad(pos position, path, reason string) {
	if s.nBad > 0 && !s.lastBad.less(pos) {
		return
	}
	s.lastBad = pos
	if s.nBad++; s.nBad <= maxBadReports {
		s.m.warnf("skipped a malformed log line at offset %d of %q: %s", pos.off, path, reason)
	}
}

func (s *source) drain() {
	s.draining = true
	s.ch.rotate(true)
	for _, c := range s.cursors {
		c.r.final = true
		c.la = nil
	}
}

// refresh follows a rename rotation. It reports whether a cursor has a new
// file to read.
func (s *source) refresh() bool {
	return s.ch.rotate(s.draining)
}

// truncatedCopy finds the copy logrotate made before truncating the live
// file, so that lines written after our last read are not lost.
func (s *source) truncatedCopy(fpOff int64, fp []byte, off int64) *logFile {
	rs, err := s.ch.rotated()
	if err != nil || len(rs) == 0 || rs[len(rs)-1].gz {
		return nil
	}
	lf, err := s.ch.openSibling(rs[len(rs)-1])
	if err != nil || lf == nil {
		return nil
	}
	b := make([]byte, len(fp))
	if n, _ := lf.ra.ReadAt(b, fpOff); lf.size0 < off || n < len(fp) || string(b) != string(fp) {
		lf.f.Close()
		return nil
	}
	s.ch.extra = append(s.ch.extra, lf)
	return lf
}

type merger struct {
	ctx    context.Context
	opts   Options
	out    *output
	warnW  io.Writer
	filt   filter
	srcs   []*source
	w      *watcher
	wTried bool
	poll   time.Duration
	// While a line is being printed, warnings wait: warn is often the
	// same terminal as the container's stderr.
	inLine  bool
	pending []string
}

func (m *merger) warnf(format string, args ...any) {
	msg := fmt.Sprintf("warning: "+format+"\n", args...)
	if m.inLine {
		m.pending = append(m.pending, msg)
		return
	}
	_ = m.out.flush() // a failed write surfaces on the next one
	_, _ = io.WriteString(m.warnW, msg)
}

func (m *merger) flushWarnings() {
	if len(m.pending) == 0 {
		return
	}
	_ = m.out.flush()
	for _, msg := range m.pending {
		_, _ = io.WriteString(m.warnW, msg)
	}
	m.pending = m.pending[:0]
}

func (m *merger) finish() error {
	err := m.out.flush()
	for _, s := range m.srcs {
		if s.nBad > maxBadReports {
			m.warnf("skipped %d more malformed log lines of %q", s.nBad-maxBadReports, s.path)
		}
		s.ch.close()
	}
	if m.w != nil {
		m.w.close()
	}
	return err
}

func (m *merger) run() error {
	for {
		if err := m.ctx.Err(); err != nil {
			return err
		}
		c, err := m.pick()
		if err != nil {
			return err
		}
		if c != nil {
			if c.src.skip > 0 {
				c.src.skip--
				c.emit(nil)
				continue
			}
			m.inLine = true
			stop := c.emit(m.out)
			m.inLine = false
			m.flushWarnings()
			if stop {
				return m.out.stopErr()
			}
			continue
		}
		if !m.opts.Follow {
			return nil
		}
		done := true
		for _, s := range m.srcs {
			done = done && s.done
		}
		if done {
			return nil
		}
		if err := m.idle(); err != nil {
			return err
		}
	}
}

// pick returns the cursor whose line comes next: within a source the one
// earliest in the file, across sources the one with the earliest timestamp.
func (m *merger) pick() (*cursor, error) {
	var best *cursor
	for _, s := range m.srcs {
		if s.done {
			continue
		}
		var sb *cursor
		alive := false
		for _, c := range s.cursors {
			if c.peek() && (sb == nil || c.head.pos.less(sb.head.pos)) {
				sb = c
			}
			if c.r.err != nil {
				return nil, fmt.Errorf("reading %q: %w", c.r.file.path, c.r.err)
			}
			alive = alive || !c.finished
		}
		if !alive {
			s.done = true
			continue
		}
		if sb != nil && (best == nil || sb.head.ts.Before(best.head.ts)) {
			best = sb
		}
	}
	return best, nil
}

// idle runs when no line is ready in follow mode: it handles rotation,
// container exit and Until, then waits for a change in the log directories.
func (m *merger) idle() error {
	if err := m.out.flush(); err != nil {
		return err
	}
	changed := false
	for _, s := range m.srcs {
		if !s.done && s.refresh() {
			changed = true
		}
	}
	if changed {
		return nil
	}
	now := time.Now()
	if !m.filt.stopAfter.IsZero() && now.After(m.filt.stopAfter) {
		for _, s := range m.srcs {
			s.drain()
		}
		return nil
	}
	if !m.wTried {
		m.wTried = true
		m.poll = pollUnwatched
		dirs := map[string]bool{}
		var list []string
		for _, s := range m.srcs {
			if !dirs[s.ch.dir] {
				dirs[s.ch.dir] = true
				list = append(list, s.ch.dir)
			}
		}
		if w, err := newWatcher(list); err == nil {
			m.w = w
			m.poll = pollWatched
		}
	}
	wait := m.poll
	for _, s := range m.srcs {
		if s.done || s.draining || s.running == nil {
			continue
		}
		due := s.lastCheck.Add(checkEvery)
		if now.Before(due) {
			wait = min(wait, due.Sub(now))
			continue
		}
		s.lastCheck = now
		ok, err := s.running(m.ctx)
		if cerr := m.ctx.Err(); cerr != nil {
			return cerr
		}
		switch {
		case err != nil:
			if !s.checkWarned {
				s.checkWarned = true
				m.warnf("checking whether the container of %q is running: %q; still following", s.path, err.Error())
			}
		case !ok:
			s.drain()
			changed = true
		}
	}
	if changed {
		return nil
	}
	var ev <-chan struct{}
	if m.w != nil {
		ev = m.w.c
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-m.ctx.Done():
		return m.ctx.Err()
	case <-ev:
	case <-t.C:
	}
	return nil
}

const tsOutLayout = "2006-01-02T15:04:05.000000000Z"

var streamNames = [3][]byte{Stdout: []byte("stdout "), Stderr: []byte("stderr ")}

// output buffers the two writers and enforces LimitBytes. A logical line is
// always written whole before the next one starts.
type output struct {
	ctx    context.Context
	w      [3]*bufio.Writer
	last   Stream
	used   [3]bool
	lastB  [3]byte
	remain int64
	ts     bool
	names  bool
	tsBuf  []byte
	err    error
	writes int
}

func newOutput(ctx context.Context, stdout, stderr io.Writer, opts Options) *output {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	o := &output{ctx: ctx, remain: -1, ts: opts.Timestamps, names: opts.StreamNames, tsBuf: make([]byte, 0, 64)}
	if opts.LimitBytes > 0 {
		o.remain = opts.LimitBytes
	}
	o.w[Stdout] = bufio.NewWriterSize(stdout, 32<<10)
	o.w[Stderr] = bufio.NewWriterSize(stderr, 32<<10)
	return o
}

func (o *output) flush() error {
	for _, s := range []Stream{Stdout, Stderr} {
		if err := o.w[s].Flush(); err != nil && o.err == nil {
			o.err = err
		}
	}
	return o.stopErr()
}

func (o *output) stopErr() error {
	if o.err != nil {
		if errors.Is(o.err, context.Canceled) || errors.Is(o.err, context.DeadlineExceeded) {
			return o.err
		}
		return fmt.Errorf("writing logs: %w", o.err)
	}
	return nil
}

// write returns false when the output must stop.
func (o *output) write(s Stream, p []byte) bool {
	if o.err != nil {
		return false
	}
	if o.last != s && o.last != Both {
		// Flush when switching streams so that stdout and stderr lines keep
		// their order when both writers end up on one terminal.
		if err := o.w[o.last].Flush(); err != nil {
			o.err = err
			return false
		}
	}
	o.last = s
	if o.writes++; o.writes%256 == 0 {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			return false
		}
	}
	stop := false
	if o.remain >= 0 {
		if int64(len(p)) >= o.remain {
			p = p[:o.remain]
			stop = true
		}
		o.remain -= int64(len(p))
	}
	if len(p) > 0 {
		if _, err := o.w[s].Write(p); err != nil {
			o.err = err
			return false
		}
		o.used[s] = true
		o.lastB[s] = p[len(p)-1]
	}
	return !stop
}

// startLine writes what precedes a line's content. A line that ended without
// '\n' (at the end of a rotated file, or of a log in ReadMany) gets one
// first, so that every line starts at the start of a line.
func (o *output) startLine(s Stream, t time.Time, prefix []byte) bool {
	if o.used[s] && o.lastB[s] != '\n' && !o.write(s, []byte{'\n'}) {
		return false
	}
	if o.ts {
		o.tsBuf = append(t.UTC().AppendFormat(o.tsBuf[:0], tsOutLayout), ' ')
		if !o.write(s, o.tsBuf) {
			return false
		}
	}
	if o.names && !o.write(s, streamNames[s]) {
		return false
	}
	return len(prefix) == 0 || o.write(s, prefix)
}
