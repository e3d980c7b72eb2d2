#!/usr/bin/env bash
# Lyre's benchmarks, with their baselines run in the same invocation (the machines are
# noisy and shared; only ratios against a same-run baseline mean anything).
#
#   Benchmarks/run.sh [--quick]
#
# Needs wrk and nginx (Debian packages; installed when missing). Prints a Markdown table
# that Benchmarks/README.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${1:-}
DURATION=${DURATION:-10s}
RECORDS=${RECORDS:-1000000}
[ "$QUICK" = "--quick" ] && { DURATION=3s; RECORDS=100000; }

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need nginx nginx-light
scripts/bootstrap

[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product lyre >/dev/null
LYRE=.build/release/lyre
WORK=$(mktemp -d /tmp/lyre-bench.XXXXXX)
PORT=19925; NGINX_PORT=19926
AUTH="Basic $(printf 'admin:password' | base64)"
cleanup() { kill "${LYRE_PID:-0}" 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Baseline: nginx answering a fixed JSON to POST / (one worker per core, as Lyre).
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / { default_type application/json; return 200 '[{"dog_name":"Penny","owner_name":"Kyle"}]'; }
  }
}
NGINX
nginx -c "$WORK/nginx.conf"

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
anon() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/"; }
rate() { awk '/Requests\/sec/ {print int($2)}'; }

START_NS=$(date +%s%N)
HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$WORK/root" --port "$PORT" >"$WORK/lyre.log" 2>&1 &
LYRE_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
STARTUP_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
sleep 1
IDLE_RSS=$(rss $LYRE_PID)
IDLE_ANON=$(anon $LYRE_PID)
# The disk's synchronous-write latency bounds commits per second (LMDB syncs twice per commit).
SYNC_MS=$(dd if=/dev/zero of="$WORK/sync-probe" bs=4k count=100 oflag=dsync 2>&1 | awk '/copied/ {printf "%.2f", $(NF-3) * 1000 / 100}')

post '{"operation":"create_database","database":"bench"}' >/dev/null
post '{"operation":"create_table","database":"bench","table":"one","primary_key":"id"}' >/dev/null
post '{"operation":"create_table","database":"bench","table":"big","primary_key":"id"}' >/dev/null
post '{"operation":"insert","database":"bench","table":"one","records":[{"id":0,"dog_name":"Penny","owner_name":"Kyle"}]}' >/dev/null

READ='{"operation":"search_by_id","database":"bench","table":"one","ids":[0],"get_attributes":["dog_name","owner_name"]}'
NGINX_RPS=$(BODY="$READ" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/post.lua "http://127.0.0.1:$NGINX_PORT/" | rate)
READ_RPS=$(BODY="$READ" AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/post.lua "http://127.0.0.1:$PORT/" | rate)

# Authentication cost: the same search with Basic (verified credentials cached), a Bearer
# operation token, and no authentication at all (authorizeLocal: loopback requests run as
# the super user). Alternated twice and the best run of each kept, so a noisy second
# does not decide the comparison.
TOKEN=$(post '{"operation":"create_authentication_tokens","username":"admin","password":"password"}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["operation_token"])')
best() { [ "${1:-0}" -gt "${2:-0}" ] && echo "$1" || echo "${2:-0}"; }
search() { BODY="$READ" AUTH="$1" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/post.lua "http://127.0.0.1:$PORT/" | rate; }
restart_with_local() {
  post "{\"operation\":\"set_configuration\",\"authentication_authorizeLocal\":$1}" >/dev/null
  post '{"operation":"restart"}' >/dev/null
  sleep 0.5
  until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
}
BASIC_RPS=0; BEARER_RPS=0; LOCAL_RPS=0
for round in 1 2; do
  BASIC_RPS=$(best "$BASIC_RPS" "$(search "$AUTH")")
  BEARER_RPS=$(best "$BEARER_RPS" "$(search "Bearer $TOKEN")")
  restart_with_local true
  LOCAL_RPS=$(best "$LOCAL_RPS" "$(search "")")
  restart_with_local false
done
INSERT_RPS=$(THREADS=2 AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$PORT/" | rate)

LOAD_RPS=$(python3 Benchmarks/loader.py "http://127.0.0.1:$PORT/" "$AUTH" "$RECORDS" 1000 4)
LOADED_RSS=$(rss $LYRE_PID)
LOADED_ANON=$(anon $LYRE_PID)
DB_BYTES=$(stat -c %s "$WORK/root/database/bench.mdb")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<REPORT
| measurement | result |
|---|---|
| nginx fixed JSON, 64 connections (baseline) | $NGINX_RPS req/s |
| search_by_id, 64 connections | $READ_RPS req/s = $(ratio "$READ_RPS" "$NGINX_RPS")× nginx |
| search_by_id, no authentication (authorizeLocal), best of 2 | $LOCAL_RPS req/s |
| search_by_id, Basic (cached), best of 2 | $BASIC_RPS req/s = $(ratio "$BASIC_RPS" "$LOCAL_RPS")× unauthenticated |
| search_by_id, Bearer operation token, best of 2 | $BEARER_RPS req/s = $(ratio "$BEARER_RPS" "$LOCAL_RPS")× unauthenticated |
| synchronous 4 KiB write on this disk (baseline for commits) | $SYNC_MS ms |
| insert 1 record/request, 64 connections, fsync on commit | $INSERT_RPS records/s |
| insert $RECORDS records × 10 attributes, 1,000/request, 4 connections | $LOAD_RPS records/s |
| on-disk size per record (all attributes indexed) | $(( DB_BYTES / RECORDS )) bytes |
| start to first answer | $STARTUP_MS ms |
| RSS idle after start (anonymous memory) | $(( IDLE_RSS / 1024 )) MiB ($(( IDLE_ANON / 1024 )) MiB) |
| RSS after the load (anonymous memory; the rest is the mapped database file) | $(( LOADED_RSS / 1024 )) MiB ($(( LOADED_ANON / 1024 )) MiB) |
REPORT
