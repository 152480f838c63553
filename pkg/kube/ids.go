package kube

import (
	"fmt"
	"strings"
)

// MaxNameLen is the longest ID or name an argument may be: Kubernetes
// names are DNS subdomains of at most 253 characters, CRI IDs 64 hex
// digits.
const MaxNameLen = 253

// IsFullID reports whether s looks like a full CRI ID: 64 lower-case hex
// digits.
func IsFullID(s string) bool {
	return len(s) == 64 && IsHex(s)
}

// IsHex reports whether s is a non-empty run of lower-case hex digits, as
// IDs and ID prefixes are.
func IsHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckArg rejects an argument that can never name a kind ("container",
// "pod") before any RPC: empty, whitespace, control characters, slashes,
// absurd lengths.
func CheckArg(kind, arg string) error {
	switch {
	case strings.TrimSpace(arg) == "":
		return fmt.Errorf("empty %s ID or name", kind)
	case len(arg) > MaxNameLen:
		return fmt.Errorf("%s ID or name is %d bytes long; IDs are 64 hex digits and names at most %d characters", kind, len(arg), MaxNameLen)
	case strings.ContainsAny(arg, "/\x00 \t\n"):
		return fmt.Errorf("%s ID or name %q contains a character IDs and names never have", kind, arg)
	case arg == "." || arg == "..":
		return fmt.Errorf("%s ID or name %q is a path, not an ID or name", kind, arg)
	}
	return nil
}
