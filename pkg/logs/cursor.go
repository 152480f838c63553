package logs

import (
	"bytes"
	"time"
)

// filter selects logical lines by the timestamp of their first chunk.
type filter struct {
	since, until time.Time
	stopAfter    time.Time // until plus slack: nothing later can qualify
}

func (f *filter) ok(t time.Time) bool {
	return (f.since.IsZero() || !t.Before(f.since)) && (f.until.IsZero() || !t.After(f.until))
}

// cursor yields the logical lines of one stream of one source. A logical line
// is a run of P chunks ended by a non-P chunk of the same stream; chunks of
// the other stream may sit between them in the file.
type cursor struct {
	src        *source
	stream     Stream
	r          *lineReader
	filt       *filter
	skipping   bool // inside a logical line that is not printed
	discarding bool // the rest of the current physical line is dropped
	head       physLine
	hasHead    bool
	finished   bool
	la         *lookahead
	sink       func([]byte) bool
	out        *output
}

// lookahead checks, in follow mode, that a logical line is complete in the
// file before its first byte is printed, so that a line is printed once and
// whole. It resumes where it stopped, so a growing line is scanned once.
type lookahead struct {
	r          *lineReader
	discarding bool
	terminal   bool
	done       bool
}

// peek finds the start of the next logical line to print. It returns false
// when there is none for now (see finished).
func (c *cursor) peek() bool {
	if c.finished {
		return false
	}
	if c.hasHead {
		return c.complete()
	}
	for {
		if c.r.lost {
			c.r.lost = false
			c.hasHead, c.la = false, nil
			c.discarding, c.skipping = false, false
		}
		if c.discarding {
			if ended, _ := c.r.consume(nil, false); !ended {
				return false
			}
			c.discarding = false
			continue
		}
		pl, st := c.r.next()
		switch st {
		case stLost:
			continue
		case stErr:
			c.finished = true
			return false
		case stEOF:
			if c.r.endsAtEOF() {
				c.finished = true
			}
			return false
		case stWait:
			return false
		case stBad:
			c.discarding = true
			continue
		}
		if pl.stream != c.stream {
			c.discarding = !c.r.drop(&pl)
			continue
		}
		if c.skipping {
			c.discarding = !c.r.drop(&pl)
			c.skipping = pl.partial
			continue
		}
		if !c.filt.stopAfter.IsZero() && pl.ts.After(c.filt.stopAfter) {
			c.finished = true
			return false
		}
		if !c.filt.ok(pl.ts) {
			c.discarding = !c.r.drop(&pl)
			c.skipping = pl.partial
			continue
		}
		c.head, c.hasHead = pl, true
		return c.complete()
	}
}

func (c *cursor) complete() bool {
	h := &c.head
	if c.r.final || c.r.snapshot {
		return true
	}
	if !h.partial {
		if h.format == formatJSON {
			return true
		}
		if b, _ := c.r.br.Peek(c.r.br.Buffered()); bytes.IndexByte(b, '\n') >= 0 {
			return true
		}
	}
	la := c.la
	if la == nil {
		la = &lookahead{r: c.r.clone()}
		c.la = la
	}
	for !la.done {
		if la.discarding {
			if ended, _ := la.r.consume(nil, false); !ended {
				return false
			}
			la.discarding = false
			la.done = la.terminal
			continue
		}
		pl, st := la.r.next()
		switch st {
		case stEOF, stWait, stErr, stLost:
			return false
		case stBad:
			la.discarding = true
			continue
		}
		la.terminal = pl.stream == c.stream && !pl.partial
		la.discarding = !la.r.drop(&pl)
		la.done = la.terminal && !la.discarding
	}
	return true
}

// emit prints the logical line found by peek, or drops it when o is nil.
// It returns true when output must stop.
func (c *cursor) emit(o *output) bool {
	pl := c.head
	c.hasHead = false
	c.la = nil
	var sink func([]byte) bool
	if o != nil {
		if !o.startLine(c.stream, pl.ts, c.src.prefix) {
			return true
		}
		if c.out != o {
			c.out = o
			c.sink = func(p []byte) bool { return o.write(c.stream, p) }
		}
		sink = c.sink
	}
	for {
		ended, stop := c.r.content(&pl, sink)
		if stop {
			return true
		}
		if c.r.lost {
			return false
		}
		if !ended {
			// Only a file changing under us gets here: the lookahead saw the
			// whole line. Drop the rest rather than print it as a new line.
			c.discarding = true
			return false
		}
		if !pl.partial {
			return false
		}
		if !c.nextChunk(&pl) {
			return false
		}
	}
}

// nextChunk finds the next chunk of the cursor's stream.
func (c *cursor) nextChunk(pl *physLine) bool {
	for {
		next, st := c.r.next()
		switch st {
		case stEOF, stWait, stErr, stLost:
			// The file ends inside a logical line: print it as it is.
			return false
		case stBad:
			if ended, _ := c.r.consume(nil, false); !ended {
				c.discarding = true
				return false
			}
			continue
		}
		if next.stream != c.stream {
			if !c.r.drop(&next) {
				c.discarding = true
				return false
			}
			continue
		}
		*pl = next
		return true
	}
}
