#!/usr/bin/env bash
# CSV bulk load: Lyre's csv_file_load against PostgreSQL 15 COPY, same file, same machine, same run.
#
#   Benchmarks/csv-load.sh [rows]        (default 1,000,000 rows x 8 columns)
#
# Lyre: release build, `lyre run` on a fresh root, csv_file_load through the HTTP Operations API,
# get_job polled until COMPLETE. Every top-level attribute is indexed in Lyre (dynamic schema),
# so PostgreSQL gets a table with a primary key plus 7 secondary indexes (8 indexes) and
# synchronous_commit on, to compare like with like.
#
# Needs: curl, awk, bc, PostgreSQL 15 binaries (Debian: apt-get install -y postgresql; pg_ctl/initdb on
# PATH or under /usr/lib/postgresql/15/bin). Run from the package root. Prints rows/s for both, the
# ratio Lyre/PostgreSQL, and the lyre process's peak RSS during the load (VmHWM, which includes
# the pages of the memory-mapped database file it touched) next to its peak anonymous memory
# (RssAnon sampled every 0.2 s: heap and stacks, what a leak or an unbounded buffer would grow).
# LYRE=path/to/lyre measures that binary without building; LYRE_MAP_RELEASE_INTERVAL is
# passed to the server (B-tree operations between two releases of the map's pages, 0 = never).
# LYRE_AUDIT_LOG=false starts Lyre with logging.auditLog off (on by default, as in Harper's
# installed config); the sizes below then leave the audit log out.
# After the load: the size and duration of `compact_database`, and of LMDB's compacting copy
# (`mdb_copy -c`, Debian's lmdb-utils) of the same file, which compaction was before session 11;
# with LYRE_COMPACT_AFTER_LOAD=1, the compaction that follows the load by itself instead
# (`storage.compactAfterLoadRows`, the server's default): its size and the time from COMPLETE to
# its log line.
# PostgreSQL refuses to run as root: as root, its temporary cluster runs as the `postgres` user.
set -euo pipefail

ROWS="${1:-1000000}"
WORK="$(mktemp -d /tmp/lyre-csv-bench.XXXXXX)"
chmod 755 "$WORK"
PORT="${LYRE_BENCH_PORT:-19925}"
PGPORT="${PG_BENCH_PORT:-15432}"
USER_NAME=admin
PASSWORD=bench-password
LYRE_PID=""
cleanup() {
  [[ -n "$LYRE_PID" ]] && kill "$LYRE_PID" 2>/dev/null || true
  [[ -d "$WORK/pg" ]] && as_pg pg_ctl -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PG_BIN="$(dirname "$(command -v pg_ctl 2>/dev/null || echo /usr/lib/postgresql/15/bin/pg_ctl)")"
export PATH="$PG_BIN:$PATH"
now() { date +%s.%N; }
# PostgreSQL's programs, as the postgres user when this script runs as root.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- env PATH="$PATH" "$@"; else "$@"; fi
}
# kB of a /proc/<pid>/status field (0 if absent).
proc_kb() { awk -v k="$2:" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

echo "== generating $ROWS rows x 8 columns"
awk -v n="$ROWS" 'BEGIN {
  print "id,name,city,score,active,created,code,notes";
  for (i = 1; i <= n; i++)
    printf "%d,name %d,City %d,%.3f,%s,2021-01-25T23:05:27.464Z,C%d,\"free text, row %d\"\n", i, i, i % 97, (i % 1000) / 8, (i % 2 ? "false" : "true"), i % 5000, i;
}' > "$WORK/data.csv"
ls -lh "$WORK/data.csv" | awk '{print "   file size " $5}'
chmod 644 "$WORK/data.csv"

# LYRE: an already built binary to measure (no build). Otherwise a release build, in
# LYRE_SCRATCH_PATH if set (e.g. while a debug build holds .build's lock).
if [[ -n "${LYRE:-}" ]]; then
  echo "== using $LYRE (not rebuilt)"
else
  echo "== building lyre (release)"
  SCRATCH="${LYRE_SCRATCH_PATH:-.build}"
  swift build -c release --product lyre --scratch-path "$SCRATCH" >/dev/null
  LYRE="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/lyre"
fi
[[ -n "${LYRE_MAP_RELEASE_INTERVAL:-}" ]] && echo "   LYRE_MAP_RELEASE_INTERVAL=$LYRE_MAP_RELEASE_INTERVAL"

echo "== lyre csv_file_load"
mkdir -p "$WORK/lyre"
CONFIG="$WORK/lyre/harperdb-config.yaml"
if [[ "${LYRE_AUDIT_LOG:-true}" == false ]]; then
  printf 'logging:\n  auditLog: false\n' >> "$CONFIG"
  echo "   logging.auditLog: false"
fi
# LYRE_COMPACT_AFTER_LOAD=1: keep the server's default `storage.compactAfterLoadRows`, so the load
# is followed by its own compaction in the background; the script then waits for it and reports
# it. Otherwise it is turned off, and the script compacts with `compact_database` (and compares
# LMDB's compacting copy) on the file as the load left it.
if [[ "${LYRE_COMPACT_AFTER_LOAD:-0}" != 1 ]]; then
  printf 'storage:\n  compactAfterLoadRows: 0\n' >> "$CONFIG"
fi
HDB_ADMIN_USERNAME=$USER_NAME HDB_ADMIN_PASSWORD=$PASSWORD \
  "$LYRE" run --root "$WORK/lyre" --port "$PORT" > "$WORK/lyre.log" 2>&1 &
LYRE_PID=$!
op() { curl -s -u "$USER_NAME:$PASSWORD" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/" -d "$1"; }
for _ in $(seq 1 100); do op '{"operation":"describe_all"}' >/dev/null 2>&1 && break; sleep 0.1; done
op '{"operation":"create_database","database":"bench"}' >/dev/null
op '{"operation":"create_table","database":"bench","table":"rows","primary_key":"id"}' >/dev/null
RSS_START_KB=$(proc_kb "$LYRE_PID" VmRSS)
PEAK_ANON_KB=0
START=$(now)
JOB=$(op "{\"operation\":\"csv_file_load\",\"database\":\"bench\",\"table\":\"rows\",\"file_path\":\"$WORK/data.csv\"}" \
  | sed -E 's/.*"job_id":"([^"]+)".*/\1/')
while :; do
  STATUS=$(op "{\"operation\":\"get_job\",\"id\":\"$JOB\"}")
  ANON_KB=$(proc_kb "$LYRE_PID" RssAnon)
  (( ANON_KB > PEAK_ANON_KB )) && PEAK_ANON_KB=$ANON_KB
  case "$STATUS" in *'"status":"COMPLETE"'*|*'"status":"ERROR"'*) break ;; esac
  sleep 0.2
done
END=$(now)
PEAK_RSS_KB=$(proc_kb "$LYRE_PID" VmHWM)
ANON_END_KB=$(proc_kb "$LYRE_PID" RssAnon)
# (The load's own compaction may already be writing its new file beside the database: not counted.)
DB_BYTES=$(du -sb --exclude="*.compacting-online*" "$WORK/lyre/database" 2>/dev/null | cut -f1)
echo "   $(echo "$STATUS" | sed -E 's/.*"message":"([^"]+)".*/\1/')"
case "$STATUS" in *'"status":"ERROR"'*) echo "lyre load failed: $STATUS"; exit 1 ;; esac
LYRE_SECONDS=$(echo "$END - $START" | bc -l)
LYRE_RATE=$(echo "$ROWS / $LYRE_SECONDS" | bc -l)

if [[ "${LYRE_COMPACT_AFTER_LOAD:-0}" == 1 ]]; then
  # The compaction that follows the load by itself: from COMPLETE to its log line.
  echo "== the load's own compaction (storage.compactAfterLoadRows)"
  START=$(now)
  COMPACT_ANON_KB=0
  for _ in $(seq 1 6000); do
    grep -q 'storage.compactAfterLoadRows' "$WORK/lyre/log/hdb.log" 2>/dev/null && break
    ANON_KB=$(proc_kb "$LYRE_PID" RssAnon)
    (( ANON_KB > COMPACT_ANON_KB )) && COMPACT_ANON_KB=$ANON_KB
    sleep 0.05
  done
  END=$(now)
  echo "   $(grep -o 'storage.compactAfterLoadRows.*' "$WORK/lyre/log/hdb.log" | head -1)"
  COMPACT_SECONDS=$(echo "$END - $START" | bc -l)
  COMPACT_BYTES=$(du -sb "$WORK/lyre/database" 2>/dev/null | cut -f1)
  COPY_SECONDS=0; COPY_BYTES=0
else
# Compaction after the load, on the same file: first LMDB's compacting copy (`mdb_copy -c`, the
# call compaction made before session 11: live pages copied as they are), timed, to a scratch
# file; then `compact_database` (the rebuild: every DBI put in key order with MDB_APPEND).
echo "== compaction after the load"
BENCH_FILE="$WORK/lyre/database/bench.mdb"
if command -v mdb_copy >/dev/null; then
  START=$(now)
  mdb_copy -n -c "$BENCH_FILE" "$WORK/copy.mdb"
  END=$(now)
  COPY_SECONDS=$(echo "$END - $START" | bc -l)
  COPY_BYTES=$(stat -c %s "$WORK/copy.mdb")
  rm -f "$WORK/copy.mdb" "$WORK/copy.mdb-lock"
else
  COPY_SECONDS=0; COPY_BYTES=0
  echo "   mdb_copy not found (Debian: lmdb-utils): no copy to compare with"
fi
START=$(now)
op '{"operation":"compact_database","database":"bench"}' > "$WORK/compacted.json" &
COMPACT_CURL=$!
COMPACT_ANON_KB=0
while kill -0 "$COMPACT_CURL" 2>/dev/null; do
  ANON_KB=$(proc_kb "$LYRE_PID" RssAnon)
  (( ANON_KB > COMPACT_ANON_KB )) && COMPACT_ANON_KB=$ANON_KB
  sleep 0.1
done
wait "$COMPACT_CURL" || true
END=$(now)
echo "   $(cat "$WORK/compacted.json")"
COMPACT_SECONDS=$(echo "$END - $START" | bc -l)
COMPACT_BYTES=$(du -sb "$WORK/lyre/database" 2>/dev/null | cut -f1)
fi
kill "$LYRE_PID"; wait "$LYRE_PID" 2>/dev/null || true; LYRE_PID=""

echo "== postgresql COPY (8 indexes)"
mkdir -p "$WORK/pg" "$WORK/pgsock"
[[ "$(id -u)" == 0 ]] && chown postgres "$WORK/pg" "$WORK/pgsock"
as_pg initdb -D "$WORK/pg" -U postgres >/dev/null
as_pg pg_ctl -D "$WORK/pg" -o "-p $PGPORT -k $WORK/pgsock" -l "$WORK/pg/server.log" -w start >/dev/null
PSQL=(as_pg psql -h "$WORK/pgsock" -p "$PGPORT" -U postgres -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" <<SQL
CREATE TABLE rows (id bigint PRIMARY KEY, name text, city text, score double precision, active boolean,
                   created timestamptz, code text, notes text);
CREATE INDEX ON rows (name); CREATE INDEX ON rows (city); CREATE INDEX ON rows (score);
CREATE INDEX ON rows (active); CREATE INDEX ON rows (created); CREATE INDEX ON rows (code);
CREATE INDEX ON rows (notes);
SQL
START=$(now)
"${PSQL[@]}" -c "\\copy rows FROM '$WORK/data.csv' WITH (FORMAT csv, HEADER true)"
END=$(now)
PG_SECONDS=$(echo "$END - $START" | bc -l)
PG_RATE=$(echo "$ROWS / $PG_SECONDS" | bc -l)
PG_BYTES=$("${PSQL[@]}" -At -c "SELECT pg_total_relation_size('rows')")
as_pg pg_ctl -D "$WORK/pg" -m fast stop >/dev/null

printf '\n%-28s %10s %12s\n' "" "seconds" "rows/s"
printf '%-28s %10.2f %12.0f\n' "lyre csv_file_load" "$LYRE_SECONDS" "$LYRE_RATE"
printf '%-28s %10.2f %12.0f\n' "postgresql 15 COPY (8 idx)" "$PG_SECONDS" "$PG_RATE"
printf 'ratio lyre / postgresql: %.2f\n' "$(echo "$LYRE_RATE / $PG_RATE" | bc -l)"
printf 'lyre peak RSS during the load: %d MiB (VmHWM; RSS before the load %d MiB)\n' $((PEAK_RSS_KB / 1024)) $((RSS_START_KB / 1024))
printf 'lyre peak anonymous memory: %d MiB (sampled RssAnon; %d MiB at the end)\n' $((PEAK_ANON_KB / 1024)) $((ANON_END_KB / 1024))
printf 'on disk: lyre %d MiB, postgresql table + indexes %d MiB\n' $((DB_BYTES / 1048576)) $((PG_BYTES / 1048576))
COMPACTION_NAME=compact_database
[[ "${LYRE_COMPACT_AFTER_LOAD:-0}" == 1 ]] && COMPACTION_NAME="the load's own compaction (from COMPLETE)"
printf 'lyre after %s: %d MiB in %.2f s (ratio to postgresql %.2f); LMDB compacting copy of the same file: %d MiB in %.2f s\n' \
  "$COMPACTION_NAME" $((COMPACT_BYTES / 1048576)) "$COMPACT_SECONDS" "$(echo "$COMPACT_BYTES / $PG_BYTES" | bc -l)" $((COPY_BYTES / 1048576)) "$COPY_SECONDS"
printf 'lyre peak anonymous memory during %s: %d MiB (sampled RssAnon)\n' "$COMPACTION_NAME" $((COMPACT_ANON_KB / 1024))
