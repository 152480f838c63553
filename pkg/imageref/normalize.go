package imageref

import "strings"

// Normalize is the one normal form of an image reference, for comparing
// what a user typed with the names a runtime stores: busybox and
// index.docker.io/library/busybox are docker.io/library/busybox:latest; a
// reference with a tag or digest keeps it. The registry is told apart by
// Parse's rules (splitDomain), but nothing is validated: runtimes may store
// names Parse would refuse, and they must still compare.
func Normalize(s string) string {
	name, digest, hasDigest := strings.Cut(s, "@")
	domain, rest := splitDomain(name)
	name = domain + "/" + rest
	if hasDigest {
		return name + "@" + digest
	}
	if _, tag := SplitRepoTag(name); tag == "" {
		name += ":latest"
	}
	return name
}

// SplitRepoTag splits repo:tag at the tag's colon, not a registry port's;
// tag is "" when there is none.
func SplitRepoTag(s string) (repo, tag string) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.ContainsRune(s[i:], '/') {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// HasTag reports whether a reference names a tag or a digest.
func HasTag(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	_, tag := SplitRepoTag(ref)
	return tag != ""
}
