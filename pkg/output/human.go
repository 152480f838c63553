package output

import (
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

// TruncateID strips prefix (e.g. "sha256:") and keeps the first 13
// characters, unless noTrunc.
func TruncateID(id, prefix string, noTrunc bool) string {
	if noTrunc {
		return id
	}
	id = strings.TrimPrefix(id, prefix)
	if len(id) > TruncatedIDLen {
		id = id[:TruncatedIDLen]
	}
	return id
}
