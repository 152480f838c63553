package output

import (
	"fmt"
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
