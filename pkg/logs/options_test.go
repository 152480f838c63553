package logs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", 2*3600)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, loc)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02T03:04:05.123456789Z", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"2026-01-02T04:04:05+01:00", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02T03:04:05", time.Date(2026, 1, 2, 3, 4, 5, 0, loc)},
		{"2026-01-02T03:04:05.5", time.Date(2026, 1, 2, 3, 4, 5, 5e8, loc)},
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, loc)},
		{"42m", now.Add(-42 * time.Minute)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"-5m", now.Add(5 * time.Minute)},
		{"1700000000", time.Unix(1700000000, 0)},
		{"1700000000.5", time.Unix(1700000000, 5e8)},
		{"1700000000.000000001", time.Unix(1700000000, 1)},
		{"0", time.Unix(0, 0)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "yesterday", "42", "1.", ".5", "1700000000.1234567890", "2026-13-01", "1d", " 42m", "99999999999999999999"} {
		if in == "42" {
			continue // a unix timestamp
		}
		_, err := ParseTime(in, now)
		if err == nil || !strings.Contains(err.Error(), "RFC 3339") || !strings.Contains(err.Error(), "unix timestamp") {
			t.Errorf("ParseTime(%q): %v", in, err)
		}
	}
}

func TestPreviousPath(t *testing.T) {
	t.Parallel()
	d := logDir(t)
	writeFile(t, filepath.Join(d, "0.log"), "")
	writeFile(t, filepath.Join(d, "1.log"), "")
	cur := filepath.Join(d, "2.log")
	writeFile(t, cur, "")
	if got, err := PreviousPath(cur, 2); err != nil || got != filepath.Join(d, "1.log") {
		t.Errorf("got %q, %v", got, err)
	}
	if got, err := PreviousPath(filepath.Join(d, "1.log"), 1); err != nil || got != filepath.Join(d, "0.log") {
		t.Errorf("got %q, %v", got, err)
	}
	os.Remove(filepath.Join(d, "0.log"))
	for _, tt := range []struct {
		path    string
		attempt uint32
		msg     string
	}{
		{cur, 0, "attempt 0"},
		{filepath.Join(d, "1.log"), 1, "does not exist"},
		{"/var/log/pods/x/ctr/nodot", 1, "layout"},
		{"/var/log/pods/x/ctr/busybox.0.log", 1, "layout"},
		{"/var/log/pods/x/ctr/.log", 1, "layout"},
		{"relative/1.log", 1, "not absolute"},
		{"", 1, "not absolute"},
		{"/", 1, "layout"},
	} {
		_, err := PreviousPath(tt.path, tt.attempt)
		if err == nil || !errors.Is(err, ErrNoPreviousLog) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("PreviousPath(%q, %d): %v, want %q", tt.path, tt.attempt, err, tt.msg)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	p := writeFile(t, filepath.Join(logDir(t), "0.log"), numbered(0, 3, "stdout"))
	for _, opts := range []Options{
		{Tail: -1, Stream: 7},
		{Tail: -1, Since: at(5), Until: at(4)},
	} {
		if r := readOpts(t, p, opts); r.err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
	if err := ReadMany(t.Context(), nil, all(), nil, nil, nil); err == nil {
		t.Error("ReadMany without sources: no error")
	}
}

func TestPreviousName(t *testing.T) {
	t.Parallel()
	if p, err := PreviousName("/var/log/pods/x/c/3.log", 3); err != nil || p != "/var/log/pods/x/c/2.log" {
		t.Errorf("PreviousName = %q, %v", p, err)
	}
	for _, tc := range []struct {
		path    string
		attempt uint32
	}{{"/var/log/pods/x/c/0.log", 0}, {"relative/1.log", 1}, {"/var/log/x", 1}, {"/var/log/a.log", 1}} {
		if _, err := PreviousName(tc.path, tc.attempt); !errors.Is(err, ErrNoPreviousLog) {
			t.Errorf("PreviousName(%q, %d) = %v", tc.path, tc.attempt, err)
		}
	}
}
