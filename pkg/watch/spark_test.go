package watch

import (
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestSpark(t *testing.T) {
	for _, c := range []struct {
		vals     []float64
		fromZero bool
		want     string
	}{
		{nil, true, ""},
		{[]float64{0, 0, 0}, true, "▁▁▁"},
		{[]float64{0, 50, 100}, true, "▁▄█"},
		{[]float64{50, 50}, true, "██"},
		// memory creeping up by a tenth climbs
		{[]float64{100, 102.5, 105, 107.5, 110}, false, "▁▂▄▆█"},
		// noise under 5% of the top stays near the top
		{[]float64{100, 100.5, 100, 100.5}, false, "▇█▇█"},
		{[]float64{0, 0}, false, "▁▁"},
	} {
		if got := Spark(c.vals, c.fromZero); got != c.want {
			t.Errorf("Spark(%v, %v) = %q, want %q", c.vals, c.fromZero, got, c.want)
		}
	}
}

func TestHistory(t *testing.T) {
	h := NewHistory(3)
	var got []float64
	for i := range 5 {
		got = h.Add("a", float64(i))
	}
	if !slices.Equal(got, []float64{2, 3, 4}) {
		t.Errorf("last three, oldest first: %v", got)
	}
	got[0] = 99 // the caller's copy
	if again := h.Add("a", 5); !slices.Equal(again, []float64{3, 4, 5}) {
		t.Errorf("after 5: %v", again)
	}
	h.Add("b", 1)
	h.EndRound()
	h.Add("a", 6)
	h.EndRound()
	if h.Len() != 1 {
		t.Errorf("b was not seen in the last round: %d rows left", h.Len())
	}
	if got := h.Add("b", 2); !slices.Equal(got, []float64{2}) {
		t.Errorf("a forgotten row starts afresh: %v", got)
	}
}

// A long watch over rows that come and go holds as many rows as are on
// screen, not as many as were ever seen.
func TestHistoryBounded(t *testing.T) {
	h := NewHistory(10)
	for round := range 1000 {
		for i := range 20 {
			h.Add(fmt.Sprintf("ctr-%d-%d", round/5, i), float64(round))
		}
		h.EndRound()
	}
	if h.Len() != 20 {
		t.Errorf("%d rows remembered, want 20", h.Len())
	}
	// the rows of the last five rounds, and this one
	if n := utf8.RuneCountInString(Spark(h.Add("ctr-199-0", 1), false)); n != 6 {
		t.Errorf("spark of %d", n)
	}
}
