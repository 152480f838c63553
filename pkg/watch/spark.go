package watch

import "strings"

// levels are the eight heights of a sparkline.
var levels = []rune("▁▂▃▄▅▆▇█")

// Spark draws values (oldest first) as a sparkline, one character each.
// From zero to the highest value when fromZero (CPU, where the level
// itself matters); otherwise between the lowest and the highest, so that
// memory creeping up by a tenth shows as a climb, while a spread under 5%
// of the highest value (noise) stays flat at the top.
func Spark(values []float64, fromZero bool) string {
	if len(values) == 0 {
		return ""
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	if fromZero || lo < 0 {
		lo = 0
	}
	span := hi - lo
	if !fromZero {
		span = max(span, hi*0.05)
		lo = hi - span
	}
	var b strings.Builder
	b.Grow(len(values) * 3)
	for _, v := range values {
		i := 0
		if span > 0 {
			i = int((v - lo) / span * float64(len(levels)-1))
		}
		b.WriteRune(levels[min(max(i, 0), len(levels)-1)])
	}
	return b.String()
}

// History keeps the last values of each row, for Spark. Rows not updated
// in a round are forgotten when the round ends, so its memory follows the
// rows on screen, not how long the watch has run.
type History struct {
	n    int
	rows map[string]*series
	// round counts the rounds; a series remembers the last it was seen in.
	round int
}

type series struct {
	vals []float64 // a ring of at most n values
	next int       // where the next value goes once full
	seen int
}

// NewHistory keeps n values per row.
func NewHistory(n int) *History {
	return &History{n: max(n, 1), rows: map[string]*series{}}
}

// Add records the value of a row and returns its last values, oldest first
// (the slice is the caller's).
func (h *History) Add(key string, v float64) []float64 {
	s := h.rows[key]
	if s == nil {
		s = &series{vals: make([]float64, 0, h.n)}
		h.rows[key] = s
	}
	s.seen = h.round
	if len(s.vals) < h.n {
		s.vals = append(s.vals, v)
		return append([]float64(nil), s.vals...)
	}
	s.vals[s.next] = v
	s.next = (s.next + 1) % h.n
	out := make([]float64, 0, h.n)
	out = append(out, s.vals[s.next:]...)
	return append(out, s.vals[:s.next]...)
}

// EndRound forgets the rows not added to since the previous EndRound.
func (h *History) EndRound() {
	for k, s := range h.rows {
		if s.seen != h.round {
			delete(h.rows, k)
		}
	}
	h.round++
}

// Len is the number of rows remembered.
func (h *History) Len() int { return len(h.rows) }
