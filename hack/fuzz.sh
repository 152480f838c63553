#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (default 10s):
#   hack/fuzz.sh [DURATION]
# Go fuzzes one target per run; failures are saved under the package's
# testdata/fuzz/ and replayed by plain `go test` afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
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
