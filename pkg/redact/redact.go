package redact

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Markers replace a secret.
const (
	// Debug is -D's marker.
	Debug = "[REDACTED]"
	// Marker is the marker of bundles and of --redact.
	Marker = "<redacted>"
)

// MinSecret is the shortest value Secret keeps as a literal secret:
// shorter ones ("1", "yes") would blank out unrelated text.
const MinSecret = 4

// minLearnt is the shortest value a Redactor learns from what its rules
// replaced: a value under a secret-looking key may be "true" or "1",
// which must not disappear from every log line.
const minLearnt = 6

// notLearnt are values under secret-looking keys that are settings, not
// secrets, and common words in logs.
var notLearnt = map[string]bool{"enabled": true, "disabled": true, "required": true, "optional": true, "default": true, "always": true}

// learnable reports whether a replaced value is worth replacing in free
// text: long enough, not a number, a path or a common setting.
func learnable(v string) bool {
	return len(v) >= minLearnt && strings.Trim(v, "0123456789.") != "" && !strings.HasPrefix(v, "/") && !notLearnt[strings.ToLower(v)]
}

// maxSecrets bounds the literal secrets a Redactor keeps.
const maxSecrets = 4096

// Rule names one redaction rule in the counts.
type Rule string

// The rules; see the package documentation.
const (
	RuleCredential Rule = "credential"
	RuleKey        Rule = "key"
	RuleEnv        Rule = "env"
	RuleURL        Rule = "url"
	RuleLiteral    Rule = "literal"
)

// secretWords are the parts of names of values that look like
// credentials: registry auth fields, env variables such as DB_PASSWORD,
// annotations such as token. Matched in any case, anywhere in the name (a
// regular expression did the same ten times slower, on every key).
var secretWords = []string{"pass", "secret", "token", "key", "auth", "cred", "cert", "private", "session", "cookie", "dsn"}

// notSecret are names that match secretKey but name no secret: containerd's
// snapshotKey is the container's ID.
var notSecret = map[string]bool{"snapshotkey": true}

// SecretKey reports whether a key, variable or annotation name looks like
// it names a secret.
func SecretKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i] | 0x20 // ASCII lower case; the words are letters only
		for _, w := range secretWords {
			if c == w[0] && len(k)-i >= len(w) && strings.EqualFold(k[i:i+len(w)], w) {
				return !notSecret[strings.ToLower(k)]
			}
		}
	}
	return false
}

// credentialFields are AuthConfig's fields that always hold secrets.
var credentialFields = map[protoreflect.Name]bool{
	"password": true, "auth": true, "identity_token": true, "registry_token": true,
}

// urlUserinfo matches scheme://user:password@ in text; group 1 keeps
// everything before the password. Compiled on first use, not in every
// run's start-up: most runs redact nothing.
var urlUserinfo = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)([^/?#@\s]+)@`)
})

// Redactor replaces secrets with its marker and counts what it replaced.
// It is safe for concurrent use.
type Redactor struct {
	marker string
	learn  bool

	mu      sync.Mutex
	counts  map[Rule]int
	secrets map[string]bool
}

// New returns a Redactor writing marker in place of secrets. With learn,
// every value it replaces becomes a literal secret too, so that later
// Text and Writer calls replace the same value in free text (a log line
// that prints a password an env variable holds).
func New(marker string, learn bool) *Redactor {
	return &Redactor{marker: marker, learn: learn, counts: map[Rule]int{}, secrets: map[string]bool{}}
}

// Marker is what replaces a secret.
func (r *Redactor) Marker() string { return r.marker }

// Counts returns how many values each rule replaced so far.
func (r *Redactor) Counts() map[Rule]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.counts)
}

// Total is the number of values replaced so far.
func (r *Redactor) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.counts {
		n += c
	}
	return n
}

// Secret adds literal secrets: values replaced wherever they appear in
// Text and Writer. Values shorter than MinSecret are ignored.
func (r *Redactor) Secret(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		r.addSecretLocked(v)
	}
}

func (r *Redactor) addSecretLocked(v string) {
	if len(strings.TrimSpace(v)) < MinSecret || v == r.marker || len(r.secrets) >= maxSecrets {
		return
	}
	r.secrets[v] = true
}

// replaced counts one replacement of value by rule, learning the value.
func (r *Redactor) replaced(rule Rule, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[rule]++
	if r.learn && learnable(value) {
		r.addSecretLocked(value)
	}
}

// literal replaces the literal secrets in a string left by the rules.
func (r *Redactor) literal(lits [][]byte, s string) (string, bool) {
	if len(lits) == 0 || s == "" {
		return s, false
	}
	out, n, _ := replaceLiterals(nil, []byte(s), lits, []byte(r.marker), len(s))
	if n == 0 {
		return s, false
	}
	r.count(RuleLiteral, n)
	return string(out), true
}

func (r *Redactor) count(rule Rule, n int) {
	if n == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[rule] += n
}

// Message returns a copy of m with credentials and secret-looking values
// replaced: AuthConfig secrets, env entries and map entries whose key
// looks secret, passwords in URLs, and the same inside JSON documents
// carried in string maps (the runtime's verbose info, e.g. containerd's
// registry auth config or the runtime spec's process env); then the
// literal secrets known when it starts, in every string. m is not
// changed.
func (r *Redactor) Message(m proto.Message) proto.Message {
	c := proto.Clone(m)
	r.message(c.ProtoReflect())
	if lits := r.literals(); len(lits) > 0 {
		r.literalsIn(c.ProtoReflect(), lits)
	}
	return c
}

// literalsIn replaces literal secrets in every string of m (after the
// rules: a replaced value is the marker by then). JSON documents in
// string maps are looked into as JSON, so they stay JSON.
func (r *Redactor) literalsIn(m protoreflect.Message, lits [][]byte) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			mp := v.Map()
			switch fd.MapValue().Kind() {
			case protoreflect.MessageKind:
				mp.Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					r.literalsIn(mv.Message(), lits)
					return true
				})
			case protoreflect.StringKind:
				editStrings(mp, func(_, s string) (string, bool) {
					if strings.HasPrefix(strings.TrimSpace(s), "{") {
						return r.jsonLiterals(s, lits)
					}
					return r.literal(lits, s)
				})
			}
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.MessageKind:
					r.literalsIn(l.Get(i).Message(), lits)
				case protoreflect.StringKind:
					if out, ok := r.literal(lits, l.Get(i).String()); ok {
						l.Set(i, protoreflect.ValueOfString(out))
					}
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			r.literalsIn(v.Message(), lits)
		case fd.Kind() == protoreflect.StringKind:
			if out, ok := r.literal(lits, v.String()); ok {
				m.Set(fd, protoreflect.ValueOfString(out))
			}
		case fd.Kind() == protoreflect.BytesKind:
			if out, ok := r.literal(lits, string(v.Bytes())); ok {
				m.Set(fd, protoreflect.ValueOfBytes([]byte(out)))
			}
		}
		return true
	})
}

// jsonLiterals replaces literal secrets in the strings of a JSON document
// held in a string.
func (r *Redactor) jsonLiterals(s string, lits [][]byte) (string, bool) {
	v, ok := decodeJSON(s)
	if !ok {
		return r.literal(lits, s)
	}
	changed := false
	v = walkStrings(v, func(str string) string {
		out, ok := r.literal(lits, str)
		changed = changed || ok
		return out
	})
	if !changed {
		return s, false
	}
	out, err := Marshal(v)
	if err != nil {
		return s, false
	}
	return string(out), true
}

// walkStrings replaces every string value (not object keys) of a decoded
// JSON value through f.
func walkStrings(v any, f func(string) string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			t[k] = walkStrings(val, f)
		}
	case []any:
		for i, val := range t {
			t[i] = walkStrings(val, f)
		}
	case string:
		return f(t)
	}
	return v
}

func decodeJSON(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

func (r *Redactor) message(m protoreflect.Message) {
	isKV := m.Descriptor().Name() == "KeyValue"
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			r.protoMap(fd, v.Map())
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				r.message(l.Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind:
			r.message(v.Message())
		case fd.Kind() == protoreflect.StringKind && credentialFields[fd.Name()] && v.String() != "":
			r.replaced(RuleCredential, v.String())
			m.Set(fd, protoreflect.ValueOfString(r.marker))
		case isKV && fd.Name() == "value" && SecretKey(m.Get(m.Descriptor().Fields().ByName("key")).String()):
			if fd.Kind() == protoreflect.BytesKind {
				if len(v.Bytes()) > 0 {
					r.replaced(RuleEnv, string(v.Bytes()))
					m.Set(fd, protoreflect.ValueOfBytes([]byte(r.marker)))
				}
			} else if v.String() != "" {
				r.replaced(RuleEnv, v.String())
				m.Set(fd, protoreflect.ValueOfString(r.marker))
			}
		}
		return true
	})
}

func (r *Redactor) protoMap(fd protoreflect.FieldDescriptor, mp protoreflect.Map) {
	switch fd.MapValue().Kind() {
	case protoreflect.MessageKind:
		mp.Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
			r.message(mv.Message())
			return true
		})
	case protoreflect.StringKind:
		editStrings(mp, func(k, s string) (string, bool) {
			switch {
			case s == "":
			case SecretKey(k):
				r.replaced(RuleKey, s)
				return r.marker, true
			case strings.HasPrefix(strings.TrimSpace(s), "{"):
				return r.jsonString(s)
			default:
				return r.urls(s)
			}
			return s, false
		})
	}
}

// editStrings replaces the values of a string map that edit changes,
// after the walk (a Map must not change while Range walks it).
func editStrings(mp protoreflect.Map, edit func(k, v string) (string, bool)) {
	type change struct {
		k protoreflect.MapKey
		v string
	}
	var changes []change
	mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
		if out, ok := edit(k.String(), mv.String()); ok {
			changes = append(changes, change{k, out})
		}
		return true
	})
	for _, c := range changes {
		mp.Set(c.k, protoreflect.ValueOfString(c.v))
	}
}

// jsonString redacts a JSON document held in a string; ok is false when
// nothing changed or the string is not JSON (it carries no structure to
// redact by).
func (r *Redactor) jsonString(s string) (string, bool) {
	v, ok := decodeJSON(s)
	if !ok {
		return s, false
	}
	before := r.Total()
	v = r.jsonRules(v)
	if r.Total() == before {
		return s, false
	}
	out, err := Marshal(v)
	if err != nil {
		return s, false
	}
	return string(out), true
}

// Marshal encodes a decoded JSON value compactly, without escaping <, >
// and & (the marker has angle brackets).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// JSON redacts a decoded JSON value (maps, slices, strings, numbers as
// float64 or json.Number) in place and returns it: values under
// secret-looking keys, "NAME=VALUE" strings whose NAME looks secret, and
// passwords in URLs; then the literal secrets in every string.
func (r *Redactor) JSON(v any) any {
	v = r.jsonRules(v)
	if lits := r.literals(); len(lits) > 0 {
		v = walkStrings(v, func(s string) string {
			out, _ := r.literal(lits, s)
			return out
		})
	}
	return v
}

func (r *Redactor) jsonRules(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if r.pair(t) {
			return t
		}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if SecretKey(k) {
				t[k] = r.secretValue(t[k])
				continue
			}
			t[k] = r.jsonRules(t[k])
		}
	case []any:
		for i, val := range t {
			t[i] = r.jsonRules(val)
		}
	case string:
		if out, ok := r.env(t); ok {
			return out
		}
		if out, ok := r.urls(t); ok {
			return out
		}
	}
	return v
}

// pair handles an environment entry in the shape of Kubernetes and of the
// CRI config in containerd's info, {"name"|"key": NAME, "value": VALUE}:
// the value goes when NAME looks secret, and the name always stays. It
// reports whether m had that shape.
func (r *Redactor) pair(m map[string]any) bool {
	if len(m) != 2 {
		return false
	}
	val, ok := m["value"]
	if !ok {
		return false
	}
	name, ok := m["name"].(string)
	if !ok {
		if name, ok = m["key"].(string); !ok {
			return false
		}
	}
	if s, isStr := val.(string); isStr && s != "" && SecretKey(name) {
		r.replaced(RuleEnv, s)
		m["value"] = r.marker
		return true
	}
	m["value"] = r.jsonRules(val)
	return true
}

// secretValue redacts a value under a secret-looking key: scalars are
// replaced (an empty string and a boolean carry no secret), objects are
// looked into, arrays element by element.
func (r *Redactor) secretValue(v any) any {
	switch t := v.(type) {
	case nil, bool:
		return v
	case map[string]any:
		return r.jsonRules(t)
	case []any:
		for i, e := range t {
			t[i] = r.secretValue(e)
		}
		return t
	case string:
		if t == "" {
			return t
		}
		r.replaced(RuleKey, t)
	case json.Number:
		r.replaced(RuleKey, t.String())
	default:
		r.replaced(RuleKey, "")
	}
	return r.marker
}

// env redacts an OCI "NAME=VALUE" environment string whose NAME looks
// secret.
func (r *Redactor) env(s string) (string, bool) {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" || val == "" || strings.ContainsAny(k, " /:") || !SecretKey(k) {
		return s, false
	}
	r.replaced(RuleEnv, val)
	return k + "=" + r.marker, true
}

// urls replaces the passwords of URLs in s.
func (r *Redactor) urls(s string) (string, bool) {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s, false
	}
	changed := false
	re := urlUserinfo()
	out := re.ReplaceAllStringFunc(s, func(m string) string {
		sub := re.FindStringSubmatch(m)
		r.replaced(RuleURL, sub[2])
		changed = true
		return sub[1] + r.marker + "@"
	})
	return out, changed
}

// literals returns the literal secrets, longest first.
func (r *Redactor) literals() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, 0, len(r.secrets))
	for s := range r.secrets {
		out = append(out, []byte(s))
	}
	slices.SortFunc(out, func(a, b []byte) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return bytes.Compare(a, b)
	})
	return out
}

// Text returns b with every literal secret replaced (b itself when there
// is none).
func (r *Redactor) Text(b []byte) []byte {
	lits := r.literals()
	out, n, _ := replaceLiterals(nil, b, lits, []byte(r.marker), len(b))
	if n == 0 {
		return b
	}
	r.count(RuleLiteral, n)
	return out
}

// replaceLiterals appends src to dst with the literals replaced by marker,
// stopping before the first match that starts at or after limit; it
// returns how far into src it got.
func replaceLiterals(dst, src []byte, lits [][]byte, marker []byte, limit int) (out []byte, n, consumed int) {
	pos := 0
	for {
		best, bestLen := -1, 0
		for _, l := range lits {
			i := bytes.Index(src[pos:], l)
			if i >= 0 && (best < 0 || i < best) {
				best, bestLen = i, len(l)
			}
		}
		if best < 0 || pos+best >= limit {
			end := max(limit, pos)
			end = min(end, len(src))
			return append(dst, src[pos:end]...), n, end
		}
		dst = append(dst, src[pos:pos+best]...)
		dst = append(dst, marker...)
		pos += best + bestLen
		n++
	}
}

// Fork returns a Redactor with r's marker, learning and literal secrets
// and no counts, for one item of concurrent work; Merge adds what it did
// back into r.
func (r *Redactor) Fork() *Redactor {
	f := New(r.marker, r.learn)
	r.mu.Lock()
	defer r.mu.Unlock()
	maps.Copy(f.secrets, r.secrets)
	return f
}

// Merge adds o's counts and learnt secrets to r.
func (r *Redactor) Merge(o *Redactor) {
	o.mu.Lock()
	counts := maps.Clone(o.counts)
	secrets := slices.Collect(maps.Keys(o.secrets))
	o.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for rule, n := range counts {
		r.counts[rule] += n
	}
	for _, s := range secrets {
		r.addSecretLocked(s)
	}
}
