#!/usr/bin/env python3
"""Raw-socket frame edge cases against the keystore daemon (docs/PROTOCOL.keystore).

usage: keystore_edge.py SOCKET CASE
Each CASE exits 0 when the daemon behaved as documented, else prints FAIL: ... and exits 1.
Only generous upper time bounds are asserted (plus the stall case's "not cut off at once").
"""
import json
import socket
import struct
import sys
import threading
import time

SOCK = sys.argv[1]
WAIT = 10.0  # generous upper bound for any answer or close
CAP = 512 * 1024


def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(WAIT)
    s.connect(SOCK)
    return s


def frame(obj):
    b = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
    return struct.pack(">I", len(b)) + b


def recv_all(s):
    """Everything until the daemon closes: (bytes, how) with how in eof/reset/timeout."""
    d = b""
    deadline = time.monotonic() + WAIT
    while True:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            k = s.recv(65536)
        except ConnectionResetError:
            return d, "reset"
        except socket.timeout:
            return d, "timeout"
        if not k:
            return d, "eof"
        d += k


def response(d, what):
    if len(d) < 4:
        die("%s: no response (%d bytes)" % (what, len(d)))
    n = struct.unpack(">I", d[:4])[0]
    if len(d) != 4 + n:
        die("%s: response frame says %d bytes, got %d" % (what, n, len(d) - 4))
    try:
        return json.loads(d[4:])
    except ValueError as e:
        die("%s: response not JSON: %s" % (what, e))


def expect_ok(d, what, key):
    r = response(d, what)
    if r.get("ok") is not True or key not in r:
        die("%s: expected ok with %s, got %s" % (what, key, str(r)[:200]))
    return r


def expect_closed(d, how, what):
    if how == "timeout":
        die("%s: not closed within %.0f s" % (what, WAIT))
    if d:
        die("%s: expected a close without response, got %r" % (what, d[:100]))


def served(what):
    s = conn()
    s.sendall(frame({"op": "address"}))
    d, _ = recv_all(s)
    s.close()
    expect_ok(d, what, "address")


def case_overcap():
    for n in (CAP + 1, 0xFFFFFFFF):
        s = conn()
        s.sendall(struct.pack(">I", n))
        d, how = recv_all(s)
        s.close()
        expect_closed(d, how, "length %d" % n)
        served("after length %d" % n)


def case_zero():
    s = conn()
    s.sendall(struct.pack(">I", 0))
    d, how = recv_all(s)
    s.close()
    expect_closed(d, how, "length 0")
    served("after length 0")


def case_split():
    f = frame({"op": "personal_sign", "message": "split"})
    s = conn()
    for i in range(4):
        s.sendall(f[i:i + 1])
        time.sleep(0.05)
    s.sendall(f[4:])
    d, _ = recv_all(s)
    s.close()
    expect_ok(d, "header in 1-byte pieces", "signature")


def case_stall():
    result = {}

    def other():
        time.sleep(0.3)  # while the stalled client holds its connection
        t = time.monotonic()
        try:
            s = conn()
            s.sendall(frame({"op": "address"}))
            d, _ = recv_all(s)
            s.close()
            result["d"] = d
        except OSError as e:
            result["err"] = repr(e)
        result["t"] = time.monotonic() - t

    t0 = time.monotonic()
    s = conn()
    s.sendall(struct.pack(">I", 100) + b'{"op":"addr')  # 11 of 100 bytes, then nothing
    th = threading.Thread(target=other)
    th.start()
    d, how = recv_all(s)
    el = time.monotonic() - t0
    s.close()
    th.join(WAIT + 5)
    expect_closed(d, how, "stalled client")
    if el < 1.0:
        die("stalled client cut off after %.2f s, before its 2 s limit" % el)
    if "err" in result or "d" not in result:
        die("other client during a stall: %s" % result.get("err", "no answer"))
    expect_ok(result["d"], "other client during a stall", "address")
    if result["t"] > WAIT:
        die("other client answered only after %.1f s" % result["t"])
    print("# stalled client closed after %.2f s; other client answered after %.2f s"
          % (el, result["t"]))


def case_large():
    req = json.dumps({"op": "personal_sign", "message_hex": "0x" + "ab" * 65536}).encode()
    if len(req) < 128 * 1024:
        die("test bug: request only %d bytes" % len(req))
    s = conn()
    s.sendall(frame(req))
    d, _ = recv_all(s)
    s.close()
    expect_ok(d, "%d-byte request" % len(req), "signature")


def case_trailing():
    # PROTOCOL.keystore: "Bytes after the request frame are ignored."
    s = conn()
    s.sendall(frame({"op": "personal_sign", "message": "trail"}) + b"junk" +
              frame({"op": "address"}))
    d, _ = recv_all(s)
    s.close()
    r = expect_ok(d, "bytes after the frame", "signature")
    if "address" in r:
        die("bytes after the frame were answered as a second request")
    served("after trailing bytes")


def case_stranger():
    s = conn()
    s.sendall(frame({"op": "address"}))
    d, _ = recv_all(s)
    s.close()
    r = response(d, "stranger")
    if r.get("ok") is not False or r.get("error") != "denied" or r.get("rule") != "socket":
        die("stranger not refused with rule socket: %s" % str(r)[:200])
    if "address" in r:
        die("stranger got the address")


CASES = {"overcap": case_overcap, "zero": case_zero, "split": case_split,
         "stall": case_stall, "large": case_large, "trailing": case_trailing,
         "stranger": case_stranger, "served": lambda: served("plain request")}

if len(sys.argv) != 3 or sys.argv[2] not in CASES:
    print("usage: keystore_edge.py SOCKET {%s}" % "|".join(CASES), file=sys.stderr)
    sys.exit(2)
CASES[sys.argv[2]]()
