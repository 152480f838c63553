package output

import (
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"
)

// TruncatedIDLen is how many characters of an ID tables show, as the
// reference.
const TruncatedIDLen = 13

// Age renders how long ago t was: "2 hours ago".
func Age(now, t time.Time) string {
	return units.HumanDuration(now.Sub(t)) + " ago"
}

// Size renders bytes in decimal units with three significant digits:
// "1.03MB".
func Size(n uint64) string {
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// HumanSize renders bytes in decimal units with four significant digits,
// as the reference's stats and imagefsinfo tables: "614.4kB".
func HumanSize(n uint64) string {
	return units.HumanSize(float64(n))
}

// TruncateID strips prefix (e.g. "sha256:") and keeps the first 13
// characters, unless noTrunc.
func TruncateID(id, prefix string, noTrunc bool) string {
	return truncate(id, prefix, noTrunc, TruncatedIDLen)
}

func truncate(id, prefix string, noTrunc bool, width int) string {
	if noTrunc {
		return id
	}
	id = strings.TrimPrefix(id, prefix)
	if len(id) > width {
		id = id[:width]
	}
	return id
}

// IDColumn shortens the IDs of one table column: to 13 characters, or more
// where two IDs share a longer prefix, so that no two rows show the same
// short ID (which could then not be used to address either).
type IDColumn struct {
	prefix  string
	noTrunc bool
	width   int
}

// NewIDColumn measures the IDs the column will show.
func NewIDColumn(ids []string, prefix string, noTrunc bool) IDColumn {
	sorted := make([]string, 0, len(ids))
	for _, id := range ids {
		sorted = append(sorted, strings.TrimPrefix(id, prefix))
	}
	sort.Strings(sorted)
	width := TruncatedIDLen
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if a == b {
			continue
		}
		n := 0
		for n < len(a) && n < len(b) && a[n] == b[n] {
			n++
		}
		width = max(width, n+1)
	}
	return IDColumn{prefix: prefix, noTrunc: noTrunc, width: width}
}

// Format shortens one ID of the column.
func (c IDColumn) Format(id string) string {
	return truncate(id, c.prefix, c.noTrunc, c.width)
}
