#!/usr/bin/env python3
"""Helpers of sql-bench.sh.

  sql_bench.py load URL AUTH CSVDIR      loads bench.big (1,000,000 x 10 attributes), bench.mid
                                         (100,000) and bench.small (1,000) into Lyre and writes the
                                         same rows as CSV files for sqlite3
  sql_bench.py time URL AUTH N BODY      posts BODY N times on one keep-alive connection; prints the
                                         median seconds per request and the response size

Data: big.grp = id % 10000 (100 records per value), big.breed has 8 values; mid.sid = id % 1000
joins small.id (100 mid rows per small row)."""
import csv, http.client, json, os, statistics, sys, threading, time, urllib.parse

BREEDS = ["husky", "beagle", "poodle", "boxer", "collie", "pug", "akita", "corgi"]
BIG = int(os.environ.get("BIG", "1000000"))
MID = int(os.environ.get("MID", "100000"))
SMALL = int(os.environ.get("SMALL", "1000"))


def big(i):
    return {"id": i, "name": f"dog {i}", "owner": f"owner {i % 5000}", "breed": BREEDS[i % 8], "age": i % 20,
            "weight": (i % 90) + 0.5, "adorable": i % 2 == 0, "city": f"city {i % 300}", "score": i * 7 % 1000,
            "grp": i % 10000}


def mid(i):
    return {"id": i, "sid": i % SMALL, "val": i * 13 % 977}


def small(i):
    return {"id": i, "name": f"kennel {i}", "cat": i % 10}


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=3600)


def post(conn, auth, body):
    conn.request("POST", "/", body, {"Content-Type": "application/json", "Authorization": auth})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"{r.status}: {data[:300]!r}")
    return data


def load(url, auth, csvdir):
    c = connect(url)
    post(c, auth, json.dumps({"operation": "create_database", "database": "bench"}).encode())
    for t in ("big", "mid", "small"):
        post(c, auth, json.dumps({"operation": "create_table", "database": "bench", "table": t,
                                  "primary_key": "id"}).encode())
    for table, make, total in (("big", big, BIG), ("mid", mid, MID), ("small", small, SMALL)):
        starts = list(range(0, total, 1000))
        lock = threading.Lock()

        def worker():
            conn = connect(url)
            while True:
                with lock:
                    if not starts:
                        return
                    s = starts.pop(0)
                recs = [make(i) for i in range(s, min(s + 1000, total))]
                post(conn, auth, json.dumps({"operation": "insert", "database": "bench", "table": table,
                                             "records": recs}).encode())

        t0 = time.time()
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(f"loaded {table}: {total} records in {time.time() - t0:.1f} s", file=sys.stderr)
        with open(os.path.join(csvdir, table + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            for i in range(total):
                r = make(i)
                w.writerow([int(v) if isinstance(v, bool) else v for v in r.values()])


def timed(url, auth, n, body):
    c = connect(url)
    data = post(c, auth, body.encode())  # warm-up
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        data = post(c, auth, body.encode())
        times.append(time.perf_counter() - t0)
    print(f"{statistics.median(times):.6f} {len(data)}")


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "time":
        timed(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
