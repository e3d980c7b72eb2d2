#!/usr/bin/env bash
# LinearRegex nanoseconds per match (Benchmarks/RegexBench), from a release build of the
# small `lyre-regex-bench` executable (LyreSQL and what it needs, not the whole server).
#
#   Benchmarks/regex-bench.sh                   build, run once
#   BASELINE=/tmp/regex-bench-old Benchmarks/regex-bench.sh [ROUNDS]
#                                               alternate a saved build of another commit
#                                               with this one, ROUNDS pairs (default 3)
#
# Save a baseline with: swift build -c release --scratch-path .build-release --product
# lyre-regex-bench && cp .build-release/release/lyre-regex-bench /tmp/regex-bench-old
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
swift build -c release --scratch-path .build-release --product lyre-regex-bench 2>&1 | grep -E "error|warning: .*(Sources|Benchmarks)" || true
CURRENT=.build-release/release/lyre-regex-bench
if [ -z "${BASELINE:-}" ]; then
    "$CURRENT"
    exit 0
fi
for round in $(seq "$ROUNDS"); do
    echo "== pair $round: baseline"; "$BASELINE"
    echo "== pair $round: this build"; "$CURRENT"
done
