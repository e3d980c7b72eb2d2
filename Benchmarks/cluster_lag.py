#!/usr/bin/env python3
"""Replication lag between two clustered Lyre nodes: inserts on node A at a steady rate
(records per second, in batches), a poller on node B notes when each record becomes
visible there; lag = visible on B - sent to A (one machine, one clock). Prints p50/p99 ms.

    cluster_lag.py A_PORT B_PORT RATE SECONDS [BATCH] [FIRST_ID]

RATE 0 sends as fast as one connection can (the maximum rate); FIRST_ID lets a second run
use new ids in the same table.
"""
import base64, http.client, json, sys, threading, time

a_port, b_port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 50
first_id = int(sys.argv[6]) if len(sys.argv) > 6 else 1
auth = "Basic " + base64.b64encode(b"admin:password").decode()
headers = {"Content-Type": "application/json", "Authorization": auth}

def post(conn, body):
    conn.request("POST", "/", json.dumps(body), headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")

sent = {}            # id -> send time (s)
done = threading.Event()
seen = {}            # id -> time visible on B

def poll():
    conn = http.client.HTTPConnection("127.0.0.1", b_port)
    last = first_id - 1
    while not (done.is_set() and len(seen) >= len(sent)):
        status, rows = post(conn, {"operation": "sql", "sql": f"SELECT id FROM bench.lag WHERE id > {last}"})
        now = time.time()
        for row in rows or []:
            seen.setdefault(row["id"], now)
            last = max(last, row["id"])
        if done.is_set() and time.time() - stop_time > 30:
            break
        time.sleep(0.002)

stop_time = float("inf")
poller = threading.Thread(target=poll)
poller.start()
conn = http.client.HTTPConnection("127.0.0.1", a_port)
interval = batch / rate if rate > 0 else 0
next_id = first_id
start = time.time()
while time.time() - start < seconds:
    tick = time.time()
    records = [{"id": next_id + i, "payload": "x" * 40} for i in range(batch)]
    for r in records:
        sent[r["id"]] = tick
    status, _ = post(conn, {"operation": "insert", "database": "bench", "table": "lag", "records": records})
    assert status == 200, status
    next_id += batch
    delay = interval - (time.time() - tick)
    if delay > 0:
        time.sleep(delay)
elapsed = time.time() - start
stop_time = time.time()
done.set()
poller.join()
lags = sorted((seen[i] - sent[i]) * 1000 for i in sent if i in seen)
missing = len(sent) - len(lags)
def pct(p):
    return lags[min(len(lags) - 1, int(len(lags) * p))] if lags else float("nan")
print(json.dumps({"records": len(sent), "rate": round(len(sent) / elapsed), "p50_ms": round(pct(0.50), 1),
                  "p99_ms": round(pct(0.99), 1), "max_ms": round(lags[-1], 1) if lags else None, "missing": missing}))
