package bundle

import (
	"io"
	"strings"
	"testing"
)

func ringContents(t *testing.T, g *ring) (string, bool) {
	t.Helper()
	r, size, cut, err := g.contents()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Fatalf("contents: %d bytes, size says %d", len(b), size)
	}
	return string(b), cut
}

// The ring keeps the newest bytes, from a line start, in memory and, past
// memRing, in an unlinked file.
func TestRing(t *testing.T) {
	t.Parallel()
	var text strings.Builder
	for i := range 1000 {
		text.WriteString(strings.Repeat("x", i%50) + "|\n")
	}
	all := text.String()
	for _, limit := range []int64{int64(len(all)) + 10, 1000, 999, 64, 3} {
		for _, chunk := range []int{1, 7, 4096, len(all)} {
			g := &ring{}
			if err := g.reset(limit); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(all); i += chunk {
				if _, err := g.Write([]byte(all[i:min(i+chunk, len(all))])); err != nil {
					t.Fatal(err)
				}
			}
			got, cut := ringContents(t, g)
			switch {
			case limit >= int64(len(all)):
				if got != all || cut {
					t.Errorf("limit %d chunk %d: not everything kept", limit, chunk)
				}
			default:
				tail := all[int64(len(all))-limit:]
				if i := strings.IndexByte(tail, '\n'); i >= 0 && i+1 < len(tail) {
					tail = tail[i+1:]
				}
				if got != tail || !cut {
					t.Errorf("limit %d chunk %d: %q, want %q", limit, chunk, got, tail)
				}
			}
		}
	}
}

func TestRingFile(t *testing.T) {
	t.Parallel()
	g := &ring{}
	defer g.close()
	limit := int64(memRing + 100)
	if err := g.reset(limit); err != nil {
		t.Fatal(err)
	}
	if g.f == nil {
		t.Fatalf("a tail over %d bytes is not in a file", memRing)
	}
	line := strings.Repeat("y", 99) + "\n"
	for range (memRing / 100) + 50 {
		if _, err := g.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	got, cut := ringContents(t, g)
	if !cut || len(got)%100 != 0 || int64(len(got)) > limit || !strings.HasPrefix(got, "yyy") {
		t.Errorf("file ring: %d bytes, cut %v", len(got), cut)
	}
	// Reused for a smaller log: memory again, nothing left of the last.
	if err := g.reset(10); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write([]byte("ab\ncd")); err != nil {
		t.Fatal(err)
	}
	if got, cut := ringContents(t, g); got != "ab\ncd" || cut {
		t.Errorf("after reuse: %q %v", got, cut)
	}
}
