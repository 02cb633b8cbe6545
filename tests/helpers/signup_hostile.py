#!/usr/bin/env python3
"""Run tests/hostile_signup.tsv against blockhost-signup (tests/integration/test_signup_hostile.sh).
usage: signup_hostile.py TABLE HOST PORT CAFILE CONTRACT
Each row: a fresh TLS connection (verified against CAFILE), the request sent as written, the
status and a substring of the body checked; then GET / must answer 200.  Prints one line per
row and exits 1 if any row differs."""
import http.client, json, re, ssl, sys

table, host, port, cafile, contract = sys.argv[1:]
OTHER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
ctx = ssl.create_default_context(cafile=cafile)

def expand(s):
    s = s.replace("{C}", contract).replace("{O}", OTHER)
    if s == "[{a*17 calls}]":
        return json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(17)])
    return re.sub(r"\{(.)\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), s)

def request(method, path, body):
    c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        if body is not None:
            c.putheader("Content-Type", "application/json")
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body.encode() if body is not None else None)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()

bad = n = 0
for line in open(table):
    if not line.strip() or line.startswith("#"):
        continue
    method, path, body, status, text, what = line.rstrip("\n").split("\t")
    n += 1
    b = None if body == "-" else expand(body)
    if method == "POST" and b is None:
        b = ""
    try:
        got, out = request(method, expand(path), b)
    except Exception as e:  # noqa: BLE001 - reported as the row's failure
        got, out = -1, repr(e)
    alive, _ = request("GET", "/", None)
    text = expand(text)
    if got == int(status) and text in out and alive == 200:
        print(f"ok   {what}: {got} {out[:110].strip()}")
    else:
        bad += 1
        print(f"FAIL {what}: {method} {path[:60]}: got {got} {out[:200]!r} (want {status} '{text}'); GET / {alive}")
print(f"{n - bad} of {n} rows as the table says")
sys.exit(1 if bad else 0)
