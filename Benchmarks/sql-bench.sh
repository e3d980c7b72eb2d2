#!/usr/bin/env bash
# SQL against the NoSQL search and against sqlite3, on the same data, in one run.
#
#   Benchmarks/sql-bench.sh            (SKIP_BUILD=1 to reuse .build/release/lyre;
#                                       BIG/MID/SMALL override the table sizes)
#
# Loads bench.big (1,000,000 records x 10 attributes, every attribute indexed as Lyre always
# does), bench.mid (100,000) and bench.small (1,000) into a release build on a temporary root,
# writes the same rows into an sqlite3 database with indexes on the attributes the queries use,
# then times (median of N runs, one keep-alive connection; sqlite3: the CLI running the
# statement N times, output discarded):
#   1. SELECT * ... WHERE grp = 4242 (100 matches)  vs  search_by_value of the same (target <= 2x)
#   2. GROUP BY breed with AVG(weight) over all 1,000,000 rows
#   3. a join of mid (100,000) with small (1,000) on mid.sid = small.id (100,000 rows out)
#   4. the same join from one small row (WHERE s.id = 7: 100 rows; probes mid's sid index)
# Prints a Markdown table (seconds, and Lyre / sqlite3) that Benchmarks/README.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
scripts/bootstrap
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product lyre >/dev/null
LYRE=.build/release/lyre
WORK=$(mktemp -d /tmp/lyre-sql-bench.XXXXXX)
PORT=${PORT:-19935}
URL="http://127.0.0.1:$PORT/"
AUTH="Basic $(printf 'admin:password' | base64)"
cleanup() { [ -n "${LYRE_PID:-}" ] && kill "$LYRE_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$WORK/root" --port "$PORT" >"$WORK/lyre.log" 2>&1 &
LYRE_PID=$!
until curl -s -o /dev/null "${URL}health"; do sleep 0.05; done
python3 Benchmarks/sql_bench.py load "$URL" "$AUTH" "$WORK"

DB="$WORK/bench.sqlite"
sqlite3 "$DB" <<SQL
CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, owner TEXT, breed TEXT, age INTEGER, weight REAL, adorable INTEGER, city TEXT, score INTEGER, grp INTEGER);
CREATE TABLE mid (id INTEGER PRIMARY KEY, sid INTEGER, val INTEGER);
CREATE TABLE small (id INTEGER PRIMARY KEY, name TEXT, cat INTEGER);
.mode csv
.import $WORK/big.csv big
.import $WORK/mid.csv mid
.import $WORK/small.csv small
CREATE INDEX big_grp ON big (grp);
CREATE INDEX big_breed ON big (breed);
CREATE INDEX mid_sid ON mid (sid);
ANALYZE;
SQL

# Lyre: median seconds of N requests. sqlite3: total time of N runs of the statement / N.
lyre_time() { python3 Benchmarks/sql_bench.py time "$URL" "$AUTH" "$1" "$2"; }
sql_body() { python3 -c 'import json,sys; print(json.dumps({"operation":"sql","sql":sys.argv[1]}))' "$1"; }
sqlite_time() {
  local n=$1 sql=$2 script="$WORK/q.sql"
  { echo ".output /dev/null"; for ((i = 0; i < n; i++)); do echo "$sql;"; done; } > "$script"
  sqlite3 "$DB" < "$script" >/dev/null  # warm the page cache
  local t0=$(date +%s%N)
  sqlite3 "$DB" < "$script" >/dev/null
  awk -v ns=$(( $(date +%s%N) - t0 )) -v n="$n" 'BEGIN { printf "%.6f", ns / 1e9 / n }'
}

Q_EQ="SELECT * FROM bench.big WHERE grp = 4242"
Q_GROUP="SELECT breed, AVG(weight) AS w, COUNT(*) AS n FROM bench.big GROUP BY breed"
Q_JOIN="SELECT m.id, m.val, s.name FROM bench.mid m JOIN bench.small s ON m.sid = s.id"
Q_PROBE="SELECT s.name, m.id, m.val FROM bench.small s JOIN bench.mid m ON m.sid = s.id WHERE s.id = 7"
SBV='{"operation":"search_by_value","database":"bench","table":"big","attribute":"grp","value":4242,"get_attributes":["*"]}'

read -r EQ_SQL EQ_BYTES <<<"$(lyre_time 200 "$(sql_body "$Q_EQ")")"
read -r EQ_SBV SBV_BYTES <<<"$(lyre_time 200 "$SBV")"
read -r GROUP_SQL _ <<<"$(lyre_time 3 "$(sql_body "$Q_GROUP")")"
read -r JOIN_SQL JOIN_BYTES <<<"$(lyre_time 5 "$(sql_body "$Q_JOIN")")"
read -r PROBE_SQL _ <<<"$(lyre_time 200 "$(sql_body "$Q_PROBE")")"
strip() { sed -e 's/bench\.//g' <<<"$1"; }
EQ_LITE=$(sqlite_time 200 "$(strip "$Q_EQ")")
GROUP_LITE=$(sqlite_time 3 "$(strip "$Q_GROUP")")
JOIN_LITE=$(sqlite_time 5 "$(strip "$Q_JOIN")")
PROBE_LITE=$(sqlite_time 200 "$(strip "$Q_PROBE")")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<REPORT
| query | Lyre SQL (s) | reference (s) | ratio |
|---|---|---|---|
| \`$Q_EQ\` vs \`search_by_value\` (100 rows, $EQ_BYTES / $SBV_BYTES bytes) | $EQ_SQL | $EQ_SBV | $(ratio "$EQ_SQL" "$EQ_SBV")× |
| same, vs sqlite3 | $EQ_SQL | $EQ_LITE | $(ratio "$EQ_SQL" "$EQ_LITE")× |
| \`$Q_GROUP\` (1,000,000 rows) vs sqlite3 | $GROUP_SQL | $GROUP_LITE | $(ratio "$GROUP_SQL" "$GROUP_LITE")× |
| \`$Q_JOIN\` (100,000 × 1,000, $JOIN_BYTES bytes out) vs sqlite3 | $JOIN_SQL | $JOIN_LITE | $(ratio "$JOIN_SQL" "$JOIN_LITE")× |
| \`$Q_PROBE\` (100 rows) vs sqlite3 | $PROBE_SQL | $PROBE_LITE | $(ratio "$PROBE_SQL" "$PROBE_LITE")× |
REPORT
