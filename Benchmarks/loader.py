#!/usr/bin/env python3
"""Bulk loader: inserts N records of 10 attributes in requests of B records over C
connections, and prints records/s. Usage: loader.py URL AUTH N B C"""
import http.client, json, sys, threading, time, urllib.parse

url, auth, total, batch, conns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
u = urllib.parse.urlparse(url)
breeds = ["husky", "beagle", "poodle", "boxer", "collie", "pug", "akita", "corgi"]

def body(start):
    recs = []
    for i in range(start, min(start + batch, total)):
        recs.append({"id": i, "name": f"dog {i}", "owner": f"owner {i % 5000}", "breed": breeds[i % 8],
                     "age": i % 20, "weight": (i % 90) + 0.5, "adorable": i % 2 == 0, "city": f"city {i % 300}",
                     "score": i * 7 % 1000, "tag": f"t{i % 50}"})
    return json.dumps({"operation": "insert", "database": "load", "table": "big", "records": recs}).encode()

starts = list(range(0, total, batch))
lock = threading.Lock()
errors = []

def worker():
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    while True:
        with lock:
            if not starts: return
            s = starts.pop(0)
        c.request("POST", "/", body(s), {"Content-Type": "application/json", "Authorization": auth})
        r = c.getresponse(); data = r.read()
        if r.status != 200: errors.append(data[:200])

t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(conns)]
for t in ts: t.start()
for t in ts: t.join()
dt = time.time() - t0
if errors: print("errors:", errors[:3], file=sys.stderr)
print(f"{total / dt:.0f}")
