package watch

import (
	"bytes"
	"strings"
	"testing"
)

func TestScreenPlain(t *testing.T) {
	var b bytes.Buffer
	s := NewScreen(&b, false, nil, "\n")
	for _, f := range []string{"A  B\n1  2\n", "A  B\n3  4\n"} {
		if err := s.Show([]byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "A  B\n1  2\n\nA  B\n3  4\n" {
		t.Errorf("blocks %q", got)
	}
	if s.Redraws() {
		t.Error("redraws off a terminal")
	}
}

func TestScreenRedraw(t *testing.T) {
	var b bytes.Buffer
	s := NewScreen(&b, true, func() (int, int, bool) { return 8, 4, true }, "\n")
	if err := s.Close(); err != nil || b.Len() != 0 {
		t.Errorf("Close before any frame wrote %q", b.String())
	}
	if err := s.Show([]byte("HEADER LONGER THAN EIGHT\nr1\nr2\nr3\nr4\n")); err != nil {
		t.Fatal(err)
	}
	// 4 rows: two lines, the note, the last row left free
	want := hideCursor + clearScreen + home + "HEADER L" + clearEOL + "\n" + "r1" + clearEOL + "\n" + "... 3 mo" + clearEOL + "\n" + clearBelow
	if got := b.String(); got != want {
		t.Errorf("first frame\n got %q\nwant %q", got, want)
	}
	b.Reset()
	if err := s.Show([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != home+"x"+clearEOL+"\n"+clearBelow {
		t.Errorf("next frame %q", got)
	}
	b.Reset()
	_ = s.Close()
	_ = s.Close()
	if b.String() != showCursor {
		t.Errorf("Close wrote %q", b.String())
	}
}

func TestScreenUnknownSize(t *testing.T) {
	var b bytes.Buffer
	s := NewScreen(&b, true, func() (int, int, bool) { return 0, 0, false }, "")
	frame := strings.Repeat("a long line that is not clipped\n", 50)
	if err := s.Show([]byte(frame)); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "a long line that is not clipped"+clearEOL) != 50 {
		t.Errorf("frame not drawn whole: %q", b.String())
	}
}

func TestClip(t *testing.T) {
	for in, want := range map[string]string{
		"abcdef":   "abcd",
		"ab":       "ab",
		"日本語":      "日本",
		"a日本":      "a日",
		"▁▂▃▄▅▆▇█": "▁▂▃▄",
	} {
		if got := string(clip([]byte(in), 4)); got != want {
			t.Errorf("clip(%q) = %q, want %q", in, got, want)
		}
	}
}
