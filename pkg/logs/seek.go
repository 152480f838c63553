package logs

import (
	"bufio"
	"bytes"
	"time"
)

const (
	// seekSlack widens Since/Until seeks: stdout and stderr lines are
	// stamped by separate goroutines, so nearby timestamps can be slightly
	// out of order in the file.
	seekSlack = 2 * time.Second
	// lookbackBudget bounds the search backwards for the previous chunk of a
	// stream, which tells whether a logical line is in progress at a position.
	lookbackBudget = 256 << 10
	// bsearchMin is where the binary search hands over to reading.
	bsearchMin = 64 << 10
	// scanLines bounds how many malformed lines a probe skips.
	scanLines = 64
)

// headerAt parses the physical line that starts at off in the plain file lf.
// end is the line's end when known, else -1.
func headerAt(lf *logFile, off, end int64, want Stream, buf []byte) (header, bool) {
	var h header
	for {
		n := len(buf)
		if end >= 0 {
			if end <= off {
				return h, false
			}
			n = int(min(int64(n), end-off))
		}
		n, _ = lf.ra.ReadAt(buf[:n], off)
		b := buf[:n]
		if len(b) == 0 {
			return h, false
		}
		i := 0
		for i < len(b) && b[i] == 0 {
			i++
		}
		if i > 0 {
			off += int64(i)
			continue
		}
		if b[0] == '{' {
			var src byteSource
			if nl := bytes.IndexByte(b, '\n'); nl >= 0 || (end >= 0 && off+int64(n) >= end) {
				src = bytes.NewReader(b)
			} else {
				src = bufio.NewReaderSize(&atReader{ra: lf.ra, off: off}, 4096)
			}
			h, st, _ := scanJSONLine(src)
			return h, st == parseOK
		}
		if len(b) > maxHeader {
			b = b[:maxHeader]
		}
		st, _ := parseCRIHeader(b, want, &h)
		return h, st == parseOK
	}
}

// backScanner walks the lines of a plain file backwards.
type backScanner struct {
	lf     *logFile
	buf    []byte
	bstart int64
	blen   int
	end    int64
}

func newBackScanner(lf *logFile, end int64, buf []byte) *backScanner {
	return &backScanner{lf: lf, buf: buf, bstart: -1, end: end}
}

// prev returns the line [start, end) that ends where the previous call's line
// started.
func (s *backScanner) prev() (start, end int64, ok bool) {
	if s.end <= 0 {
		return 0, 0, false
	}
	end = s.end
	pos := end - 1
	for pos > 0 {
		if s.bstart < 0 || pos <= s.bstart || pos > s.bstart+int64(s.blen) {
			lo := max(0, pos-int64(len(s.buf)))
			n, _ := s.lf.ra.ReadAt(s.buf[:pos-lo], lo)
			if int64(n) < pos-lo {
				// The file shrank under us; treat what is left as one line.
				s.end = 0
				return 0, end, true
			}
			s.bstart, s.blen = lo, n
		}
		if i := bytes.LastIndexByte(s.buf[:pos-s.bstart], '\n'); i >= 0 {
			start = s.bstart + int64(i) + 1
			s.end = start
			return start, end, true
		}
		pos = s.bstart
	}
	s.end = 0
	return 0, end, true
}

// header parses the line [start, end) that prev returned: from the bytes
// already read when they hold its header (a CRI line's first maxHeader
// bytes, or all of it), else with headerAt. A tail of N lines then costs
// one read per buffer, not one per line.
func (s *backScanner) header(start, end int64, want Stream, hbuf []byte) (header, bool) {
	hend := min(end, start+maxHeader)
	if s.bstart >= 0 && start >= s.bstart && hend <= s.bstart+int64(s.blen) && hend > start {
		b := s.buf[start-s.bstart : hend-s.bstart]
		if b[0] != '{' && b[0] != 0 {
			var h header
			st, _ := parseCRIHeader(b, want, &h)
			return h, st == parseOK
		}
	}
	return headerAt(s.lf, start, end, want, hbuf)
}

// lineEnd returns the offset after the first '\n' at or after off, or -1.
func lineEnd(lf *logFile, off int64, buf []byte) int64 {
	for {
		n, _ := lf.ra.ReadAt(buf, off)
		if n == 0 {
			return -1
		}
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return off + int64(i) + 1
		}
		off += int64(n)
	}
}

// fileSummary is what one pass over a compressed file tells: it cannot be
// read backwards or searched.
type fileSummary struct {
	ends     int64 // line ends of the selected streams, up to Until
	old      bool  // holds a line older than the Since target
	last     [3]int8
	first    time.Time
	hasFirst bool
}

func (s *source) summary(lf *logFile) *fileSummary {
	if lf.sum != nil {
		return lf.sum
	}
	sum := &fileSummary{}
	ch := &chain{ctx: s.ch.ctx, files: []*logFile{lf}, warn: s.ch.warn}
	r := newLineReader(ch, position{})
	r.single, r.final = true, true
	for {
		pl, st := r.next()
		if st == stEOF || st == stErr {
			break
		}
		if st == stBad {
			r.consume(nil, false)
			continue
		}
		if !sum.hasFirst {
			sum.first, sum.hasFirst = pl.ts, true
		}
		if !s.sinceTarget.IsZero() && pl.ts.Before(s.sinceTarget) {
			sum.old = true
		}
		sum.last[pl.stream] = 1
		if pl.partial {
			sum.last[pl.stream] = 2
		} else if s.selected(pl.stream) && (s.filt.until.IsZero() || !pl.ts.After(s.filt.until)) {
			sum.ends++
		}
		r.drop(&pl)
	}
	lf.sum = sum
	return sum
}

// tailStart returns a position before which no line of the last n can start,
// scanning backwards from 'from'. The count pass then trims to exactly n.
func (s *source) tailStart(n int64, from position) position {
	need := n + int64(len(s.streams))
	var count int64
	buf := make([]byte, readBufSize)
	hbuf := make([]byte, readBufSize)
	for fi := from.fi; fi >= 0; fi-- {
		lf := s.ch.files[fi]
		end := lf.size0
		if fi == from.fi {
			end = from.off
		}
		if lf.gz {
			sum := s.summary(lf)
			count += sum.ends
			if sum.old || count >= need {
				return position{fi: fi}
			}
			continue
		}
		bs := newBackScanner(lf, end, buf)
		for {
			start, lend, ok := bs.prev()
			if !ok {
				break
			}
			h, ok := bs.header(start, lend, Both, hbuf)
			if !ok {
				continue
			}
			if !s.sinceTarget.IsZero() && h.ts.Before(s.sinceTarget) {
				return position{fi: fi, off: lend}
			}
			if !s.selected(h.stream) || h.partial || (!s.filt.until.IsZero() && h.ts.After(s.filt.until)) {
				continue
			}
			if count++; count >= need {
				return position{fi: fi, off: lend}
			}
		}
	}
	return position{}
}

// inLine reports whether, at pos, a logical line of stream st is in progress:
// whether the previous chunk of st is a P chunk.
func (s *source) inLine(pos position, st Stream) bool {
	budget := int64(lookbackBudget)
	buf := make([]byte, 16<<10)
	hbuf := make([]byte, maxHeader)
	for fi := pos.fi; fi >= 0 && budget > 0; fi-- {
		lf := s.ch.files[fi]
		if lf.gz {
			if fi == pos.fi && pos.off > 0 {
				return false
			}
			if k := s.summary(lf).last[st]; k != 0 {
				return k == 2
			}
			continue
		}
		end := lf.size0
		if fi == pos.fi {
			end = pos.off
		}
		bs := newBackScanner(lf, end, buf)
		for budget > 0 {
			start, lend, ok := bs.prev()
			if !ok {
				break
			}
			budget -= lend - start
			h, ok := headerAt(lf, start, lend, st, hbuf)
			if ok && h.stream == st {
				return h.partial
			}
		}
	}
	return false
}

// firstTime returns the timestamp of the first valid line of a plain file.
func firstTime(lf *logFile, buf []byte) (time.Time, bool) {
	var off int64
	for range scanLines {
		if off >= lf.size0 {
			break
		}
		if h, ok := headerAt(lf, off, -1, Both, buf); ok {
			return h.ts, true
		}
		if off = lineEnd(lf, off, buf); off < 0 {
			break
		}
	}
	return time.Time{}, false
}

// seek returns the start of the first line whose timestamp is not before
// target, assuming lines are in time order; with lines out of order it errs
// towards an earlier position.
func (s *source) seek(target time.Time) position {
	buf := make([]byte, 4096)
	for fi := s.ch.last(); fi >= 0; fi-- {
		lf := s.ch.files[fi]
		if lf.gz {
			if sum := s.summary(lf); sum.hasFirst && sum.first.Before(target) {
				return position{fi: fi}
			}
			continue
		}
		if t, ok := firstTime(lf, buf); ok && t.Before(target) {
			return position{fi: fi, off: bsearch(lf, target, buf)}
		}
	}
	return position{}
}

func bsearch(lf *logFile, target time.Time, buf []byte) int64 {
	lo, hi := int64(0), lf.size0
	for hi-lo > bsearchMin {
		mid := lo + (hi-lo)/2
		p, h, ok := firstValidFrom(lf, mid, hi, buf)
		if !ok || !h.ts.Before(target) {
			hi = mid
		} else {
			lo = p + 1
		}
	}
	if lo == 0 {
		return 0
	}
	if p := lineEnd(lf, lo-1, buf); p >= 0 {
		return p
	}
	return lf.size0
}

// firstValidFrom finds the first valid line that starts at or after x and
// before hi.
func firstValidFrom(lf *logFile, x, hi int64, buf []byte) (int64, header, bool) {
	p := int64(0)
	if x > 0 {
		p = lineEnd(lf, x-1, buf)
	}
	for range scanLines {
		if p < 0 || p >= hi {
			break
		}
		if h, ok := headerAt(lf, p, -1, Both, buf); ok {
			return p, h, true
		}
		p = lineEnd(lf, p, buf)
	}
	return 0, header{}, false
}
