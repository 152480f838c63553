package stream

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// DefaultDetachKeys are docker's and the reference crictl's.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// ParseDetachKeys reads docker's detach-key syntax: a comma-separated
// sequence of keys, each a single character or ctrl-<c> where c is a
// letter or one of @ [ \ ] ^ _. The empty string disables detaching.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var keys []byte
	for _, part := range strings.Split(s, ",") {
		k, ok := detachKey(part)
		if !ok {
			return nil, fmt.Errorf("invalid detach key %q in %q: use a single character or ctrl-<letter> (also ctrl-@, ctrl-[, ctrl-\\, ctrl-], ctrl-^, ctrl-_), comma-separated, e.g. %s", part, s, DefaultDetachKeys)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func detachKey(part string) (byte, bool) {
	if len(part) == 1 && part[0] >= 0x20 && part[0] < 0x7f {
		return part[0], true
	}
	if len(part) != 6 || !strings.EqualFold(part[:5], "ctrl-") {
		return 0, false
	}
	c := part[5]
	switch {
	case c >= 'a' && c <= 'z':
		return c - 'a' + 1, true
	case c >= 'A' && c <= 'Z':
		return c - 'A' + 1, true
	case c == '@':
		return 0, true
	case c >= '[' && c <= '_': // [ \ ] ^ _
		return c - '[' + 27, true
	}
	return 0, false
}

// escapeReader passes its input through but holds back bytes that may be
// the start of the detach sequence; the whole sequence ends the input with
// ErrDetached, a partial one followed by anything else is passed on.
type escapeReader struct {
	r       io.Reader
	keys    []byte
	held    []byte
	pending []byte
	err     error
	buf     []byte
}

// NewEscapeReader returns r with the detach sequence keys recognised.
func NewEscapeReader(r io.Reader, keys []byte) io.Reader {
	return &escapeReader{r: r, keys: keys}
}

func (e *escapeReader) Read(p []byte) (int, error) {
	for len(e.pending) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if cap(e.buf) < len(p) {
			e.buf = make([]byte, len(p))
		}
		n, err := e.r.Read(e.buf[:len(p)])
		for _, b := range e.buf[:n] {
			e.held = append(e.held, b)
			for len(e.held) > 0 && !bytes.HasPrefix(e.keys, e.held) {
				e.pending = append(e.pending, e.held[0])
				e.held = e.held[1:]
			}
			if len(e.held) == len(e.keys) {
				e.held = nil
				e.err = ErrDetached
				break
			}
		}
		if err != nil && e.err == nil {
			// The input ended: what was held back was not the sequence.
			e.pending = append(e.pending, e.held...)
			e.held = nil
			e.err = err
		}
	}
	n := copy(p, e.pending)
	e.pending = e.pending[n:]
	return n, nil
}
