#!/usr/bin/env bash
# Runs every fuzz target in the module briefly (default 20000 executions):
#   hack/fuzz.sh [FUZZTIME]      e.g. 20000x, or a duration such as 30s
# Go fuzzes one target per run; failures are saved under the package's
# testdata/fuzz/ and replayed by plain `go test` afterwards.
# A count is the default because Go 1.26's fuzz coordinator can fail a
# duration run at its deadline with a bare "context deadline exceeded" and
# no failing input (golang/go#75804, fixed in Go 1.27).
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-20000x}
status=0
while IFS=: read -r file name; do
    pkg=$(dirname "$file")
    echo "fuzz $pkg $name ($time)"
    if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$time" -fuzzminimizetime 5s "$pkg" >/tmp/fuzz-$$.log 2>&1; then
        cat /tmp/fuzz-$$.log
        status=1
    fi
done < <(grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's/:func /:/' | sort)
rm -f /tmp/fuzz-$$.log
exit $status
