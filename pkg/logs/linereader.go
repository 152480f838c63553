package logs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
)

const readBufSize = 64 << 10

// position orders physical lines within one source. epoch grows when a
// copytruncate rotation makes the live file start again at offset 0.
type position struct {
	fi    int
	epoch int
	off   int64
}

func (p position) less(q position) bool {
	if p.fi != q.fi {
		return p.fi < q.fi
	}
	if p.epoch != q.epoch {
		return p.epoch < q.epoch
	}
	return p.off < q.off
}

type status uint8

const (
	stOK   status = iota
	stEOF         // no more data for now
	stWait        // an incomplete line at the end of a file that may still grow
	stBad         // a malformed line; the caller drops it
	stErr         // a read error; see lineReader.err
	stLost        // restarted at 0 after a truncation: line state is lost
)

type physLine struct {
	header
	pos position
}

// lineReader reads the physical lines of a chain forward, from a position on.
// It parses a line's header without consuming it; the caller then consumes
// the line with content or drop.
type lineReader struct {
	ch     *chain
	fi     int
	file   *logFile
	detour bool // reading the copy of a truncated live file
	epoch  int
	off    int64 // offset of the next byte br returns
	br     *bufio.Reader

	final    bool   // the end of the last file also ends the line being read
	snapshot bool   // stop at each file's size when the chain was opened
	single   bool   // do not go on to the next file
	want     Stream // skip parsing timestamps of the other stream
	bad      func(pos position, path, reason string)
	// verify makes reads of plain files check for a copytruncate
	// rotation; truncCopy then finds logrotate's copy, if any.
	verify    bool
	truncCopy func(fpOff int64, fp []byte, off int64) *logFile
	lost      bool // the reader restarted at 0 after a truncation

	nulRun bool
	fpOff  int64 // a fingerprint of the last line start, to detect truncation
	fp     [32]byte
	fpLen  int
	err    error
}

func newLineReader(ch *chain, pos position) *lineReader {
	r := &lineReader{ch: ch, fi: pos.fi, epoch: pos.epoch, br: bufio.NewReaderSize(nil, readBufSize)}
	r.open(ch.files[pos.fi], pos.off)
	return r
}

// clone returns a reader at the same position that reports nothing.
func (r *lineReader) clone() *lineReader {
	n := &lineReader{ch: r.ch, fi: r.fi, epoch: r.epoch, detour: r.detour, final: r.final,
		snapshot: r.snapshot, single: r.single, want: r.want, br: bufio.NewReaderSize(nil, readBufSize)}
	n.open(r.file, r.off)
	return n
}

func (r *lineReader) pos() position { return position{r.fi, r.epoch, r.off} }

// gzGuard turns a decompression error into the end of the file, after one
// warning: a corrupt rotated file must not stop the reading of newer ones.
type gzGuard struct {
	zr   *gzip.Reader
	lf   *logFile
	warn func(string, ...any)
	err  bool
}

func (g *gzGuard) Read(p []byte) (int, error) {
	if g.err {
		return 0, io.EOF
	}
	n, err := g.zr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		g.err = true
		if !g.lf.gzWarned {
			g.lf.gzWarned = true
			g.warn("reading compressed log %q: %v", g.lf.path, err)
		}
		err = io.EOF
	}
	return n, err
}

func openGzip(lf *logFile, warn func(string, ...any)) io.Reader {
	zr, err := gzip.NewReader(&atReader{ra: lf.ra})
	if err != nil {
		if !lf.gzWarned {
			lf.gzWarned = true
			warn("reading compressed log %q: %v", lf.path, err)
		}
		return eofReader{}
	}
	return &gzGuard{zr: zr, lf: lf, warn: warn}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func (r *lineReader) open(lf *logFile, off int64) {
	r.file = lf
	r.off = off
	r.fpLen = 0
	r.nulRun = false
	if !lf.gz {
		r.br.Reset(r.plain(off))
		return
	}
	r.br.Reset(openGzip(lf, r.ch.warn))
	for off > 0 {
		n, err := r.br.Discard(int(min(off, 1<<30)))
		off -= int64(n)
		if err != nil {
			break
		}
	}
}

// reader returns a separate sequential reader over the current file from off.
func (r *lineReader) reader(off int64) *bufio.Reader {
	if !r.file.gz {
		return bufio.NewReaderSize(&atReader{ra: r.file.ra, off: off}, readBufSize)
	}
	br := bufio.NewReaderSize(openGzip(r.file, r.ch.warn), readBufSize)
	for off > 0 {
		n, err := br.Discard(int(min(off, 1<<30)))
		off -= int64(n)
		if err != nil {
			break
		}
	}
	return br
}

func (r *lineReader) plain(off int64) *atReader {
	ar := &atReader{ra: r.file.ra, off: off}
	if r.verify && !r.detour {
		ar.check = r.check
	}
	return ar
}

// check runs after each read of the live file: a copytruncate rotation shows
// as a file shorter than what we read, or as other bytes where the last line
// we parsed started. Checking after the read leaves no window in which new
// content could pass for the old.
func (r *lineReader) check(end int64) bool {
	if r.fpLen == 0 {
		return r.file.size() >= end
	}
	var b [len(r.fp)]byte
	n, _ := r.file.ra.ReadAt(b[:r.fpLen], r.fpOff)
	return n == r.fpLen && b == r.fp
}

// truncated continues after a copytruncate rotation: in logrotate's copy from
// our offset if it has one, then in the live file from 0.
func (r *lineReader) truncated() {
	if r.truncCopy != nil {
		if lf := r.truncCopy(r.fpOff, r.fp[:r.fpLen], r.off); lf != nil {
			r.detour = true
			r.open(lf, r.off)
			return
		}
	}
	r.lost = true
	r.restart()
}

func (r *lineReader) restart() {
	r.detour = false
	r.epoch++
	r.open(r.ch.files[r.fi], 0)
}

// advance moves to the next file at the end of the current one.
func (r *lineReader) advance() bool {
	switch {
	case r.detour:
		r.restart()
	case r.single || r.fi >= r.ch.last():
		return false
	default:
		r.fi++
		r.open(r.ch.files[r.fi], 0)
	}
	return true
}

// endsAtEOF reports whether the end of the current file ends the line being
// read, rather than being a pause in a line still being written.
func (r *lineReader) endsAtEOF() bool {
	return r.final || r.snapshot || r.single || r.detour || r.fi < r.ch.last()
}

func (r *lineReader) peekN(n int) ([]byte, error) {
	b, _ := r.br.Peek(r.br.Buffered())
	if len(b) >= n || bytes.IndexByte(b, '\n') >= 0 {
		return b, nil
	}
	return r.br.Peek(n)
}

func (r *lineReader) discard(n int64) {
	if !r.file.gz && n > int64(r.br.Buffered()) {
		r.off += n
		r.br.Reset(r.plain(r.off))
		return
	}
	for n > 0 {
		d, err := r.br.Discard(int(min(n, 1<<30)))
		r.off += int64(d)
		n -= int64(d)
		if err != nil {
			return
		}
	}
}

func (r *lineReader) report(pos position, reason string) {
	if r.bad != nil {
		r.bad(pos, r.file.path, reason)
	}
}

// next parses the header of the next physical line.
func (r *lineReader) next() (physLine, status) {
	for {
		if r.err != nil {
			return physLine{}, stErr
		}
		if r.snapshot && !r.file.gz && !r.detour && r.off >= r.file.size0 {
			if r.advance() {
				continue
			}
			return physLine{}, stEOF
		}
		b, err := r.peekN(maxHeader)
		if errors.Is(err, errTruncated) {
			r.truncated()
			if r.lost {
				return physLine{}, stLost
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			r.err = err
			return physLine{}, stErr
		}
		if len(b) == 0 {
			if r.advance() {
				continue
			}
			return physLine{}, stEOF
		}
		if b[0] == 0 {
			r.skipNUL()
			continue
		}
		r.nulRun = false
		pl := physLine{pos: r.pos()}
		r.fpOff = r.off
		r.fp = [len(r.fp)]byte{}
		r.fpLen = copy(r.fp[:], b)
		if b[0] == '{' {
			return r.jsonLine(pl, b)
		}
		st, reason := parseCRIHeader(b[:min(len(b), maxHeader)], r.want, &pl.header)
		switch st {
		case parseOK:
			return pl, stOK
		case parseIncomplete:
			if !r.endsAtEOF() {
				return pl, stWait
			}
			reason = "truncated line"
		}
		r.report(pl.pos, reason)
		return pl, stBad
	}
}

func (r *lineReader) jsonLine(pl physLine, b []byte) (physLine, status) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		var err error
		b, err = r.br.Peek(r.br.Size())
		if errors.Is(err, errTruncated) {
			return pl, stWait
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			r.err = err
			return pl, stErr
		}
		nl = bytes.IndexByte(b, '\n')
	}
	var (
		st     parseStatus
		reason string
	)
	switch {
	case nl >= 0:
		pl.header, st, reason = scanJSONLine(bytes.NewReader(b[:nl+1]))
	case len(b) >= r.br.Size():
		pl.header, st, reason = scanJSONLine(r.reader(pl.pos.off))
	case !r.endsAtEOF():
		return pl, stWait
	default:
		pl.header, st, reason = scanJSONLine(bytes.NewReader(b))
	}
	switch {
	case st == parseOK && (pl.complete || r.endsAtEOF()):
		return pl, stOK
	case st != parseMalformed && !r.endsAtEOF():
		return pl, stWait
	case st == parseOK:
		return pl, stOK
	}
	r.report(pl.pos, reason)
	return pl, stBad
}

func (r *lineReader) skipNUL() {
	if !r.nulRun {
		r.report(r.pos(), "NUL bytes")
	}
	r.nulRun = true
	for {
		b, _ := r.br.Peek(max(r.br.Buffered(), 1))
		if len(b) == 0 {
			return
		}
		i := 0
		for i < len(b) && b[i] == 0 {
			i++
		}
		_, _ = r.br.Discard(i) // i bytes are buffered: cannot fail
		r.off += int64(i)
		if i < len(b) {
			return
		}
	}
}

// consume reads the rest of the current physical line, passing it to sink
// when sink is not nil (without the '\n' if dropNL). It reports whether the
// line ended and whether sink asked to stop.
func (r *lineReader) consume(sink func([]byte) bool, dropNL bool) (ended, stop bool) {
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		n := len(chunk)
		nl := n > 0 && chunk[n-1] == '\n'
		if nl && dropNL {
			chunk = chunk[:n-1]
		}
		if sink != nil && len(chunk) > 0 && !sink(chunk) {
			return nl, true
		}
		if nl {
			return true, false
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, errTruncated):
			if r.truncated(); !r.lost {
				continue
			}
			return true, false
		case err == nil, errors.Is(err, io.EOF):
			return r.endsAtEOF(), false
		default:
			r.err = err
			return true, true
		}
	}
}

// content consumes the physical line pl (whose header next returned) and
// passes its content to sink, or drops it when sink is nil.
func (r *lineReader) content(pl *physLine, sink func([]byte) bool) (ended, stop bool) {
	if pl.format == formatCRI {
		r.discard(int64(pl.hdrLen))
		return r.consume(sink, pl.partial)
	}
	if sink != nil {
		var src byteSource
		if b, _ := r.br.Peek(r.br.Buffered()); int64(len(b)) >= pl.lineLen {
			src = bytes.NewReader(b[pl.logOff:pl.lineLen])
		} else {
			src = r.reader(pl.pos.off + pl.logOff)
		}
		ok, err := decodeJSONString(src, sink)
		if !ok {
			return true, true
		}
		if err != nil && !errors.Is(err, errJSONBad) && !errors.Is(err, errJSONEOF) {
			r.err = err
			return true, true
		}
	}
	r.discard(pl.lineLen)
	return true, false
}

// drop consumes pl without output.
func (r *lineReader) drop(pl *physLine) (ended bool) {
	if pl.format == formatJSON {
		r.discard(pl.lineLen)
		return true
	}
	ended, _ = r.consume(nil, false)
	return ended
}
