package redact

import (
	"io"
)

// Writer replaces the Redactor's literal secrets in a stream. It holds
// back at most the length of the longest secret less one byte between
// writes (a secret may be split across two writes), so memory stays
// bounded whatever the stream's length. Close writes what is held back;
// it does not close the underlying writer.
type Writer struct {
	r      *Redactor
	w      io.Writer
	lits   [][]byte
	marker []byte
	keep   int
	buf    []byte
	out    []byte
	n      int
	err    error
}

// Writer returns a Writer to w that replaces the literal secrets known now.
func (r *Redactor) Writer(w io.Writer) *Writer {
	x := &Writer{r: r, w: w, lits: r.literals(), marker: []byte(r.marker)}
	for _, l := range x.lits {
		x.keep = max(x.keep, len(l)-1)
	}
	return x
}

// Write implements io.Writer; the count is of p's bytes, consumed.
func (x *Writer) Write(p []byte) (int, error) {
	if x.err != nil {
		return 0, x.err
	}
	if len(x.lits) == 0 {
		return x.w.Write(p)
	}
	x.buf = append(x.buf, p...)
	limit := len(x.buf) - x.keep
	if limit <= 0 {
		return len(p), nil
	}
	var n, consumed int
	x.out, n, consumed = replaceLiterals(x.out[:0], x.buf, x.lits, x.marker, limit)
	x.n += n
	if _, err := x.w.Write(x.out); err != nil {
		x.err = err
		return 0, err
	}
	x.buf = append(x.buf[:0], x.buf[consumed:]...)
	return len(p), nil
}

// Close writes what is held back and adds the replacements to the
// Redactor's counts.
func (x *Writer) Close() error {
	if x.err != nil {
		return x.err
	}
	if len(x.buf) > 0 {
		out, n, _ := replaceLiterals(nil, x.buf, x.lits, x.marker, len(x.buf))
		x.n += n
		x.buf = x.buf[:0]
		if _, err := x.w.Write(out); err != nil {
			x.err = err
			return err
		}
	}
	x.r.count(RuleLiteral, x.n)
	x.n = 0
	return nil
}
