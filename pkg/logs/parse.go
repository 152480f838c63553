package logs

import (
	"bytes"
	"errors"
	"io"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxHeader bounds the bytes a CRI header ("<time> <stream> <tags> ") may take.
const maxHeader = 512

const (
	formatCRI = iota + 1
	formatJSON
)

// header is what a parser learns about one physical line before its content.
type header struct {
	format  uint8
	ts      time.Time
	stream  Stream
	partial bool
	// hdrLen is where a CRI line's content starts.
	hdrLen int
	// JSON lines: offset of the "log" value's opening quote, the line's
	// length and whether it ended with '\n'.
	logOff   int64
	lineLen  int64
	complete bool
}

type parseStatus uint8

const (
	parseOK parseStatus = iota
	parseIncomplete
	parseMalformed
)

// parseTS parses an RFC 3339 timestamp with up to nine fractional digits, as
// time.Parse(time.RFC3339Nano) does, without allocating.
func parseTS(b []byte) (time.Time, bool) {
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(p []byte) (int, bool) {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		nsec, _ = num(rest[1:i])
		for range 10 - i {
			nsec *= 10
		}
		rest = rest[i:]
	}
	var offset int
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := num(rest[1:3])
		om, ok2 := num(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// parseCRIHeader parses "<time> <stream> <tags> " at the start of b, which
// holds up to maxHeader bytes of a line (or the whole line, '\n' included).
// When want is Stdout or Stderr and the line is of the other stream, the
// timestamp is not parsed.
func parseCRIHeader(b []byte, want Stream, h *header) (parseStatus, string) {
	lim := b
	nl := bytes.IndexByte(b, '\n')
	if nl >= 0 {
		lim = b[:nl]
	}
	short := func(what string) (parseStatus, string) {
		if nl >= 0 || len(b) >= maxHeader {
			return parseMalformed, what
		}
		return parseIncomplete, what
	}
	sp1 := bytes.IndexByte(lim, ' ')
	if sp1 < 0 {
		return short("not a CRI or docker json-file log line")
	}
	rest := lim[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 {
		return short("no stream")
	}
	switch string(rest[:sp2]) {
	case "stdout":
		h.stream = Stdout
	case "stderr":
		h.stream = Stderr
	default:
		if _, ok := parseTS(lim[:sp1]); !ok {
			return parseMalformed, "not a CRI or docker json-file log line"
		}
		return parseMalformed, "unknown stream"
	}
	tags := rest[sp2+1:]
	sp3 := bytes.IndexByte(tags, ' ')
	switch {
	case sp3 >= 0:
		h.hdrLen = sp1 + 1 + sp2 + 1 + sp3 + 1
		tags = tags[:sp3]
	case nl >= 0:
		// "<time> <stream> F\n": no delimiter before the (empty) content.
		h.hdrLen = nl
	default:
		return short("no tag")
	}
	if i := bytes.IndexByte(tags, ':'); i >= 0 {
		tags = tags[:i]
	}
	// Unknown tags count as full lines, for forward compatibility.
	h.partial = len(tags) == 1 && tags[0] == 'P'
	h.format = formatCRI
	h.ts = time.Time{}
	if want == Both || want == h.stream {
		t, ok := parseTS(lim[:sp1])
		if !ok {
			return parseMalformed, "invalid timestamp"
		}
		h.ts = t
	}
	return parseOK, ""
}

var (
	errJSONEOF = errors.New("truncated JSON line")
	errJSONBad = errors.New("invalid JSON line")
)

type byteSource interface {
	ReadByte() (byte, error)
}

// jsonScanner is a streaming parser for docker json-file lines. It never holds
// the "log" value in memory: it is either discarded while scanning or decoded
// into a sink.
type jsonScanner struct {
	r      byteSource
	n      int64 // bytes consumed
	back   bool
	last   byte
	err    error // read error other than io.EOF
	small  [64]byte
	nsmall int
	// log value decoding
	sink    func([]byte) bool
	out     [4096]byte
	nout    int
	stopped bool
	logLen  int64
	logLast byte
}

func (s *jsonScanner) next() (byte, bool) {
	if s.back {
		s.back = false
		s.n++
		return s.last, true
	}
	c, err := s.r.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return 0, false
	}
	s.n++
	s.last = c
	return c, true
}

func (s *jsonScanner) unread() {
	s.back = true
	s.n--
}

func (s *jsonScanner) skipWS() (byte, bool) {
	for {
		c, ok := s.next()
		if !ok {
			return 0, false
		}
		switch c {
		case ' ', '\t', '\r':
			continue
		}
		return c, true
	}
}

// emit appends decoded bytes of the current string value.
func (s *jsonScanner) emit(p ...byte) {
	for _, c := range p {
		s.logLen++
		s.logLast = c
		switch s.sink {
		case nil:
			if s.nsmall < len(s.small) {
				s.small[s.nsmall] = c
			}
			s.nsmall++
		default:
			if s.nout == len(s.out) {
				s.flush()
			}
			s.out[s.nout] = c
			s.nout++
		}
	}
}

func (s *jsonScanner) flush() {
	if s.nout > 0 && !s.stopped {
		if !s.sink(s.out[:s.nout]) {
			s.stopped = true
		}
	}
	s.nout = 0
}

func hexVal(c byte) (rune, bool) {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0'), true
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10, true
	}
	return 0, false
}

func (s *jsonScanner) hex4() (rune, error) {
	var r rune
	for range 4 {
		c, ok := s.next()
		if !ok {
			return 0, errJSONEOF
		}
		v, ok := hexVal(c)
		if !ok {
			return 0, errJSONBad
		}
		r = r<<4 | v
	}
	return r, nil
}

func (s *jsonScanner) emitRune(r rune) {
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	s.emit(b[:n]...)
}

// str decodes a string value whose opening quote has been consumed. Raw bytes,
// including invalid UTF-8, pass through unchanged; escapes are decoded as
// encoding/json does.
func (s *jsonScanner) str() error {
	var high rune // pending high surrogate
	for {
		c, ok := s.next()
		if !ok {
			return errJSONEOF
		}
		if high != 0 && c != '\\' {
			s.emitRune(utf8.RuneError)
			high = 0
		}
		switch c {
		case '"':
			return nil
		case '\n':
			return errJSONBad
		case '\\':
		default:
			s.emit(c)
			continue
		}
		e, ok := s.next()
		if !ok {
			return errJSONEOF
		}
		if high != 0 && e != 'u' {
			s.emitRune(utf8.RuneError)
			high = 0
		}
		switch e {
		case '"', '\\', '/':
			s.emit(e)
		case 'b':
			s.emit('\b')
		case 'f':
			s.emit('\f')
		case 'n':
			s.emit('\n')
		case 'r':
			s.emit('\r')
		case 't':
			s.emit('\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return err
			}
			switch {
			case high != 0 && utf16.IsSurrogate(r) && r >= 0xDC00:
				s.emitRune(utf16.DecodeRune(high, r))
				high = 0
			case high != 0:
				s.emitRune(utf8.RuneError)
				high = 0
				fallthrough
			default:
				if r >= 0xD800 && r < 0xDC00 {
					high = r
				} else if utf16.IsSurrogate(r) {
					s.emitRune(utf8.RuneError)
				} else {
					s.emitRune(r)
				}
			}
		default:
			return errJSONBad
		}
	}
}

// skipValue skips any JSON value; c is its first byte.
func (s *jsonScanner) skipValue(c byte) error {
	depth := 0
	for {
		switch {
		case c == '"':
			s.nsmall = 0
			if err := s.str(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				return errJSONBad
			}
			depth--
		case c == ',' || c == ':' || c == ' ' || c == '\t' || c == '\r':
			if depth == 0 {
				return errJSONBad
			}
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			for {
				d, ok := s.next()
				if !ok {
					return errJSONEOF
				}
				if !(d == '-' || d == '+' || d == '.' || (d >= '0' && d <= '9') || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) {
					s.unread()
					break
				}
			}
		case c == '\n':
			return errJSONBad
		default:
			return errJSONBad
		}
		if depth == 0 {
			return nil
		}
		var ok bool
		if c, ok = s.next(); !ok {
			return errJSONEOF
		}
	}
}

// scanJSONLine parses one docker json-file line from r, up to and including
// its '\n'. The "log" value is only measured; decodeJSONString writes it out.
func scanJSONLine(r byteSource) (h header, st parseStatus, reason string) {
	s := &jsonScanner{r: r}
	h.format = formatJSON
	h.logOff = -1
	fail := func(err error) (header, parseStatus, string) {
		h.lineLen = s.n
		if errors.Is(err, errJSONEOF) {
			return h, parseIncomplete, "truncated JSON line"
		}
		return h, parseMalformed, "invalid JSON line"
	}
	c, ok := s.skipWS()
	if !ok {
		return fail(errJSONEOF)
	}
	if c != '{' {
		return fail(errJSONBad)
	}
	var haveStream, haveTime bool
	c, ok = s.skipWS()
	if !ok {
		return fail(errJSONEOF)
	}
	for c != '}' {
		if c != '"' {
			return fail(errJSONBad)
		}
		s.nsmall = 0
		if err := s.str(); err != nil {
			return fail(err)
		}
		key := ""
		if s.nsmall <= len(s.small) {
			key = string(s.small[:s.nsmall])
		}
		if c, ok = s.skipWS(); !ok {
			return fail(errJSONEOF)
		} else if c != ':' {
			return fail(errJSONBad)
		}
		if c, ok = s.skipWS(); !ok {
			return fail(errJSONEOF)
		}
		switch {
		case key == "log" && c == '"':
			h.logOff = s.n - 1
			s.nsmall = 0
			s.logLen = 0
			if err := s.str(); err != nil {
				return fail(err)
			}
			h.partial = s.logLen == 0 || s.logLast != '\n'
		case key == "stream" && c == '"':
			s.nsmall = 0
			if err := s.str(); err != nil {
				return fail(err)
			}
			switch string(s.small[:min(s.nsmall, len(s.small))]) {
			case "stdout":
				h.stream = Stdout
			case "stderr":
				h.stream = Stderr
			default:
				h.stream = 0
			}
			haveStream = s.nsmall <= len(s.small) && h.stream != 0
		case key == "time" && c == '"':
			s.nsmall = 0
			if err := s.str(); err != nil {
				return fail(err)
			}
			if s.nsmall <= len(s.small) {
				h.ts, haveTime = parseTS(s.small[:s.nsmall])
			}
		default:
			if err := s.skipValue(c); err != nil {
				return fail(err)
			}
		}
		if c, ok = s.skipWS(); !ok {
			return fail(errJSONEOF)
		}
		switch c {
		case ',':
			if c, ok = s.skipWS(); !ok {
				return fail(errJSONEOF)
			}
			if c == '}' {
				return fail(errJSONBad)
			}
		case '}':
		default:
			return fail(errJSONBad)
		}
	}
	// After the object only blanks may follow on the line.
	for {
		c, ok := s.next()
		if !ok {
			if s.err != nil {
				return fail(errJSONEOF)
			}
			h.lineLen = s.n
			h.complete = false
			break
		}
		if c == '\n' {
			h.lineLen = s.n
			h.complete = true
			break
		}
		if c != ' ' && c != '\t' && c != '\r' {
			return fail(errJSONBad)
		}
	}
	switch {
	case h.logOff < 0:
		return h, parseMalformed, "no log field"
	case !haveStream:
		return h, parseMalformed, "no valid stream field"
	case !haveTime:
		return h, parseMalformed, "no valid time field"
	}
	return h, parseOK, ""
}

// decodeJSONString decodes the JSON string starting at r (at its opening
// quote) into sink. It returns false if sink asked to stop.
func decodeJSONString(r byteSource, sink func([]byte) bool) (bool, error) {
	s := &jsonScanner{r: r, sink: sink}
	if c, ok := s.next(); !ok || c != '"' {
		return true, errJSONBad
	}
	err := s.str()
	s.flush()
	if s.err != nil {
		err = s.err
	}
	return !s.stopped, err
}
