package watch

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	xwidth "golang.org/x/text/width"
)

// The terminal controls a Screen writes, on a terminal only.
const (
	hideCursor  = "\x1b[?25l"
	showCursor  = "\x1b[?25h"
	clearScreen = "\x1b[2J"
	home        = "\x1b[H"
	clearEOL    = "\x1b[K"
	clearBelow  = "\x1b[J"
)

// Size reports the terminal's width and height; ok is false when they are
// not known (the frame is then drawn whole).
type Size func() (cols, rows int, ok bool)

// Screen shows the frames of a watch on w.
type Screen struct {
	w io.Writer
	// redraw: a table on a terminal, drawn in place.
	redraw bool
	size   Size
	sep    []byte
	shown  bool
	buf    bytes.Buffer
}

// NewScreen returns a screen that redraws frames in place when redraw is
// set (a table on a terminal; size gives the window, may be nil) and
// otherwise writes each frame after the one before, separated by sep.
func NewScreen(w io.Writer, redraw bool, size Size, sep string) *Screen {
	return &Screen{w: w, redraw: redraw, size: size, sep: []byte(sep)}
}

// Redraws reports whether frames are drawn in place.
func (s *Screen) Redraws() bool { return s.redraw }

// Show writes one frame: lines ending in "\n".
func (s *Screen) Show(frame []byte) error {
	s.buf.Reset()
	if !s.redraw {
		if s.shown {
			s.buf.Write(s.sep)
		}
		s.buf.Write(frame)
	} else {
		s.draw(frame)
	}
	s.shown = true
	_, err := s.w.Write(s.buf.Bytes())
	if err == nil {
		if f, ok := s.w.(interface{ Flush() error }); ok {
			err = f.Flush()
		}
	}
	return err
}

func (s *Screen) draw(frame []byte) {
	if !s.shown {
		s.buf.WriteString(hideCursor + clearScreen)
	}
	s.buf.WriteString(home)
	cols, rows, ok := 0, 0, false
	if s.size != nil {
		cols, rows, ok = s.size()
	}
	lines := bytes.SplitAfter(frame, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	more := 0
	// The last row of the window stays free: writing into it scrolls.
	if ok && rows > 1 && len(lines) > rows-1 {
		keep := max(rows-2, 0)
		more = len(lines) - keep
		lines = lines[:keep]
	}
	for _, l := range lines {
		l = bytes.TrimSuffix(l, []byte("\n"))
		if ok && cols > 0 {
			l = clip(l, cols)
		}
		s.buf.Write(l)
		s.buf.WriteString(clearEOL + "\n")
	}
	if more > 0 {
		note := fmt.Sprintf("... %d more lines: narrow the selection (--namespace, --label) or enlarge the window", more)
		if ok && cols > 0 {
			note = string(clip([]byte(note), cols))
		}
		s.buf.WriteString(note + clearEOL + "\n")
	}
	s.buf.WriteString(clearBelow)
}

// Close shows the cursor again after frames drawn in place; it is safe to
// call more than once and after nothing was shown.
func (s *Screen) Close() error {
	if !s.redraw || !s.shown {
		return nil
	}
	s.shown = false
	_, err := io.WriteString(s.w, showCursor)
	if err == nil {
		if f, ok := s.w.(interface{ Flush() error }); ok {
			err = f.Flush()
		}
	}
	return err
}

// clip cuts a line to cols terminal columns (wide characters count two).
func clip(l []byte, cols int) []byte {
	w := 0
	for i := 0; i < len(l); {
		r, n := utf8.DecodeRune(l[i:])
		rw := 1
		if r >= 0x80 {
			if k := xwidth.LookupRune(r).Kind(); k == xwidth.EastAsianWide || k == xwidth.EastAsianFullwidth {
				rw = 2
			}
		}
		if w+rw > cols {
			return l[:i]
		}
		w += rw
		i += n
	}
	return l
}
