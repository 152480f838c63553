package bundle

import (
	"path"
	"strconv"
	"strings"
)

// maxComponent bounds one path component of a bundle; a suffix that makes
// it unique may add 13 bytes.
const maxComponent = 100

// component turns a name from the runtime (a namespace, a pod or
// container name: any bytes at all) into one safe path component: letters,
// digits, '.', '_' and '-' kept, anything else '_', at most maxComponent
// bytes, never empty, "." or "..".
func component(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < maxComponent; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" || strings.Trim(out, ".") == "" {
		out = "_" + out
	}
	return out
}

// shortID is the first 12 characters of an ID, made safe.
func shortID(id string) string {
	return component(id[:min(len(id), 12)])
}

// unique gives each of several names in one directory a distinct
// component: the first of a name (in the caller's order) keeps it, the
// others get "_" and a short ID. ids must be distinct.
func unique(names, ids []string) []string {
	out := make([]string, len(names))
	seen := map[string]bool{}
	for i, n := range names {
		c := component(n)
		if seen[c] {
			base := component(c[:min(len(c), maxComponent-13)] + "_" + shortID(ids[i]))
			c = base
			for k := 2; seen[c]; k++ {
				c = component(base[:min(len(base), maxComponent-8)] + "-" + strconv.Itoa(k))
			}
		}
		seen[c] = true
		out[i] = c
	}
	return out
}

// validMember reports whether name is a member path a bundle may hold:
// relative, clean, no "..", no empty or dot components, no NUL.
func validMember(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) || path.Clean(name) != name {
		return false
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}
