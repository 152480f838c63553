// Package selector parses and evaluates Kubernetes label selectors, the
// set-based syntax of `kubectl get -l`, for `crictl ps/pods --selector`.
//
// A selector is a comma-separated list of requirements, all of which must
// hold:
//
//	key=value  key==value  key!=value
//	key in (v1,v2)  key notin (v1,v2)
//	key  !key
//	key>N  key<N
//
// Whitespace around tokens is ignored. != and notin also match when the label
// is absent; > and < need the label to hold a decimal integer. "key in ()" is
// "key in ("")", as in Kubernetes.
//
// Keys are qualified names: an optional DNS-subdomain prefix (at most 253
// characters) and a slash, then a name of at most 63 characters of letters,
// digits, '-', '_' and '.', starting and ending with a letter or digit. Values
// are empty or follow the name rule. N is a decimal integer (negative numbers
// are allowed, unlike Kubernetes).
//
// The CRI list filters only do exact-match AND, so callers send
// [Selector.Equalities] to the runtime and run [Selector.Matches] on every
// result. The package does not import k8s.io/apimachinery.
package selector
