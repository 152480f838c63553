// Package imageref validates and normalizes image references
// (NAME[:TAG][@DIGEST]) by the grammar of the distribution project, which
// containerd and the registries use, before anything is sent to a runtime.
//
// It is a small hand-written parser rather than
// github.com/distribution/reference, whose package-level regular
// expressions (and go-digest's) cost about a millisecond of start-up on
// every run of every command; a test checks that both accept the same
// references and normalize them the same way.
package imageref

import (
	"errors"
	"fmt"
	"strings"
)

const (
	// DefaultDomain is the registry of familiar names such as "busybox".
	DefaultDomain = "docker.io"
	// maxPathLen is the longest repository path (after docker.io's
	// "library/" is added).
	maxPathLen = 255
	maxTagLen  = 128
)

// Reference is a parsed, normalized image reference.
type Reference struct {
	// Domain is the registry host[:port]; familiar names get docker.io.
	// It is empty for the rare names whose first component is not a
	// valid host but still a valid path (see Parse).
	Domain string
	// Path is the repository path: library/busybox, org/app.
	Path string
	// Tag and Digest are as given (either or both may be empty).
	Tag    string
	Digest string
}

// Name is the normalized repository name, domain/path.
func (r Reference) Name() string {
	if r.Domain == "" {
		return r.Path
	}
	return r.Domain + "/" + r.Path
}

// String is the normalized reference: docker.io/library/busybox:1.36.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Error is an invalid reference.
type Error struct{ Msg string }

func (e *Error) Error() string { return "invalid reference format: " + e.Msg }

func invalid(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Parse validates s and normalizes familiar names ("busybox" is
// docker.io/library/busybox, "index.docker.io/x/y" is docker.io/x/y). It
// accepts exactly what distribution's ParseNormalizedNamed accepts.
func Parse(s string) (Reference, error) {
	switch {
	case s == "":
		return Reference{}, invalid("the image name is empty")
	case isIdentifier(s):
		return Reference{}, invalid("%s is a 64-digit image ID, not a name (image IDs cannot be pulled)", s)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		return Reference{}, invalid("%q contains a space or control character", s)
	}
	nameTag, digest, hasDigest := strings.Cut(s, "@")
	if hasDigest && strings.Contains(digest, "/") {
		// USER:PASSWORD@registry/image: never echo what may be a password.
		return Reference{}, invalid("an image name has no USER:PASSWORD@ part; give credentials with --creds, --username or a docker config.json")
	}
	domain, rest := splitDomain(nameTag)
	// The repository ends at the first ':' of what follows the domain.
	remote, tag, hasTag := strings.Cut(rest, ":")
	if strings.ToLower(remote) != remote {
		return Reference{}, invalid("repository name %s must be lowercase", remote)
	}
	if hasTag && !validTag(tag) {
		return Reference{}, invalid("tag %q is invalid: up to %d letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag, maxTagLen)
	}
	if hasDigest {
		if err := validDigest(digest); err != nil {
			return Reference{}, err
		}
	}
	ref := Reference{Tag: tag, Digest: digest}
	full := domain + "/" + remote
	// The grammar's name is [host[:port]/]path: the first component is a
	// host when it can be one, else the whole name must be a path.
	if first, path, _ := strings.Cut(full, "/"); validHost(first) && validPath(path) {
		ref.Domain, ref.Path = first, path
	} else if validPath(full) {
		ref.Path = full
	} else {
		return Reference{}, invalid("%s is not a valid repository name: lowercase letters and digits separated by '.', '_', '__', '-' or '/', after an optional registry host[:port]/", remote)
	}
	if len(ref.Path) > maxPathLen {
		return Reference{}, invalid("repository name must not be more than %d characters", maxPathLen)
	}
	return ref, nil
}

// Registry is the registry host a reference names, for matching
// credentials: "docker.io" for familiar names.
func (r Reference) Registry() string {
	return r.Domain
}

// splitDomain separates the registry from the rest as docker does: the
// first component is a registry when it contains '.' or ':', is
// "localhost", or has upper-case letters; otherwise the name is on
// docker.io, under library/ when it has a single component.
func splitDomain(name string) (domain, remainder string) {
	first, rest, ok := strings.Cut(name, "/")
	switch {
	case !ok:
		return DefaultDomain, "library/" + name
	case first == "index.docker.io":
		domain, remainder = DefaultDomain, rest
	case first == "localhost", strings.ContainsAny(first, ".:"), strings.ToLower(first) != first:
		domain, remainder = first, rest
	default:
		domain, remainder = DefaultDomain, name
	}
	if domain == DefaultDomain && !strings.Contains(remainder, "/") {
		remainder = "library/" + remainder
	}
	return domain, remainder
}

func isIdentifier(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerHex(s[i]) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }
func isAlnum(c byte) bool    { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// validTag: [\w][\w.-]{0,127}.
func validTag(t string) bool {
	if t == "" || len(t) > maxTagLen || !isWord(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if !isWord(t[i]) && t[i] != '.' && t[i] != '-' {
			return false
		}
	}
	return true
}

// validPath: component ('/' component)*, where a component is
// [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*.
func validPath(p string) bool {
	for _, c := range strings.Split(p, "/") {
		if !validComponent(c) {
			return false
		}
	}
	return true
}

func validComponent(c string) bool {
	if c == "" || !isAlnum(c[0]) || !isAlnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if isAlnum(c[i]) {
			i++
			continue
		}
		// A separator: '.', '_', "__" or a run of '-', between alphanumerics.
		j := i
		switch c[i] {
		case '.':
			j++
		case '_':
			j++
			if j < len(c) && c[j] == '_' {
				j++
			}
		case '-':
			for j < len(c) && c[j] == '-' {
				j++
			}
		default:
			return false
		}
		if j >= len(c) || !isAlnum(c[j]) {
			return false
		}
		i = j
	}
	return true
}

// validHost: (domain-name | '[' ipv6 ']') (':' port)?, where a
// domain-name is labels of letters, digits and inner '-' joined by '.'.
func validHost(h string) bool {
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		host, port = h[:end+1], h[end+1:]
		inner := host[1:end]
		if inner == "" || strings.Trim(inner, "0123456789abcdefABCDEF:") != "" {
			return false
		}
	} else {
		if i := strings.IndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i:]
		}
		for _, label := range strings.Split(host, ".") {
			if !validLabel(label) {
				return false
			}
		}
	}
	if port != "" {
		if port[0] != ':' || len(port) == 1 || strings.Trim(port[1:], "0123456789") != "" {
			return false
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" {
		return false
	}
	alnum := func(c byte) bool { return isAlnum(c) || c >= 'A' && c <= 'Z' }
	if !alnum(l[0]) || !alnum(l[len(l)-1]) {
		return false
	}
	for i := 1; i < len(l)-1; i++ {
		if !alnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

// digestLen is the hex length of a supported digest algorithm, else 0.
func digestLen(alg string) int {
	switch alg {
	case "sha256":
		return 64
	case "sha384":
		return 96
	case "sha512":
		return 128
	}
	return 0
}

// validDigest: algorithm ':' hex, where the algorithm is one of those
// registries support and the hex is lowercase and of its length.
func validDigest(d string) error {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || !validAlgorithm(alg) || len(hex) < 32 || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
		return invalid("digest %q is invalid: want sha256: and 64 lowercase hex digits", d)
	}
	n := digestLen(alg)
	switch {
	case n == 0:
		return invalid("digest algorithm %q is not supported: use sha256, sha384 or sha512", alg)
	case len(hex) != n:
		return invalid("digest %q is invalid: %s needs %d hex digits, not %d", d, alg, n, len(hex))
	case strings.ToLower(hex) != hex:
		return invalid("digest %q is invalid: hex digits must be lowercase", d)
	}
	return nil
}

// validAlgorithm: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*.
func validAlgorithm(a string) bool {
	letter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	if a == "" {
		return false
	}
	for _, part := range strings.FieldsFunc(a, func(r rune) bool { return strings.ContainsRune("-_+.", r) }) {
		if !letter(part[0]) {
			return false
		}
		for i := 1; i < len(part); i++ {
			if !letter(part[i]) && !(part[i] >= '0' && part[i] <= '9') {
				return false
			}
		}
	}
	// FieldsFunc drops empty parts: separators must not lead, trail or pair.
	return !strings.ContainsAny(a[:1], "-_+.") && !strings.ContainsAny(a[len(a)-1:], "-_+.") && !hasDoubleSep(a)
}

func hasDoubleSep(a string) bool {
	for i := 1; i < len(a); i++ {
		if strings.IndexByte("-_+.", a[i]) >= 0 && strings.IndexByte("-_+.", a[i-1]) >= 0 {
			return true
		}
	}
	return false
}

// IsInvalid reports whether err is an invalid reference.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
