package output

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Escape makes a string from the runtime safe to print on a terminal and in
// a table cell. Every C0 control (newline and tab included), DEL, every C1
// control, bidi overrides and isolates, line and paragraph separators and
// invalid UTF-8 become visible escapes, so nothing the runtime sends can move
// the cursor, change the title, fake a table row or reorder text.
//
// kubectl's escaper (CVE-2021-25743) maps only ESC and CR; that lets BEL,
// backspace, the one-byte CSI U+009B and newlines through.
func Escape(s string) string {
	if !needsEscape(s, false) {
		return s
	}
	return escape(s, false)
}

// EscapeText is Escape for multi-line text such as template output: newlines
// and tabs are kept, everything else Escape maps is still escaped.
func EscapeText(s string) string {
	if !needsEscape(s, true) {
		return s
	}
	return escape(s, true)
}

func needsEscape(s string, keepLayout bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			if keepLayout && (c == '\n' || c == '\t') {
				continue
			}
			return true
		}
		if c >= 0x80 {
			return needsEscapeSlow(s[i:], keepLayout)
		}
	}
	return false
}

func needsEscapeSlow(s string, keepLayout bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return true
		}
		if unsafeRune(r, keepLayout) {
			return true
		}
		i += size
	}
	return false
}

func unsafeRune(r rune, keepLayout bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !keepLayout
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, // ALM, LRM, RLM
		r >= 0x202a && r <= 0x202e, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069, // LRI, RLI, FSI, PDI
		r == 0x2028, r == 0x2029:   // line and paragraph separators
		return true
	}
	return false
}

func escape(s string, keepLayout bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		if !unsafeRune(r, keepLayout) {
			b.WriteRune(r)
			continue
		}
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1b:
			b.WriteString(`^[`)
		default:
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	return b.String()
}

// EscapeWriter escapes text as EscapeText does (newlines and tabs kept,
// every other control character, a carriage return included, shown as a
// visible escape), for text that reaches a terminal in pieces, such as a
// container's log: a UTF-8 sequence split between two writes is held back
// until it is complete. Close writes what is held.
type EscapeWriter struct {
	W       io.Writer
	pending []byte
}

func (e *EscapeWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(e.pending) > 0 {
		p = append(e.pending, p...)
		e.pending = nil
	}
	// Hold back an incomplete UTF-8 sequence at the end.
	if cut := incompleteTail(p); cut < len(p) {
		e.pending = append(e.pending, p[cut:]...)
		p = p[:cut]
	}
	if _, err := io.WriteString(e.W, EscapeText(string(p))); err != nil {
		return 0, err
	}
	return n, nil
}

// Close writes a held incomplete sequence (escaped as invalid UTF-8).
func (e *EscapeWriter) Close() error {
	if len(e.pending) == 0 {
		return nil
	}
	p := e.pending
	e.pending = nil
	_, err := io.WriteString(e.W, EscapeText(string(p)))
	return err
}

// incompleteTail returns where a UTF-8 sequence that starts in the last
// three bytes of p and is not complete begins, or len(p).
func incompleteTail(p []byte) int {
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				return i
			}
			break
		}
	}
	return len(p)
}
