#!/usr/bin/env python3
"""Bounded files under churn (issue 18 item 3).

Keeps LIVE records in table bench.churn under steady insert+delete churn (each step inserts
BATCH new records and deletes the BATCH oldest), and feeds table bench.ttl (expiration TTL
seconds) with BATCH records per step, which the server's sweeper deletes; runs until
ROUNDS x LIVE records have gone through bench.churn. Prints the database file's size over
time, then the size of a compacted copy of the same database (get_backup, which writes
LMDB's compacting copy) and the ratio. The file levels off when LMDB reuses freed pages;
a read transaction held open pins the pages of its snapshot, so the script's reads are short
(one search per step, as a client would make).

    python3 Benchmarks/churn.py PORT ROOT [LIVE] [ROUNDS]
"""
import base64, json, os, sys, time, urllib.request

port, root = int(sys.argv[1]), sys.argv[2]
LIVE = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 10
BATCH = 1_000
TTL = int(os.environ.get("TTL", "20"))
AUTH = "Basic " + base64.b64encode(b"admin:password").decode()
PATH = f"{root}/database/bench.mdb"


def post(body, raw=False):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": AUTH})
    with urllib.request.urlopen(req, timeout=600) as r:
        data = r.read()
    return data if raw else json.loads(data)


def records(first, n):
    return [{"id": i, "group": i % 50, "name": f"record {i}", "payload": "x" * (i % 200)} for i in range(first, first + n)]


def mib(n):
    return f"{n / 1048576:.1f}"


post({"operation": "create_table", "database": "bench", "table": "churn", "primary_key": "id"})
post({"operation": "create_table", "database": "bench", "table": "ttl", "primary_key": "id", "expiration": TTL})
for first in range(0, LIVE, BATCH):
    post({"operation": "insert", "database": "bench", "table": "churn", "records": records(first, BATCH)})
loaded = os.path.getsize(PATH)
print(f"loaded {LIVE} records: file {mib(loaded)} MiB")
print("| churned (x live) | file MiB | live records (churn + ttl) |")
print("|---|---|---|")
oldest, nxt, ttl_next = 0, LIVE, 0
steps = ROUNDS * LIVE // BATCH
start = time.time()
for step in range(1, steps + 1):
    post({"operation": "insert", "database": "bench", "table": "churn", "records": records(nxt, BATCH)})
    post({"operation": "delete", "database": "bench", "table": "churn", "ids": list(range(oldest, oldest + BATCH))})
    post({"operation": "insert", "database": "bench", "table": "ttl", "records": records(ttl_next, BATCH)})
    post({"operation": "search_by_value", "database": "bench", "table": "churn", "search_attribute": "group",
          "search_value": step % 50, "get_attributes": ["id"], "limit": 10})
    nxt, oldest, ttl_next = nxt + BATCH, oldest + BATCH, ttl_next + BATCH
    if step % (steps // 20 or 1) == 0 or step == steps:
        counts = [post({"operation": "describe_table", "database": "bench", "table": t})["record_count"] for t in ("churn", "ttl")]
        print(f"| {step * BATCH / LIVE:.1f} | {mib(os.path.getsize(PATH))} | {counts[0]} + {counts[1]} |", flush=True)
elapsed = time.time() - start
final = os.path.getsize(PATH)
compacted = len(post({"operation": "get_backup", "database": "bench"}, raw=True))
print(f"\n{steps * BATCH} records churned in {elapsed:.0f} s; file {mib(final)} MiB, "
      f"compacted copy {mib(compacted)} MiB: ratio {final / compacted:.2f} (must stay under 2)")
sys.exit(0 if final < 2 * compacted else 1)
