package bundle

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/crictl/crictl/pkg/output"
)

// progress shows one line on a terminal: what is being collected, how
// far, the files and bytes so far against the cap. A nil progress (no
// terminal) does nothing.
type progress struct {
	w    io.Writer
	max  int64
	mu   sync.Mutex
	name string
	count, total,
	files int
	bytes int64
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, maxBytes int64) *progress {
	if w == nil {
		return nil
	}
	return &progress{w: w, max: maxBytes}
}

func (p *progress) phase(name string, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.name, p.count, p.total = name, 0, total
	p.show(true)
}

func (p *progress) step() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.show(false)
}

func (p *progress) file(size int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files++
	p.bytes += size
	p.show(false)
}

// show redraws the line, at most ten times a second unless forced.
func (p *progress) show(force bool) {
	now := time.Now()
	if !force && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	p.shown = true
	fmt.Fprintf(p.w, "\r\x1b[Kcrictl bundle: %s %d/%d; %d files, %s of the %s cap", p.name, p.count, p.total, p.files,
		output.HumanSize(uint64(p.bytes)), output.HumanSize(uint64(p.max)))
}

// done clears the line.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
