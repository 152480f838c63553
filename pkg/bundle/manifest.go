package bundle

import (
	"cmp"
	"slices"
	"time"
)

// FormatVersion is the version of the bundle layout and manifest.
const FormatVersion = 1

// Manifest is manifest.json: what the bundle holds and how it was made.
// It is the last file of a bundle (it has the checksums of all others).
type Manifest struct {
	Format        int    `json:"format"`
	Node          string `json:"node"`
	CrictlVersion string `json:"crictlVersion"`
	Endpoint      string `json:"endpoint,omitempty"`
	HostRoot      string `json:"hostRoot,omitempty"`
	StartedAt     string `json:"startedAt"`
	FinishedAt    string `json:"finishedAt"`
	DurationMs    int64  `json:"durationMs"`
	// Complete is false when anything failed or a limit cut something.
	Complete  bool            `json:"complete"`
	Options   ManifestOptions `json:"options"`
	Counts    Counts          `json:"counts"`
	Redaction Redaction       `json:"redaction"`
	Files     []File          `json:"files"`
	Errors    []Error         `json:"errors"`
	Skipped   []Skip          `json:"skipped"`
}

// ManifestOptions are the options the bundle was taken with.
type ManifestOptions struct {
	Selection  string `json:"selection"`
	LogLines   int64  `json:"logLines"`
	LogBytes   int64  `json:"logBytes"`
	MaxBytes   int64  `json:"maxBytes"`
	DeadlineMs int64  `json:"deadlineMs"`
}

// Counts are the objects the bundle covers.
type Counts struct {
	Pods       int `json:"pods"`
	Containers int `json:"containers"`
	Images     int `json:"images"`
	Logs       int `json:"logs"`
}

// Redaction says what was redacted: counts only, never values.
type Redaction struct {
	Enabled bool           `json:"enabled"`
	Marker  string         `json:"marker,omitempty"`
	Total   int            `json:"total"`
	ByRule  map[string]int `json:"byRule"`
}

// File is one file of the bundle.
type File struct {
	Path string `json:"path"`
	// Source is where it came from: "rpc Version", "file /var/log/...",
	// "crictl" for what crictl computed.
	Source     string  `json:"source"`
	Bytes      int64   `json:"bytes"`
	SHA256     string  `json:"sha256"`
	DurationMs float64 `json:"durationMs"`
	Redactions int     `json:"redactions,omitempty"`
	// Truncated: a log cut by --log-bytes or --max-bytes (its newest
	// part is kept).
	Truncated bool `json:"truncated,omitempty"`
	// Warnings are problems that did not stop the file (malformed log
	// lines, a rotated file that was skipped).
	Warnings []string `json:"warnings,omitempty"`
}

// Error is something that could not be collected.
type Error struct {
	// Object is the bundle path of what it concerns ("node" for the node).
	Object string `json:"object"`
	Source string `json:"source"`
	Error  string `json:"error"`
}

// Skip is something left out on purpose: an RPC the runtime does not
// have, a log cut by --max-bytes, a container without a log.
type Skip struct {
	Object string `json:"object"`
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// sortLists orders the errors and skips (collected concurrently).
func (m *Manifest) sortLists() {
	slices.SortStableFunc(m.Errors, func(a, b Error) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Error, b.Error))
	})
	slices.SortStableFunc(m.Skipped, func(a, b Skip) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Source, b.Source))
	})
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
