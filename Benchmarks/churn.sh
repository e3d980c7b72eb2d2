#!/usr/bin/env bash
# Bounded files under churn (issue 18 item 3): 100,000 live records under insert+delete and
# expiration churn for ROUNDS times the table's size; prints the file size over time and the
# ratio to a compacted copy (must stay under 2).
#
#   Benchmarks/churn.sh [LIVE] [ROUNDS]      (default 100000 live, 10 rounds)
#
# Needs python3, curl and a build (LYRE=path/to/lyre, default the release build). Commits are
# not synced (storage.writeAsync) so the churn runs at the speed of the engine, not the disk:
# page reuse does not depend on syncing. The audit log is on (Harper's default) with
# logging.auditRetention AUDIT_RETENTION (default 60s), so it churns too; TTL (default 20 s)
# is the expiring table's expiration.
set -euo pipefail
cd "$(dirname "$0")/.."
LIVE=${1:-100000}
ROUNDS=${2:-10}
LYRE=${LYRE:-.build/release/lyre}
WORK=$(mktemp -d /tmp/lyre-churn.XXXXXX)
PORT=${PORT:-19945}
cleanup() { kill "${LYRE_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$WORK/root" --port "$PORT" >"$WORK/lyre.log" 2>&1 &
LYRE_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/" >/dev/null; }
post '{"operation":"set_configuration","storage_writeAsync":true}'
post "{\"operation\":\"set_configuration\",\"logging_auditRetention\":\"${AUDIT_RETENTION:-60s}\"}"
post '{"operation":"restart"}'
sleep 1
until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
python3 Benchmarks/churn.py "$PORT" "$WORK/root" "$LIVE" "$ROUNDS"
