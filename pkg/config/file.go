package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crictl/crictl/pkg/hostroot"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// MaxFileSize is the largest config file Load accepts.
const MaxFileSize = 1 << 20

// File is a parsed config file. It keeps the file's text so that Set can
// change one value and leave the rest of the file as the user wrote it.
type File struct {
	Path string

	raw     []byte
	doc     *yaml.Node // nil when the file holds no YAML document
	entries []entry    // in file order; one per key, the last when repeated
	vals    Config     // values of the keys present; other fields are zero
	// warnings are what the reference accepts silently and crictl
	// mentions: keys it does not know (ignored), keys set twice.
	warnings []string
}

// Warnings are the problems that do not stop the file from being used,
// each "path:line: ..." or "path: ...": unknown keys (ignored, as a newer
// crictl's keys must not break an older one) and repeated keys (the last
// counts, as in the reference).
func (f *File) Warnings() []string { return f.warnings }

type entry struct {
	key       string
	keyNode   *yaml.Node
	valueNode *yaml.Node
}

// fileError is an error about a config file: "path:line: msg", or
// "path: msg" when no line applies.
type fileError struct {
	path string
	line int
	msg  string
	err  error
}

func (e *fileError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.path, e.line, e.msg)
	}
	return e.path + ": " + e.msg
}

func (e *fileError) Unwrap() error { return e.err }

func osError(path string, err error) error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &fileError{path: path, msg: msg, err: err}
}

// New returns an empty File for path, for creating a config file with Set
// and Save. It does not touch the file system.
func New(path string) *File { return &File{Path: path} }

// Load reads and parses the config file at path. Every error names path;
// when the file does not exist, errors.Is(err, fs.ErrNotExist) holds.
func Load(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, osError(path, err)
	}
	if fi.IsDir() {
		return nil, &fileError{path: path, msg: "is a directory, not a config file"}
	}
	// Refusing FIFOs and sockets keeps Load from blocking; character devices
	// stay allowed because CRI_CONFIG_FILE=/dev/null is a common idiom.
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeCharDevice == 0 {
		return nil, &fileError{path: path, msg: "not a regular file"}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, osError(path, err)
	}
	return read(path, fh)
}

// loadUnder reads the config file at the host path p inside root (see
// package hostroot): links resolve inside it, and only a regular file is
// read.
func loadUnder(root *hostroot.Root, p string) (*File, error) {
	fh, err := root.Open(p)
	if err != nil {
		return nil, err // it names p and the root
	}
	return read(root.Path(p), fh)
}

// read parses the config file open as fh and closes it.
func read(path string, fh *os.File) (*File, error) {
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, osError(path, err)
	}
	return parse(path, data)
}

func parse(path string, data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, &fileError{path: path, msg: fmt.Sprintf("file is larger than %d bytes; this is not a crictl config file", MaxFileSize)}
	}
	if line, msg := checkText(data); msg != "" {
		return nil, &fileError{path: path, line: line, msg: msg}
	}
	f := &File{Path: path, raw: data}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil // empty (CRI_CONFIG_FILE=/dev/null): no YAML decoder to start
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil // empty, or comments only
		}
		return nil, yamlError(path, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, yamlError(path, data, err)
		}
		return nil, &fileError{path: path, line: extra.Line, msg: "a second YAML document; the file must hold a single mapping"}
	}
	f.doc = &doc
	if err := f.readEntries(); err != nil {
		return nil, err
	}
	return f, nil
}

// checkText rejects content that is not UTF-8 text, with the line of the
// first offending byte. yaml.v3 would report most of these without a line,
// and would silently accept UTF-16.
func checkText(data []byte) (line int, msg string) {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return 1, "file is UTF-16 encoded; save it as UTF-8"
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return lineAt(data, i), "file contains NUL bytes; it is binary or UTF-16, not UTF-8 text"
	}
	start := 0
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		start = 3
	}
	for i := start; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return lineAt(data, i), "file is not valid UTF-8"
		case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		case r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F) || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF:
			return lineAt(data, i), fmt.Sprintf("control character U+%04X is not allowed", r)
		}
		i += size
	}
	return 0, ""
}

// lineAt returns the 1-based line of data[off]. Line breaks are LF, CRLF or
// a lone CR, as in YAML.
func lineAt(data []byte, off int) int {
	line := 1
	for i := 0; i < off && i < len(data); i++ {
		if data[i] == '\n' || (data[i] == '\r' && (i+1 >= len(data) || data[i+1] != '\n')) {
			line++
		}
	}
	return line
}

// yamlParserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). For those, yaml.v3 reports a 0-based line number, and omits it on
// the first line.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlError turns a yaml.v3 syntax error into "path:line: ..." with a
// 1-based line.
func yamlError(path string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, tail
			}
		}
	}
	switch {
	case strings.HasPrefix(msg, "unknown anchor"):
		return &fileError{path: path, msg: "aliases are not supported (" + msg + ")"}
	case yamlParserProblems[msg]:
		line++
	case line == 0 && readerProblem(msg):
		// yaml.v3 reports no position for these; checkText catches most.
	case line == 0:
		line = 1
	}
	if last := lastLine(data); line > last {
		line = last
	}
	return &fileError{path: path, line: line, msg: "invalid YAML: " + msg}
}

func readerProblem(msg string) bool {
	return strings.Contains(msg, "UTF-") || strings.Contains(msg, "surrogate") ||
		strings.HasPrefix(msg, "control characters") || strings.HasPrefix(msg, "invalid Unicode") ||
		strings.HasPrefix(msg, "input error")
}

func lastLine(data []byte) int {
	n := lineAt(data, len(data))
	if len(data) > 0 && (data[len(data)-1] == '\n' || data[len(data)-1] == '\r') {
		n--
	}
	return max(n, 1)
}

// readEntries validates the document and fills f.entries and f.vals.
func (f *File) readEntries() error {
	root := f.doc.Content[0]
	if err := f.checkNode(root); err != nil {
		return err
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // "---" or "~": no settings
	}
	if root.Kind != yaml.MappingNode {
		return f.errorAt(root, "the top level must be a mapping of keys to values, found %s", describe(root))
	}
	lines := make(map[string][]int)
	var order []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if err := f.checkNode(k); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return f.errorAt(k, "keys must be strings, found %s", describe(k))
		}
		kind, ok := kindOf(k.Value)
		if !ok || k.Tag != "!!str" {
			f.warnings = append(f.warnings, fmt.Sprintf("%s:%d: %v; it is ignored", f.Path, k.Line, unknownKeyError(k.Value)))
			continue
		}
		if lines[k.Value] == nil {
			order = append(order, k.Value)
		}
		lines[k.Value] = append(lines[k.Value], k.Line)
		if err := f.checkNode(v); err != nil {
			return err
		}
		switch {
		case v.Kind != yaml.ScalarNode:
			return f.errorAt(v, "invalid value for %s: want %s, found %s", k.Value, kindName(kind), describe(v))
		case v.Tag == "!!null":
			return f.errorAt(k, "missing value for %s (want %s)", k.Value, kindName(kind))
		case kind == kindString && v.Tag != "!!str":
			return f.errorAt(v, "invalid value for %s: want a string, found %s (quote it)", k.Value, describe(v))
		}
		if err := setValue(&f.vals, k.Value, v.Value); err != nil {
			return f.errorAt(v, "%v", err)
		}
		f.entries = slices.DeleteFunc(f.entries, func(e entry) bool { return e.key == k.Value })
		f.entries = append(f.entries, entry{key: k.Value, keyNode: k, valueNode: v})
	}
	for _, key := range order {
		if ls := lines[key]; len(ls) > 1 {
			nums := make([]string, len(ls))
			for i, l := range ls {
				nums[i] = strconv.Itoa(l)
			}
			f.warnings = append(f.warnings, fmt.Sprintf("%s: %s is set on lines %s; the last one counts", f.Path, key, strings.Join(nums, ", ")))
		}
	}
	return nil
}

func (f *File) errorAt(n *yaml.Node, format string, args ...any) error {
	return &fileError{path: f.Path, line: n.Line, msg: fmt.Sprintf(format, args...)}
}

func (f *File) checkNode(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.AliasNode:
		return f.errorAt(n, "aliases (*%s) are not supported", n.Value)
	case n.Anchor != "":
		return f.errorAt(n, "anchors (&%s) are not supported", n.Anchor)
	case n.Style&yaml.TaggedStyle != 0:
		return f.errorAt(n, "explicit tags (%s) are not supported", n.Tag)
	}
	return nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		var what string
		switch n.Tag {
		case "!!int":
			what = "an integer"
		case "!!float":
			what = "a number"
		case "!!bool":
			what = "a boolean"
		case "!!null":
			return "nothing"
		default:
			what = "a string"
		}
		return what + " " + quoteShort(n.Value)
	}
	return "something else"
}

func kindName(k valueKind) string {
	switch k {
	case kindTimeout:
		return "whole seconds or a duration such as 500ms"
	case kindBool:
		return "true or false"
	case kindInt:
		return "an integer"
	}
	return "a string"
}

func (f *File) find(key string) *entry {
	for i := range f.entries {
		if f.entries[i].key == key {
			return &f.entries[i]
		}
	}
	return nil
}

// Config returns the file's settings over the defaults, and the set of keys
// the file sets. An empty endpoint or a timeout of zero or less leaves the
// default in place and does not count as set.
func (f *File) Config() (Config, map[string]bool) {
	cfg := Default()
	set := make(map[string]bool)
	for _, e := range f.entries {
		if overrides(f.vals, e.key) {
			copyValue(&cfg, f.vals, e.key)
			set[e.key] = true
		}
	}
	return cfg, set
}

// Get returns the effective value of key: the file's value, or the default
// when the file does not set it. timeout is rendered as whole seconds when it
// is a whole number of seconds ("2"), else as a duration ("500ms").
func (f *File) Get(key string) (string, error) {
	if _, ok := kindOf(key); !ok {
		return "", unknownKeyError(key)
	}
	cfg, _ := f.Config()
	return formatValue(cfg, key), nil
}

// List returns every key with its effective value (as Get), in the order of
// Keys.
func (f *File) List() [][2]string {
	cfg, _ := f.Config()
	keys := Keys()
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, formatValue(cfg, k)}
	}
	return out
}

// Bytes returns the file's content as Save would write it.
func (f *File) Bytes() []byte { return bytes.Clone(f.raw) }
