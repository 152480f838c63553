package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	yaml "sigs.k8s.io/yaml/goyaml.v3"
)

// Set validates value for key and sets it in the file's content. The value is
// patched in place when possible, leaving every other byte as it was;
// otherwise the YAML node tree is re-encoded, which keeps comments and key
// order. A missing key is appended. Nothing is written until Save.
func (f *File) Set(key, value string) error {
	var probe Config
	if err := setValue(&probe, key, value); err != nil {
		return err
	}
	text, tag := scalarFor(key, probe)

	if raw, ok := f.patch(key, text, tag); ok {
		if nf, err := parse(f.Path, raw); err == nil && f.sameExcept(nf, key, text, tag) {
			*f = *nf
			return nil
		}
	}
	raw, err := f.reencode(key, text, tag)
	if err != nil {
		return &fileError{path: f.Path, msg: fmt.Sprintf("cannot set %s: %v", key, err)}
	}
	nf, err := parse(f.Path, raw)
	if err != nil {
		return &fileError{path: f.Path, msg: fmt.Sprintf("cannot set %s: re-encoded file does not parse: %v", key, err)}
	}
	if !f.sameExcept(nf, key, text, tag) {
		return &fileError{path: f.Path, msg: fmt.Sprintf("cannot set %s: re-encoding changed other keys", key)}
	}
	*f = *nf
	return nil
}

// scalarFor returns the YAML text and tag that store key's value from c.
func scalarFor(key string, c Config) (text, tag string) {
	text = formatValue(c, key)
	kind, _ := kindOf(key)
	switch kind {
	case kindBool:
		return text, "!!bool"
	case kindInt:
		return text, "!!int"
	case kindTimeout:
		if c.Timeout%time.Second == 0 {
			return text, "!!int"
		}
	}
	return text, "!!str"
}

// sameExcept reports whether nf holds the same keys as f, in the same order,
// with the same values, except key, which must hold text with tag (and is
// appended when f lacks it).
func (f *File) sameExcept(nf *File, key, text, tag string) bool {
	want := len(f.entries)
	if f.find(key) == nil {
		want++
	}
	if len(nf.entries) != want {
		return false
	}
	for i, ne := range nf.entries {
		if ne.key == key {
			if ne.valueNode.Value != text || ne.valueNode.Tag != tag {
				return false
			}
			continue
		}
		if i >= len(f.entries) {
			return false
		}
		oe := f.entries[i]
		if oe.key != ne.key || oe.valueNode.Value != ne.valueNode.Value || oe.valueNode.Tag != ne.valueNode.Tag {
			return false
		}
	}
	return true
}

// patch edits the file's text directly: it replaces the value of an existing
// single-line scalar, or appends a "key: value" line to a block mapping. The
// caller checks the result by parsing it; ok is false when patching does not
// apply.
func (f *File) patch(key, text, tag string) (raw []byte, ok bool) {
	scalar, ok := inlineScalar(text, tag)
	if !ok {
		return nil, false
	}
	var root *yaml.Node
	if f.doc != nil {
		root = f.doc.Content[0]
		if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
			return nil, false
		}
	}
	if e := f.find(key); e != nil {
		start, end, ok := scalarSpan(f.raw, e.valueNode)
		if !ok {
			return nil, false
		}
		out := make([]byte, 0, len(f.raw)+len(scalar))
		out = append(out, f.raw[:start]...)
		out = append(out, scalar...)
		return append(out, f.raw[end:]...), true
	}

	nl := "\n"
	if bytes.Contains(f.raw, []byte("\r\n")) {
		nl = "\r\n"
	}
	out := bytes.Clone(bytes.TrimRight(f.raw, " \t\r\n"))
	if len(out) > 0 {
		out = append(out, nl...)
	}
	if len(f.entries) > 0 {
		out = append(out, bytes.Repeat([]byte{' '}, f.entries[0].keyNode.Column-1)...)
	}
	out = append(out, key+": "+scalar+nl...)
	return out, true
}

// inlineScalar renders a scalar as yaml.v3 would, quoted when needed.
func inlineScalar(text, tag string) (string, bool) {
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: text})
	if err != nil {
		return "", false
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if bytes.ContainsAny(b, "\r\n") {
		return "", false
	}
	return string(b), true
}

// scalarSpan finds the bytes of a single-line scalar node in raw.
func scalarSpan(raw []byte, n *yaml.Node) (start, end int, ok bool) {
	start, ok = offsetOf(raw, n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	lineEnd := start
	for lineEnd < len(raw) && raw[lineEnd] != '\n' && raw[lineEnd] != '\r' {
		lineEnd++
	}
	line := raw[start:lineEnd]
	switch n.Style {
	case 0:
		end := len(line)
		for i := 1; i < len(line); i++ {
			if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
				end = i
				break
			}
		}
		text := bytes.TrimRight(line[:end], " \t")
		if string(text) != n.Value {
			return 0, 0, false // a plain scalar folded over several lines
		}
		return start, start + len(text), true
	case yaml.DoubleQuotedStyle:
		for i := 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return start, start + i + 1, line[0] == '"'
			}
		}
	case yaml.SingleQuotedStyle:
		for i := 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return start, start + i + 1, line[0] == '\''
			}
		}
	}
	return 0, 0, false
}

// offsetOf converts yaml.v3's 1-based line and column (counted in
// characters) to a byte offset.
func offsetOf(raw []byte, line, col int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	if line == 1 && bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) {
		off += 3
	}
	for c := 1; c < col; c++ {
		if off >= len(raw) || raw[off] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(raw[off:])
		off += size
	}
	return off, off < len(raw)
}

// reencode sets key through the YAML node tree and encodes the whole
// document again. Comments and key order survive; blank lines between keys
// and some formatting may not.
func (f *File) reencode(key, text, tag string) ([]byte, error) {
	fresh, err := parse(f.Path, f.raw) // a private node tree to modify
	if err != nil {
		return nil, err
	}
	value := &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: text}
	if e := fresh.find(key); e != nil {
		e.valueNode.Value, e.valueNode.Tag, e.valueNode.Style = text, tag, 0
	} else {
		if fresh.doc == nil {
			fresh.doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
		}
		root := fresh.doc.Content[0]
		if root.Kind != yaml.MappingNode {
			root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: root.HeadComment,
				LineComment: root.LineComment, FootComment: root.FootComment}
			fresh.doc.Content[0] = root
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
	}
	var buf bytes.Buffer
	if f.doc == nil && len(bytes.TrimSpace(f.raw)) > 0 {
		buf.Write(f.raw) // comments only: keep them verbatim
		if f.raw[len(f.raw)-1] != '\n' {
			buf.WriteByte('\n')
		}
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(fresh.doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the file atomically (a temporary file in the same directory,
// then a rename) with mode 0600, creating missing parent directories with
// mode 0755. When Path is a symbolic link, the link's target is replaced.
func (f *File) Save() error {
	path := f.Path
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return saveError(f.Path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return saveError(f.Path, err)
	}
	err = writeAndClose(tmp, f.raw)
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return saveError(f.Path, err)
	}
	return nil
}

func saveError(path string, err error) error {
	return &fileError{path: path, msg: "cannot save: " + err.Error(), err: err}
}

func writeAndClose(tmp *os.File, data []byte) error {
	_, err := tmp.Write(data)
	err = errors.Join(err, tmp.Chmod(0o600), tmp.Sync())
	return errors.Join(err, tmp.Close())
}
