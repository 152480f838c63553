package selector

import (
	"fmt"
	"strconv"
	"strings"
)

type operator int

const (
	opExists operator = iota
	opNotExists
	opEquals       // key=value
	opDoubleEquals // key==value
	opNotEquals
	opIn
	opNotIn
	opGreaterThan
	opLessThan
)

type requirement struct {
	key    string
	op     operator
	values []string // one for the (not-)equals operators, one or more for in/notin
	num    int64    // for > and <
}

// Selector is a parsed label selector. The zero value is the empty selector,
// which matches everything.
type Selector struct {
	reqs []requirement
}

// Parse parses a label selector. An empty or all-blank string is the empty
// selector. Errors are one line: `invalid selector "...": reason`.
func Parse(s string) (Selector, error) {
	p := parser{src: s, toks: lex(s)}
	sel, err := p.parse()
	if err != nil {
		return Selector{}, fmt.Errorf("invalid selector %q: %w", s, err)
	}
	return sel, nil
}

// Empty reports whether the selector has no requirements.
func (s Selector) Empty() bool { return len(s.reqs) == 0 }

// Matches reports whether labels satisfy every requirement.
func (s Selector) Matches(labels map[string]string) bool {
	for _, r := range s.reqs {
		if !r.matches(labels) {
			return false
		}
	}
	return true
}

func (r requirement) matches(labels map[string]string) bool {
	v, ok := labels[r.key]
	switch r.op {
	case opExists:
		return ok
	case opNotExists:
		return !ok
	case opEquals, opDoubleEquals, opIn:
		return ok && contains(r.values, v)
	case opNotEquals, opNotIn:
		return !ok || !contains(r.values, v)
	case opGreaterThan, opLessThan:
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return false
		}
		if r.op == opGreaterThan {
			return n > r.num
		}
		return n < r.num
	}
	return false
}

func contains(values []string, v string) bool {
	for _, x := range values {
		if x == v {
			return true
		}
	}
	return false
}

// Equalities returns the requirements that pin a label to one value
// (key=value, key==value, and key in (value)), for the CRI filter. It returns
// nil when there are none. When a key is pinned twice, the first value is
// returned; Matches then rejects everything anyway.
func (s Selector) Equalities() map[string]string {
	var m map[string]string
	for _, r := range s.reqs {
		switch {
		case r.op == opEquals, r.op == opDoubleEquals, r.op == opIn && len(r.values) == 1:
		default:
			continue
		}
		if m == nil {
			m = make(map[string]string)
		}
		if _, dup := m[r.key]; !dup {
			m[r.key] = r.values[0]
		}
	}
	return m
}

// String returns the selector in a form Parse accepts, requirements in their
// original order.
func (s Selector) String() string {
	var b strings.Builder
	for i, r := range s.reqs {
		if i > 0 {
			b.WriteByte(',')
		}
		switch r.op {
		case opExists:
			b.WriteString(r.key)
		case opNotExists:
			b.WriteString("!" + r.key)
		case opEquals:
			b.WriteString(r.key + "=" + r.values[0])
		case opDoubleEquals:
			b.WriteString(r.key + "==" + r.values[0])
		case opNotEquals:
			b.WriteString(r.key + "!=" + r.values[0])
		case opIn, opNotIn:
			b.WriteString(r.key)
			if r.op == opIn {
				b.WriteString(" in (")
			} else {
				b.WriteString(" notin (")
			}
			b.WriteString(strings.Join(r.values, ","))
			b.WriteByte(')')
		case opGreaterThan:
			b.WriteString(r.key + ">" + strconv.FormatInt(r.num, 10))
		case opLessThan:
			b.WriteString(r.key + "<" + strconv.FormatInt(r.num, 10))
		}
	}
	return b.String()
}
