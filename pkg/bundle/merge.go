package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crictl/crictl/pkg/output"
)

// maxMetaFile bounds summary.json and manifest.json read from an input.
const maxMetaFile = 16 << 20

// MergeOptions say how Merge writes.
type MergeOptions struct {
	CrictlVersion string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// ClusterSummary is cluster-summary.json.
type ClusterSummary struct {
	CreatedAt     string        `json:"createdAt"`
	CrictlVersion string        `json:"crictlVersion"`
	Nodes         []NodeSummary `json:"nodes"`
	// Errors are inputs, or members of them, that could not be read.
	Errors []Error `json:"errors"`
}

// NodeSummary is one node of a merged bundle.
type NodeSummary struct {
	Summary
	// Path is the node's directory in the merged bundle.
	Path string `json:"path"`
	// Source is the input the node's bundle came from.
	Source string `json:"source"`
	// Errors is how many errors the node's own manifest lists.
	Errors   int  `json:"errors"`
	Complete bool `json:"complete"`
}

// MergeManifest is a merged bundle's manifest.json.
type MergeManifest struct {
	Format        int      `json:"format"`
	Kind          string   `json:"kind"`
	CrictlVersion string   `json:"crictlVersion"`
	CreatedAt     string   `json:"createdAt"`
	Nodes         []string `json:"nodes"`
	Files         []File   `json:"files"`
	Errors        []Error  `json:"errors"`
}

// MergeResult is what Merge did.
type MergeResult struct {
	Nodes    int
	Errors   int
	Location string
	Size     int64
}

// input is one node bundle to merge.
type input struct {
	src string // the path given, or found in a directory
	dir bool   // a bundle directory
	// found in the first pass
	summary  *Summary
	manifest *Manifest
	node     string // its directory under nodes/
}

// Merge joins node bundles (files and directories, see the package
// documentation) into one archive written through sink. Inputs that cannot
// be read are errors in the result and in cluster-summary.json; Merge
// fails when no input is a bundle or the output cannot be written.
func Merge(paths []string, sink Sink, o MergeOptions) (*MergeResult, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	cs := &ClusterSummary{CreatedAt: o.Now().UTC().Format(time.RFC3339), CrictlVersion: o.CrictlVersion, Nodes: []NodeSummary{}, Errors: []Error{}}
	var ins []*input
	for _, p := range paths {
		found, errs := discover(p)
		ins = append(ins, found...)
		cs.Errors = append(cs.Errors, errs...)
	}
	// First pass: each input's summary and manifest.
	var ok []*input
	for _, in := range ins {
		if err := in.scan(); err != nil {
			cs.Errors = append(cs.Errors, Error{Object: in.src, Source: "merge", Error: oneLine(err.Error())})
			continue
		}
		ok = append(ok, in)
	}
	if len(ok) == 0 {
		sink.Abort()
		if len(cs.Errors) > 0 {
			return nil, fmt.Errorf("no node bundle to merge: %s", cs.Errors[0].Object+": "+cs.Errors[0].Error)
		}
		return nil, errors.New("no node bundle to merge")
	}
	for _, in := range ok {
		if in.summary.Node == "" {
			in.summary.Node = nodeFromPath(in.src)
		}
	}
	slices.SortStableFunc(ok, func(a, b *input) int { return cmp.Compare(a.summary.Node, b.summary.Node) })
	names, ids := make([]string, len(ok)), make([]string, len(ok))
	for i, in := range ok {
		names[i], ids[i] = in.summary.Node, strconv.Itoa(i)
	}
	for i, n := range unique(names, ids) {
		ok[i].node = n
		ns := NodeSummary{Summary: *ok[i].summary, Path: path.Join("nodes", n), Source: ok[i].src, Complete: ok[i].manifest.Complete, Errors: len(ok[i].manifest.Errors)}
		prefixPaths(&ns)
		cs.Nodes = append(cs.Nodes, ns)
	}

	m := &mergeWriter{sink: sink, man: &MergeManifest{Format: FormatVersion, Kind: "merge", CrictlVersion: o.CrictlVersion,
		CreatedAt: cs.CreatedAt, Nodes: []string{}, Files: []File{}, Errors: []Error{}}}
	if err := m.first(cs); err != nil {
		sink.Abort()
		return nil, err
	}
	for _, in := range ok {
		m.man.Nodes = append(m.man.Nodes, in.node)
		if err := in.each(func(name string, size int64, r io.Reader) error {
			return m.add(path.Join("nodes", in.node, name), "node bundle "+in.src, size, r)
		}, func(name string, err error) {
			m.man.Errors = append(m.man.Errors, Error{Object: path.Join("nodes", in.node, name), Source: in.src, Error: oneLine(err.Error())})
		}); err != nil {
			sink.Abort()
			return nil, err
		}
	}
	m.man.Errors = append(cs.Errors, m.man.Errors...)
	b, err := output.MarshalJSON(m.man)
	if err == nil {
		err = sink.Add("manifest.json", int64(len(b)), bytes.NewReader(b))
	}
	if err == nil {
		err = sink.Close()
	}
	if err != nil {
		sink.Abort()
		return nil, err
	}
	return &MergeResult{Nodes: len(ok), Errors: len(m.man.Errors), Location: sink.Location(), Size: sink.Size()}, nil
}

// prefixPaths makes the container paths of a node's summary paths in the
// merged bundle.
func prefixPaths(ns *NodeSummary) {
	nr := slices.Clone(ns.NotRunning)
	for i := range nr {
		nr[i].Path = path.Join(ns.Path, nr[i].Path)
	}
	rs := slices.Clone(ns.Restarted)
	for i := range rs {
		rs[i].Path = path.Join(ns.Path, rs[i].Path)
	}
	ns.NotRunning, ns.Restarted = nr, rs
}

// nodeFromPath names a node after its file when its bundle does not:
// troubleshoot stores a DaemonSet pod's log as <collector>/<node>.log.
func nodeFromPath(p string) string {
	base := filepath.Base(p)
	for _, ext := range []string{".tar.gz", ".tgz", ".log", ".b64", ".txt"} {
		if s, ok := strings.CutSuffix(base, ext); ok {
			return s
		}
	}
	return base
}

// discover finds the bundles a path names: a bundle file or directory, or
// a directory holding them (one level, or two for troubleshoot's
// <collector>/<node>.log layout).
func discover(p string) ([]*input, []Error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, []Error{{Object: p, Source: "merge", Error: oneLine(err.Error())}}
	}
	if !fi.IsDir() {
		return []*input{{src: p}}, nil
	}
	if isBundleDir(p) {
		return []*input{{src: p, dir: true}}, nil
	}
	var ins []*input
	var errs []Error
	var walk func(dir string, depth int)
	walk = func(dir string, depth int) {
		ents, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, Error{Object: dir, Source: "merge", Error: oneLine(err.Error())})
			return
		}
		for _, e := range ents {
			q := filepath.Join(dir, e.Name())
			switch {
			case strings.HasPrefix(e.Name(), "."):
				// Hidden: a bundle being written there, under its
				// temporary name, among others.
			case e.Type().IsRegular():
				ins = append(ins, &input{src: q})
			case e.IsDir() && isBundleDir(q):
				ins = append(ins, &input{src: q, dir: true})
			case e.IsDir() && depth < 1:
				walk(q, depth+1)
			}
		}
	}
	walk(p, 0)
	if len(ins) == 0 && len(errs) == 0 {
		errs = append(errs, Error{Object: p, Source: "merge", Error: "holds no node bundle"})
	}
	return ins, errs
}

func isBundleDir(p string) bool {
	fi, err := os.Lstat(filepath.Join(p, "manifest.json"))
	return err == nil && fi.Mode().IsRegular()
}

// scan reads the input's summary.json and manifest.json.
func (in *input) scan() error {
	var sum, man []byte
	err := in.each(func(name string, size int64, r io.Reader) error {
		switch name {
		case "summary.json", "manifest.json":
			if size > maxMetaFile {
				return fmt.Errorf("%s is %d bytes", name, size)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if name == "summary.json" {
				sum = b
			} else {
				man = b
			}
		}
		return nil
	}, func(string, error) {})
	if err != nil {
		return err
	}
	if sum == nil || man == nil {
		return errors.New("not a crictl bundle (no summary.json and manifest.json)")
	}
	in.summary, in.manifest = &Summary{}, &Manifest{}
	if err := json.Unmarshal(sum, in.summary); err != nil {
		return fmt.Errorf("summary.json: %w", err)
	}
	if err := json.Unmarshal(man, in.manifest); err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	return nil
}

// each calls fn for every regular file of the bundle, in its order (for a
// directory: summary first, manifest last); members that are not safe
// regular files go to skip. fn's error, or a broken input, ends it.
func (in *input) each(fn func(name string, size int64, r io.Reader) error, skip func(name string, err error)) error {
	if in.dir {
		return eachInDir(in.src, fn, skip)
	}
	f, err := os.Open(in.src)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var stream io.Reader = br
	magic, err := br.Peek(2)
	if err != nil {
		return fmt.Errorf("%s: not a bundle: %w", in.src, err)
	}
	if magic[0] != 0x1f || magic[1] != 0x8b {
		// The base64 text a DaemonSet printed to its log.
		stream = base64.NewDecoder(base64.StdEncoding, &armorReader{r: br})
	}
	zr, err := gzip.NewReader(stream)
	if err != nil {
		return fmt.Errorf("not a tar.gz bundle nor its base64 text: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		switch {
		case h.Typeflag == tar.TypeDir:
		case h.Typeflag != tar.TypeReg:
			skip(h.Name, fmt.Errorf("member %q is not a regular file; left out", h.Name))
		case !validMember(h.Name):
			skip(h.Name, fmt.Errorf("member name %q is not a clean relative path; left out", h.Name))
		default:
			if err := fn(h.Name, h.Size, tr); err != nil {
				return err
			}
		}
	}
}

func eachInDir(dir string, fn func(name string, size int64, r io.Reader) error, skip func(name string, err error)) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	var names []string
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case !d.Type().IsRegular():
			skip(p, fmt.Errorf("%s is not a regular file; left out", p))
		default:
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	rank := func(n string) int {
		switch n {
		case "summary.txt":
			return 0
		case "summary.json":
			return 1
		case "manifest.json":
			return 3
		}
		return 2
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	for _, n := range names {
		f, err := root.Open(n)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", n)
		}
		if err == nil {
			err = fn(n, fi.Size(), f)
		}
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// mergeWriter writes the merged archive and its manifest.
type mergeWriter struct {
	sink Sink
	man  *MergeManifest
}

func (m *mergeWriter) add(name, source string, size int64, r io.Reader) error {
	h := sha256.New()
	if err := m.sink.Add(name, size, io.TeeReader(r, h)); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	m.man.Files = append(m.man.Files, File{Path: name, Source: source, Bytes: size, SHA256: hexSum(h)})
	return nil
}

// first writes cluster-summary.txt and cluster-summary.json.
func (m *mergeWriter) first(cs *ClusterSummary) error {
	var b bytes.Buffer
	if err := cs.WriteText(&b); err != nil {
		return err
	}
	if err := m.add("cluster-summary.txt", "crictl", int64(b.Len()), &b); err != nil {
		return err
	}
	j, err := output.MarshalJSON(cs)
	if err != nil {
		return err
	}
	return m.add("cluster-summary.json", "crictl", int64(len(j)), bytes.NewReader(j))
}

// WriteText writes cluster-summary.txt: one table across nodes, then the
// containers not running and restarted on every node.
func (cs *ClusterSummary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "crictl bundle of %d nodes, merged %s by crictl %s\n\n", len(cs.Nodes), cs.CreatedAt, output.Escape(cs.CrictlVersion))
	t := output.NewTable("NODE", "RUNTIME", "READY", "PODS", "CONTAINERS", "NOT RUNNING", "RESTARTED", "ERRORS", "TAKEN")
	notRunning, restarted := 0, 0
	for _, n := range cs.Nodes {
		t.Row(n.Node, runtimeText(n.Runtime), ready(n.Conditions), strconv.Itoa(n.Pods), strconv.Itoa(n.Containers),
			strconv.Itoa(len(n.NotRunning)), strconv.Itoa(len(n.Restarted)), strconv.Itoa(n.Errors), n.TakenAt)
		notRunning += len(n.NotRunning)
		restarted += len(n.Restarted)
	}
	if err := t.Write(&b, false); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nContainers not running (%d):\n", notRunning)
	if notRunning > 0 {
		t := output.NewTable("NODE", "NAMESPACE", "POD", "CONTAINER", "STATE", "EXIT CODE", "REASON", "IN THE BUNDLE")
		for _, n := range cs.Nodes {
			for _, c := range n.NotRunning {
				t.Row(n.Node, c.Namespace, c.Pod, c.Container, c.State, strconv.Itoa(int(c.ExitCode)), c.Reason, c.Path)
			}
		}
		if err := t.Write(&b, false); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "\nRestarted containers (%d):\n", restarted)
	if restarted > 0 {
		t := output.NewTable("NODE", "NAMESPACE", "POD", "CONTAINER", "RESTARTS", "STATE", "IN THE BUNDLE")
		for _, n := range cs.Nodes {
			for _, c := range n.Restarted {
				t.Row(n.Node, c.Namespace, c.Pod, c.Container, strconv.Itoa(int(c.Attempt)), c.State, c.Path)
			}
		}
		if err := t.Write(&b, false); err != nil {
			return err
		}
	}
	if len(cs.Errors) > 0 {
		fmt.Fprintf(&b, "\nInputs left out (%d):\n", len(cs.Errors))
		for _, e := range cs.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", output.Escape(e.Object), e.Error)
		}
	}
	b.WriteString("\nEach node's bundle is under nodes/<node>/, its summary.txt first.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
