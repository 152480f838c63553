package logs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ParseTime parses a --since or --until value: an RFC 3339 time
// (2006-01-02T15:04:05Z, with optional fraction and offset), a date-time or
// date without offset (2006-01-02T15:04:05, 2006-01-02) in now's location, a
// Go duration before now (42m, 1h30m; a negative one is after now), or a unix
// timestamp (1700000000 or 1700000000.5).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, ok := parseUnix(s); ok {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: use an RFC 3339 time (2006-01-02T15:04:05Z), a date (2006-01-02), "+
		"a duration before now (42m, 1h30m) or a unix timestamp (1700000000[.nanoseconds])", s)
}

func parseUnix(s string) (time.Time, bool) {
	secs, frac, hasFrac := strings.Cut(s, ".")
	if !allDigits(secs) || (hasFrac && (!allDigits(frac) || len(frac) > 9)) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	var nsec int64
	if hasFrac {
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	return time.Unix(sec, nsec), true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PreviousName is PreviousPath without looking at the file system: the
// path the previous attempt's log has in kubelet's layout.
func PreviousName(logPath string, attempt uint32) (string, error) {
	if attempt == 0 {
		return "", fmt.Errorf("%w: it has not been restarted (attempt 0)", ErrNoPreviousLog)
	}
	if !filepath.IsAbs(logPath) {
		return "", fmt.Errorf("%w: log path %q is not absolute", ErrNoPreviousLog, logPath)
	}
	dir, base := filepath.Split(logPath)
	if n, ok := strings.CutSuffix(base, ".log"); !ok || !allDigits(n) {
		return "", fmt.Errorf("%w: log path %q does not follow kubelet's <directory>/<attempt>.log layout", ErrNoPreviousLog, logPath)
	}
	return filepath.Join(dir, strconv.FormatUint(uint64(attempt-1), 10)+".log"), nil
}

// ErrNoPreviousLog is wrapped by the errors of PreviousPath and
// PreviousName.
var ErrNoPreviousLog = errors.New("no previous log for this container")

// PreviousPath returns the log of the container's previous attempt in
// kubelet's layout: <dir>/<attempt>.log becomes <dir>/<attempt-1>.log. attempt
// is the container's current attempt, as the runtime reports it.
func PreviousPath(logPath string, attempt uint32) (string, error) {
	prev, err := PreviousName(logPath, attempt)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(prev); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %q does not exist", ErrNoPreviousLog, prev)
		}
		return "", fmt.Errorf("%w: %w", ErrNoPreviousLog, err)
	}
	return prev, nil
}
