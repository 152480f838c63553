// Package config reads, resolves and edits crictl's configuration: the
// crictl.yaml file, the environment and the global command-line flags.
//
// # Precedence
//
// For every setting: flag > environment > file > default. [Resolve] does the
// whole resolution in one call and reports where each value came from.
//
//   - runtime-endpoint: --runtime-endpoint/-r, CONTAINER_RUNTIME_ENDPOINT, file.
//   - image-endpoint: --image-endpoint/-i, IMAGE_SERVICE_ENDPOINT, file. When it
//     is set nowhere, [Resolved.ImageEndpoint] is empty and its source is
//     [FromDefault]; the caller then uses the runtime endpoint.
//   - timeout, debug, max-retries: flag, file. pull-image-on-create and
//     disable-pull-on-run: file only.
//   - The file itself: --config/-c, CRI_CONFIG_FILE, [DefaultPath]. A missing
//     default file means "no file"; a missing file named by the flag or the
//     environment is an error. Nothing is looked up next to the executable.
//
// An empty environment variable counts as unset. An empty endpoint in the
// file (the reference writes `image-endpoint: ""`) counts as unset. A timeout
// of zero or less, from any source, counts as unset. An empty string given to
// an endpoint or --config flag is an error rather than a silent fallback.
//
// Defaults ([Default]) never depend on whether a file exists: only a
// `max-retries:` key in the file changes max-retries.
//
// # File format
//
// A YAML mapping with at most the seven keys of [Keys]. Parsing is strict, and
// every error names the file and, when known, the line ("path:line: ..."):
// unknown keys, duplicate keys, values of the wrong type (booleans are exactly
// true or false; endpoints are strings), missing values (`debug:`), a top
// level that is not a mapping, several YAML documents, anchors, aliases,
// explicit tags, control characters, UTF-16 or binary content, and files over
// [MaxFileSize]. An empty file, or one holding only comments, yields the
// defaults.
//
// timeout is integer seconds (what the reference reads) or a Go duration such
// as 500ms; [ParseTimeout] implements both for the --timeout flag as well.
//
// # Editing
//
// [File.Set] changes one key and keeps everything else in the file as it was:
// comments, blank lines and key order. It patches the value in place when it
// can and otherwise re-encodes the YAML node tree (comments and key order
// survive, blank lines between keys may not). [File.Save] writes atomically
// with mode 0600. [File.Get] and [File.List] return effective values: the
// file's value when the key is present, the default otherwise; they never
// create a file.
//
// The package never dials, prints or reads os.Args; the environment is read
// through the getter passed to [Resolve].
package config
