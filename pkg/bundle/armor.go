package bundle

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

// The lines around a bundle written as text (--base64), so that it
// survives a container log, where the command's own stderr lines may come
// between its lines: merge takes only the base64 lines between them.
const (
	armorBegin = "-----BEGIN CRICTL BUNDLE-----"
	armorEnd   = "-----END CRICTL BUNDLE-----"
	armorWidth = 76
)

// ArmorWriter writes what it is given as base64 lines of 76 characters
// between armorBegin and armorEnd lines.
type ArmorWriter struct {
	w     io.Writer
	enc   io.WriteCloser
	lines *lineWrapper
	began bool
}

// NewArmorWriter returns an ArmorWriter to w; Close writes the end.
func NewArmorWriter(w io.Writer) *ArmorWriter {
	lw := &lineWrapper{w: w}
	return &ArmorWriter{w: w, lines: lw, enc: base64.NewEncoder(base64.StdEncoding, lw)}
}

func (a *ArmorWriter) begin() error {
	if a.began {
		return nil
	}
	a.began = true
	_, err := io.WriteString(a.w, armorBegin+"\n")
	return err
}

func (a *ArmorWriter) Write(p []byte) (int, error) {
	if err := a.begin(); err != nil {
		return 0, err
	}
	return a.enc.Write(p)
}

// Close flushes the base64 and writes the end line.
func (a *ArmorWriter) Close() error {
	if err := a.begin(); err != nil {
		return err
	}
	if err := a.enc.Close(); err != nil {
		return err
	}
	if err := a.lines.flush(); err != nil {
		return err
	}
	_, err := io.WriteString(a.w, armorEnd+"\n")
	return err
}

// lineWrapper cuts its input into lines of armorWidth, each written whole.
type lineWrapper struct {
	w   io.Writer
	buf []byte
}

func (l *lineWrapper) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for len(l.buf) >= armorWidth {
		line := append(l.buf[:armorWidth:armorWidth], '\n')
		if _, err := l.w.Write(line); err != nil {
			return 0, err
		}
		l.buf = l.buf[armorWidth:]
	}
	return len(p), nil
}

func (l *lineWrapper) flush() error {
	if len(l.buf) == 0 {
		return nil
	}
	_, err := l.w.Write(append(l.buf, '\n'))
	l.buf = nil
	return err
}

// armorReader passes on the base64 lines between the first armorBegin and
// the next armorEnd, leaving out any other line (stderr in a pod's log).
type armorReader struct {
	r     *bufio.Reader
	in    bool
	ended bool
	line  []byte
}

var errNoArmor = errors.New("no " + armorBegin + " line: not a bundle written with --base64")

func (a *armorReader) Read(p []byte) (int, error) {
	for len(a.line) == 0 {
		if a.ended {
			return 0, io.EOF
		}
		s, err := a.r.ReadString('\n')
		if err != nil && s == "" {
			if !a.in {
				return 0, errNoArmor
			}
			return 0, io.ErrUnexpectedEOF
		}
		s = strings.TrimRight(s, "\r\n")
		switch {
		case !a.in:
			a.in = s == armorBegin
		case s == armorEnd:
			a.ended = true
		case isBase64(s):
			a.line = []byte(s)
		}
	}
	n := copy(p, a.line)
	a.line = a.line[n:]
	return n, nil
}

func isBase64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
