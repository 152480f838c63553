package selector

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

type tokenKind int

const (
	tEOF tokenKind = iota
	tWord
	tIn
	tNotIn
	tNot      // !
	tEq       // =
	tDoubleEq // ==
	tNotEq    // !=
	tGreater  // >
	tLess     // <
	tOpenPar  // (
	tClosePar // )
	tComma    // ,
)

type token struct {
	kind       tokenKind
	text       string
	start, end int // byte offsets in the source
}

func (t token) String() string {
	if t.kind == tEOF {
		return "end of selector"
	}
	return strconv.Quote(t.text)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

var specialTokens = map[byte]tokenKind{
	'!': tNot, '=': tEq, '>': tGreater, '<': tLess, '(': tOpenPar, ')': tClosePar, ',': tComma,
}

func isSpecial(c byte) bool {
	_, ok := specialTokens[c]
	return ok
}

// lex splits s into tokens as the Kubernetes lexer does: a word is any run of
// bytes that are neither blank nor one of !=<>(), and the words "in" and
// "notin" are keywords. The result always ends with a tEOF token.
func lex(s string) []token {
	var toks []token
	i := 0
	for {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, start: i, end: i})
		}
		start := i
		var kind tokenKind
		switch c := s[i]; {
		case (c == '!' || c == '=') && i+1 < len(s) && s[i+1] == '=':
			kind = tNotEq
			if c == '=' {
				kind = tDoubleEq
			}
			i += 2
		case isSpecial(c):
			kind = specialTokens[c]
			i++
		default:
			for i < len(s) && !isSpace(s[i]) && !isSpecial(s[i]) {
				i++
			}
			switch s[start:i] {
			case "in":
				kind = tIn
			case "notin":
				kind = tNotIn
			default:
				kind = tWord
			}
		}
		toks = append(toks, token{kind: kind, text: s[start:i], start: start, end: i})
	}
}

var equalityOps = map[tokenKind]operator{tEq: opEquals, tDoubleEq: opDoubleEquals, tNotEq: opNotEquals}

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) parse() (Selector, error) {
	var sel Selector
	if p.peek().kind == tEOF {
		return sel, nil
	}
	for {
		start := p.peek().start
		r, err := p.requirement()
		if err != nil {
			return Selector{}, err
		}
		sel.reqs = append(sel.reqs, r)
		end := p.toks[p.pos-1].end
		switch t := p.next(); t.kind {
		case tEOF:
			return sel, nil
		case tComma:
			if p.peek().kind == tEOF {
				return Selector{}, errors.New(`trailing ","`)
			}
		default:
			return Selector{}, fmt.Errorf(`unexpected %v after %q (requirements are separated by ",")`, t, p.src[start:end])
		}
	}
}

func isWord(t token) bool { return t.kind == tWord || t.kind == tIn || t.kind == tNotIn }

func (p *parser) requirement() (requirement, error) {
	t := p.next()
	switch {
	case t.kind == tNot:
		k := p.next()
		if k.kind != tWord {
			return requirement{}, fmt.Errorf(`"!" must be followed by a key, found %v`, k)
		}
		if err := validateKey(k.text); err != nil {
			return requirement{}, err
		}
		if n := p.peek(); n.kind != tComma && n.kind != tEOF {
			return requirement{}, fmt.Errorf(`unexpected %v after "!%s" ("!key" takes no operator)`, n, k.text)
		}
		return requirement{key: k.text, op: opNotExists}, nil
	case t.kind != tWord:
		return requirement{}, fmt.Errorf(`expected a key or "!", found %v`, t)
	}

	key := t.text
	if err := validateKey(key); err != nil {
		return requirement{}, err
	}
	r := requirement{key: key}
	op := p.peek()
	switch op.kind {
	case tEOF, tComma:
		r.op = opExists
		return r, nil
	case tEq, tDoubleEq, tNotEq:
		p.next()
		r.op = equalityOps[op.kind]
		v := p.peek()
		switch {
		case v.kind == tEOF || v.kind == tComma:
			r.values = []string{""}
		case isWord(v):
			p.next()
			if err := validateValue(key, v.text); err != nil {
				return requirement{}, err
			}
			r.values = []string{v.text}
		default:
			return requirement{}, fmt.Errorf("expected a value after %q, found %v", key+op.text, v)
		}
		return r, nil
	case tIn, tNotIn:
		p.next()
		r.op = opIn
		if op.kind == tNotIn {
			r.op = opNotIn
		}
		if t := p.next(); t.kind != tOpenPar {
			return requirement{}, fmt.Errorf(`expected "(" after %q, found %v`, key+" "+op.text, t)
		}
		values, err := p.valueList(key)
		if err != nil {
			return requirement{}, err
		}
		r.values = values
		return r, nil
	case tGreater, tLess:
		p.next()
		r.op = opGreaterThan
		if op.kind == tLess {
			r.op = opLessThan
		}
		v := p.next()
		if !isWord(v) {
			return requirement{}, fmt.Errorf("expected an integer after %q, found %v", key+op.text, v)
		}
		n, err := strconv.ParseInt(v.text, 10, 64)
		if err != nil {
			return requirement{}, fmt.Errorf("value %q after %q is not an integer", v.text, key+op.text)
		}
		r.num = n
		return r, nil
	}
	return requirement{}, fmt.Errorf(`unexpected %v after key %q (expected =, ==, !=, in, notin, >, < or ",")`, op, key)
}

// valueList parses "v1,v2)" after "(". As in Kubernetes, an empty entry is
// the empty value: "()" is {""} and "(a,)" is {a, ""}.
func (p *parser) valueList(key string) ([]string, error) {
	var values []string
	expectValue := true
	for {
		t := p.next()
		switch {
		case t.kind == tEOF:
			return nil, errors.New(`missing ")"`)
		case expectValue && isWord(t):
			if err := validateValue(key, t.text); err != nil {
				return nil, err
			}
			values = append(values, t.text)
			expectValue = false
		case expectValue && (t.kind == tComma || t.kind == tClosePar):
			values = append(values, "")
			if t.kind == tClosePar {
				return values, nil
			}
		case !expectValue && t.kind == tComma:
			expectValue = true
		case !expectValue && t.kind == tClosePar:
			return values, nil
		case expectValue:
			return nil, fmt.Errorf("expected a value in the list for %q, found %v", key, t)
		default:
			return nil, fmt.Errorf(`expected "," or ")" in the list for %q, found %v`, key, t)
		}
	}
}

const nameRule = `letters, digits, "-", "_" and ".", starting and ending with a letter or digit`

func validateKey(key string) error {
	prefix, name, hasPrefix := strings.Cut(key, "/")
	if !hasPrefix {
		name, prefix = prefix, ""
	}
	switch {
	case strings.Contains(name, "/"):
		return fmt.Errorf(`invalid key %q: at most one "/" is allowed`, key)
	case hasPrefix && prefix == "":
		return fmt.Errorf(`invalid key %q: empty prefix before "/"`, key)
	case len(prefix) > 253:
		return fmt.Errorf("invalid key %q: prefix is longer than 253 characters", key)
	case hasPrefix && !isDNSSubdomain(prefix):
		return fmt.Errorf("invalid key %q: prefix must be a lowercase DNS subdomain such as example.com", key)
	case name == "":
		return fmt.Errorf("invalid key %q: empty name", key)
	case len(name) > 63:
		return fmt.Errorf("invalid key %q: name is longer than 63 characters", key)
	case !isName(name):
		return fmt.Errorf("invalid key %q: name must be %s", key, nameRule)
	}
	return nil
}

func validateValue(key, value string) error {
	switch {
	case len(value) > 63:
		return fmt.Errorf("invalid value %q for %q: longer than 63 characters", value, key)
	case value != "" && !isName(value):
		return fmt.Errorf("invalid value %q for %q: must be empty or %s", value, key, nameRule)
	}
	return nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isName reports whether s matches ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9].
func isName(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isDNSSubdomain reports whether s is dot-separated lowercase RFC 1123 labels.
func isDNSSubdomain(s string) bool {
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
