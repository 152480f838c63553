package output

import (
	"bufio"
	"io"
	"strings"

	"unicode"

	xwidth "golang.org/x/text/width"
)

// gutter separates table columns.
const gutter = "   "

// Table is a borderless, left-aligned table with upper-case headers, the
// layout of the reference's tables: columns separated by three spaces, no
// trailing blanks. Cells are escaped when added.
type Table struct {
	header []string
	rows   [][]string
}

// NewTable starts a table with the given column headers.
func NewTable(header ...string) *Table {
	return &Table{header: header}
}

// Row adds one row; missing cells are empty, each cell is escaped.
func (t *Table) Row(cells ...string) {
	row := make([]string, len(t.header))
	for i := range row {
		if i < len(cells) {
			row[i] = Escape(cells[i])
		}
	}
	t.rows = append(t.rows, row)
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// Write renders the table, without the header line when noHeaders is set.
func (t *Table) Write(w io.Writer, noHeaders bool) error {
	widths := make([]int, len(t.header))
	if !noHeaders {
		for i, h := range t.header {
			widths[i] = width(h)
		}
	}
	for _, r := range t.rows {
		for i, c := range r {
			if n := width(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	var line []byte
	emit := func(cells []string) {
		line = line[:0]
		for i, c := range cells {
			if i > 0 {
				line = append(line, gutter...)
			}
			line = append(line, c...)
			if i < len(cells)-1 {
				for pad := widths[i] - width(c); pad > 0; pad-- {
					line = append(line, ' ')
				}
			}
		}
		line = append(trimRight(line), '\n')
		_, _ = bw.Write(line) // a failed write is reported by Flush
	}
	if !noHeaders {
		emit(t.header)
	}
	for _, r := range t.rows {
		emit(r)
	}
	return bw.Flush()
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// width is the display width of an escaped cell; cells are almost always
// ASCII, where it is the length. Escaped cells hold no control characters.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return wideWidth(s)
		}
	}
	return len(s)
}

// wideWidth counts East Asian wide and fullwidth runes as two columns and
// combining marks as none. golang.org/x/text/width has no package
// initialisation, unlike go-runewidth (0.13 ms at every start).
func wideWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		case isWide(r):
			n += 2
		default:
			n++
		}
	}
	return n
}

// KV writes "Key: value" lines, the reference's verbose and inspect-table
// layout. Values are escaped.
type KV struct {
	b strings.Builder
}

// Add appends one line.
func (k *KV) Add(key, value string) {
	k.b.WriteString(key)
	k.b.WriteByte(':')
	if value != "" {
		k.b.WriteByte(' ')
		k.b.WriteString(Escape(value))
	}
	k.b.WriteByte('\n')
}

// Header appends "Title:" introducing Entry lines.
func (k *KV) Header(title string) {
	k.b.WriteString(title)
	k.b.WriteString(":\n")
}

// Entry appends "\tkey -> value", a map entry under a Header.
func (k *KV) Entry(key, value string) {
	k.b.WriteByte('\t')
	k.b.WriteString(Escape(key))
	k.b.WriteString(" -> ")
	k.b.WriteString(Escape(value))
	k.b.WriteByte('\n')
}

// Line appends a line of its own (a title without a colon).
func (k *KV) Line(s string) {
	k.b.WriteString(Escape(s))
	k.b.WriteByte('\n')
}

// Blank appends an empty line (between blocks).
func (k *KV) Blank() { k.b.WriteByte('\n') }

// WriteTo writes the lines.
func (k *KV) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, k.b.String())
	return int64(n), err
}

func isWide(r rune) bool {
	k := xwidth.LookupRune(r).Kind()
	return k == xwidth.EastAsianWide || k == xwidth.EastAsianFullwidth
}
