#!/usr/bin/env python3
"""Writes raw seed inputs for every fuzz target into OUT/TARGET/ (default /tmp/lyre-seeds).

The committed corpora (Fuzz/corpus/TARGET) were made by merging these seeds, plus what
short fuzzing runs found, with libFuzzer's -merge=1 (scripts/fuzz --merge), which keeps
only inputs that add coverage. Run this again only to re-seed from scratch:

    Fuzz/make-seeds.py /tmp/lyre-seeds
    scripts/fuzz --merge-from /tmp/lyre-seeds/sql sql

Seeds come from the repository's own tests (SQL .test files, JSONata tests, HTTP framing
tests) and hand-written edge cases.
"""
import glob
import hashlib
import json
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/lyre-seeds"


def write(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


# JSON ---------------------------------------------------------------------------------
json_seeds = [
    '{"operation":"insert","database":"dev","table":"dog","records":[{"id":1,"name":"Penny","tags":["a",null,true,false]}]}',
    '[1,-1,0,-0,0.5,1e21,1E-7,-1.5e+300,123456789012345678901,9223372036854775807,-9223372036854775808,9223372036854775808]',
    '"\\u0000\\ud83d\\ude00\\ud800\\udc00x\\uDFFF\\n\\t\\"\\\\\\/\\b\\f\\r"',
    '{"a":1,"a":2,"b":{"c":[[],{}]}}',
    ' \t\r\n{ "k" : [ 1 , 2 ] } \n',
    "1.7976931348623157e308", "5e-324", "2.2250738585072011e-308", "9007199254740993", "0.1",
    "1e400", "-1e-400", "123456789012345678901234567890.123456789e-10", "0.000000000000000000000000001",
    "4.9406564584124654e-324", "18446744073709551616", "-0.0", "1.0", "100e-2",
    "\"caf\xc3\xa9 \xf0\x9f\x90\x95\"", "[\"\xff\xfe\"]", "tru", "nul", "[1,]", "{\"a\"}", "01", "-", "1.", "1e",
    "[" * 40 + "]" * 40, "[" * 513 + "]" * 513, "{\"a\":" * 30 + "1" + "}" * 30,
]
for s in json_seeds:
    write("json", s)

# SQL ----------------------------------------------------------------------------------
sql = set()
for path in glob.glob(os.path.join(ROOT, "Tests/LyreSQLTests/Resources/sql/*.test")) + \
        glob.glob(os.path.join(ROOT, "Tests/LyreOperationsTests/Resources/statements/*.test")):
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(" ")
        if head in ("parse-ok", "parse-error", "keys", "select"):
            sql.add(rest.split(" => ")[0])
        elif head == "where":
            sql.add("SELECT * FROM conf.pet WHERE " + rest.split(" => ")[0])
        elif head in ("agg", "row", "now", "tolerance", "table", "age", "name", "missing"):
            continue
        elif re.match(r"^(SELECT|INSERT|UPDATE|DELETE|select|insert|update|delete)\b", line):
            sql.add(line.split(" => ")[0])
        elif " => " in line:
            sql.add("SELECT " + line.split(" => ")[0])
for s in sorted(sql):
    write("sql", s)
for s in [
    "SELECT p.name, o.name FROM conf.pet p LEFT JOIN conf.owner o ON p.owner_id = o.id WHERE p.age > 2 ORDER BY o.name DESC LIMIT 2 OFFSET 1",
    "SELECT species, COUNT(*), AVG(weight), GROUP_CONCAT(name) FROM conf.pet GROUP BY species HAVING COUNT(*) > 1",
    "SELECT SEARCH_JSON('$[0]', tags), meta.color FROM conf.pet WHERE tags IS NOT NULL",
    "SELECT DISTINCT g, v FROM conf.mixed WHERE v BETWEEN 1 AND 10 OR s LIKE 'a%' ORDER BY v",
    "INSERT INTO conf.pet (id, name) VALUES (6, 'Max'), (7, NULL)",
    "UPDATE conf.pet SET age = age + 1, name = UPPER(name) WHERE id IN (1, 2)",
    "DELETE FROM conf.pet WHERE name = 'Rex' AND NOT vaccinated",
    "SELECT CAST('12' AS INT), CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END, COALESCE(NULL, 1), 'it''s' || 'x'",
    "SELECT DATE_FORMAT(NOW(), 'YYYY-MM-DD'), DATE_ADD(0, 1, 'days'), EXTRACT(1700000000000, 'year')",
    "SELECT * FROM conf.pet; SELECT 1;",
    "SELECT ((((((((((1))))))))))", "SELECT NOT NOT NOT NOT 1", "SELECT 1+1+1+1+1+1+1+1",
    "SELECT -9223372036854775808, 9223372036854775807, 1e308, 0x1F, .5, 5.",
    "SELECT [weird name], `other` FROM `conf`.[pet] /* comment */ -- line\n WHERE id = 1",
]:
    write("sql", s)

# JSONata ------------------------------------------------------------------------------
jsonata = set()
for line in open(os.path.join(ROOT, "Tests/LyreSQLTests/Resources/sql/search_json.test"), encoding="utf-8"):
    m = re.match(r"^SEARCH_JSON\('((?:[^']|'')*)'", line)
    if m:
        jsonata.add(m.group(1).replace("''", "'"))
for m in re.finditer(r'JSONataExpression\("((?:[^"\\]|\\.)*)"\)|#"((?:[^"]|"(?!#))*)"#', open(os.path.join(ROOT, "Tests/LyreSQLTests/JSONataTests.swift"), encoding="utf-8").read()):
    text = m.group(1) if m.group(1) is not None else m.group(2)
    if text and not text.startswith("{") and not text.startswith("["):
        jsonata.add(text.replace('\\"', '"'))
jsonata.update([
    "name", "owner.phones[type='work'].number", "orders[price > 1].id", "$sum(orders.(price * qty))",
    "$map(tags, function($v, $i) { $uppercase($v) & $string($i) })", "$count(tags) > 2 ? 'many' : 'few'",
    "orders^(>price).id", "$keys(owner)", "{ 'n': name, 'a': [age, weight] }", "**.number", "tags[-1]",
    "$filter(orders, function($o) { $o.qty })", "$join(tags, ', ')", "$substring(unicode, 1, 3)",
    "$split('a,b,,c', ',', 2)", "$replace(name, 'n', 'N')", "$lookup(owner, 'name')", "$merge([owner, {'x': 1}])",
    "$sort(orders, function($a, $b) { $a.price > $b.price })", "$distinct([1,1,2])", "$round(2.5) + $floor(-1.5)",
    "$power(2, 10) / $sqrt(16) % 3", "1..5", "[1..3].($ * 2)", "$not(flags[0]) and flags[1] or true",
    "'a' in tags", "$exists(missing)", "$number('0x10')", "$boolean([])", "$string({'a': [1, 2]})",
    "$append(tags, [1])", "$reverse(tags)", "$average(orders.price)", "$max([]), $min(orders.qty)",
    "(($x := 5); $x * $x)", "$$.name", "$.owner.name", "empty.*", "flags[$ = null]",
])
for s in sorted(jsonata):
    write("jsonata", s)
write("jsonata", b"a.b[0]\x00{\"a\":{\"b\":[1,2]}}")
write("jsonata", b"$sum($)\x00[1,2.5,-3]")

# CSV ----------------------------------------------------------------------------------
for s in [
    "id,name,age\n1,Penny,5\n2,Harper,12\n",
    "\xef\xbb\xbfid,name\r\n1,\"Penny, \"\"P\"\"\"\r\n2,\"multi\nline\"\r\n",
    "a,b\n\n\n1,2\r3,4\r\n", "a\n\"unterminated\n", "a\n\"ab\"c\n", "a,b,c\n,,\n\"\",x,\n",
    "id,json\n1,\"{\"\"a\"\":[1,2]}\"\n2,[1,2]\n3,{bad\n",
    "v\ntrue\nFALSE\nnull\nNULL\nundefined\nNaN\n-0\n011\n1e5\n1.5\n-12.25\n9223372036854775808\n2024-01-02T03:04:05Z\n2024-01-02T03:04:05.123+02:00\n",
    "a\r\n\"x\r\ny\"\r\n", "\"a\"\"b\",c\r", "x\n\xff\xfe,\xc3\n",
]:
    write("csv", s.encode("latin-1") if "\xff" in s else s.encode("utf-8", "surrogatepass") if "\xef" not in s else s.encode("latin-1"))

# HTTP ---------------------------------------------------------------------------------
def post(body, headers=()):
    h = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    for x in headers:
        h += x + "\r\n"
    return h + "Content-Length: %d\r\n\r\n" % len(body.encode()) + body

for s in [
    post('{"operation":"describe_all"}'),
    post("1") + post("22", ["Authorization: Basic YWRtaW46cGFzcw=="]) + post("333", ["Connection: close"]),
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7;name=value\r\n{\"a\":1}\r\n0\r\nX-Trailer: yes\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    "\r\n\r\n" + post("{}"),
    "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" + post("{}"),
    "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\nOPTIONS / HTTP/1.1\r\nOrigin: http://a\r\n\r\n",
    "GET /nowhere?x=1 HTTP/1.1\r\nAccept: text/html\r\n\r\n",
    "POST / HTTP/1.1\r\nAccept: application/json, */*;q=0.1\r\nContent-Length: 2\r\n\r\n{}",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n{}",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
    "POST / HTTP/1.1\r\nHost: x\nContent-Length: 2\r\n\r\n{}",
    "POST / HTTP/2.0\r\nHost: x\r\n\r\n", "POST  / HTTP/1.1\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 400\r\n\r\n" + "x" * 400,
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n" + "y" * 512 + "\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n",
]:
    write("http", s)

# Codec (first byte: 0 key bytes, 1 record bytes, 2 generated values) -----------------------
def key(v, nested=False):
    if v is None: return b"\x01"
    if v is False: return b"\x02"
    if v is True: return b"\x03"
    if isinstance(v, (int, float)):
        d = float(v)
        bits = struct.unpack(">Q", struct.pack(">d", d))[0]
        bits = (~bits & 0xFFFFFFFFFFFFFFFF) if bits >> 63 else bits | (1 << 63)
        out = b"\x04" + struct.pack(">Q", bits)
        if abs(d) >= 2 ** 53:
            r = (int(v) - int(d)) if isinstance(v, int) else 0
            out += struct.pack(">H", (r & 0xFFFF) ^ 0x8000)
        return out
    if isinstance(v, str):
        b = v.encode()
        return b"\x05" + (b.replace(b"\x00", b"\x00\xff") + b"\x00" if nested else b)
    if isinstance(v, list):
        return b"\x06" + b"".join(key(x, True) for x in v) + b"\x00"

def varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80]); n >>= 7
    return out + bytes([n])

def rvalue(v):
    if v is None: return b"\x00"
    if v is False: return b"\x01"
    if v is True: return b"\x02"
    if isinstance(v, int): return b"\x03" + varint(((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF)
    if isinstance(v, float): return b"\x04" + struct.pack("<d", v)
    if isinstance(v, str): return b"\x05" + varint(len(v.encode())) + v.encode()
    if isinstance(v, list):
        body = varint(len(v)) + b"".join(rvalue(x) for x in v)
        return b"\x06" + struct.pack("<I", len(body)) + body
    if isinstance(v, dict):
        body = varint(len(v)) + b"".join(varint(len(k.encode())) + k.encode() + rvalue(x) for k, x in v.items())
        return b"\x07" + struct.pack("<I", len(body)) + body

def record(o):
    return b"\x01" + varint(len(o)) + b"".join(varint(len(k.encode())) + k.encode() + rvalue(x) for k, x in o.items())

for v in [None, True, False, 0, -1, 1.5, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, "", "a\x00b", [1, "x\x00", [None, []]], float("inf")]:
    write("codec", b"\x00" + key(v))
write("codec", b"\x03" + key(["a", 9007199254740993, ["b"]], True))
for o in [{"id": 1, "name": "Penny"}, {"a": [1, 2.5, None, {"b": "c"}], "k": True, "n": -7}, {}]:
    write("codec", b"\x01" + record(o))
for raw in [b"\x02" + bytes(range(64)), b"\x05\x83\x11\x00\x93\x14\xff\x1b\x07\x06\x03\x12\x22", b"\x02\x1e\x05\x26\x06\x33\x0b\x3b\xff" * 4]:
    write("codec", raw)
print("seeds written to", OUT)
