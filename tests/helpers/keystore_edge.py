#!/usr/bin/env python3
"""Raw-socket frame edge cases against the keystore daemon (docs/PROTOCOL.keystore).

usage: keystore_edge.py SOCKET CASE
       keystore_edge.py SOCKET table TABLE [NAME=VALUE...]   (tests/hostile_keystore.tsv)
Each CASE exits 0 when the daemon behaved as documented, else prints FAIL: ... and exits 1.
Only generous upper time bounds are asserted (plus the stall case's "not cut off at once").
"""
import json
import os
import select
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


def send_early_refused(s, data):
    """A caller the daemon refuses at accept may find it closed before it writes
    (PROTOCOL.keystore): the refusal is still there to be read."""
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


def case_stranger():
    s = conn()
    send_early_refused(s, frame({"op": "address"}))
    d, _ = recv_all(s)
    s.close()
    r = response(d, "stranger")
    if r.get("ok") is not False or r.get("error") != "denied" or r.get("rule") != "socket":
        die("stranger not refused with rule socket: %s" % str(r)[:200])
    if "address" in r:
        die("stranger got the address")


def case_unread(to):
    """A client that sends a request with a large response (sign_tx with 128 KiB of
    data: ~260 KiB of hex back) and never reads it: the daemon keeps what the socket
    did not take, serves others meanwhile, and closes it at its 2 s write deadline."""
    req = {"op": "sign_tx", "chainId": 31337, "nonce": 0, "maxPriorityFeePerGas": "0x0",
           "maxFeePerGas": "0x0", "gas": 21000, "to": to, "value": "0",
           "data": "0x" + "00" * (128 * 1024)}
    t0 = time.monotonic()
    s = conn()
    s.sendall(frame(req))
    time.sleep(0.3)
    lat = []
    for _ in range(5):
        t = time.monotonic()
        served("a client while another does not read its response")
        lat.append(time.monotonic() - t)
    others_done = time.monotonic() - t0
    time.sleep(2.5)  # past the write deadline
    d, how = recv_all(s)
    s.close()
    if how == "timeout":
        die("unread response: not closed")
    n = struct.unpack(">I", d[:4])[0] if len(d) >= 4 else 0
    if len(d) >= 4 + n:
        print("# the whole response fit the socket buffers (%d bytes): no cut to see" % len(d))
    elif len(d) < 4:
        die("unread response: nothing was sent")
    print("# unread %d-byte response: %d bytes were queued when it was cut; 5 other "
          "requests answered meanwhile in at most %.1f ms (all within %.2f s)"
          % (n + 4, len(d), max(lat) * 1e3, others_done))
    if max(lat) > 1.0:
        die("a request waited %.2f s behind an unread response" % max(lat))


# The flood case: connections made as other uids (the daemon sees SO_PEERCRED, fixed at
# connect) by a child that hands them back over SCM_RIGHTS, so one process holds them all.
# The policy of test_keystore_daemon.sh allows gid 4300 the address operation.
STALL_GID = 4300
PARTIAL = struct.pack(">I", 100) + b'{"op":"addr'  # 11 of 100 bytes, then nothing
CONN_MAX, PER_UID, RESERVED = 64, 16, 8            # src/keystore/loop.h


def connect_as(uid, gid, n, payload):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            a.close()
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            socks = []
            for _ in range(n):
                s = conn()
                if payload:
                    send_early_refused(s, payload)
                socks.append(s)
            socket.send_fds(b, [b"x"], [s.fileno() for s in socks])
        except BaseException as e:  # the parent reports it
            print("FAIL: child as uid %d: %r" % (uid, e), flush=True)
            code = 1
        os._exit(code)
    b.close()
    _, fds, _, _ = socket.recv_fds(a, 16, n)
    a.close()
    _, st = os.waitpid(pid, 0)
    if st != 0 or len(fds) != n:
        die("connections as uid %d: child status %d, %d of %d fds" % (uid, st, len(fds), n))
    t = time.monotonic()
    return [{"s": socket.socket(fileno=fd), "uid": uid, "t": t} for fd in fds]


def readable(items, seconds):
    """The items whose socket has something to read (data or EOF) within seconds."""
    p = select.poll()
    by_fd = {}
    for it in items:
        p.register(it["s"].fileno(), select.POLLIN)
        by_fd[it["s"].fileno()] = it
    out = []
    deadline = time.monotonic() + seconds
    while by_fd and time.monotonic() < deadline:
        for fd, _ in p.poll(max(1, int((deadline - time.monotonic()) * 1000))):
            p.unregister(fd)
            it = by_fd.pop(fd)
            it["closed"] = time.monotonic()
            out.append(it)
    return out


def good():
    t = time.monotonic()
    s = conn()
    s.sendall(frame({"op": "personal_sign", "message": "flood"}))
    d, _ = recv_all(s)
    s.close()
    el = time.monotonic() - t
    expect_ok(d, "good request during the flood", "signature")
    return el


def case_flood():
    """Over 100 stalled connections: allowed uids up to the caps (held open by the
    daemon until their deadline) and beyond them (refused at accept), strangers
    (refused at accept); a good client is answered at once, before any stalled
    connection is cut off; each held one is cut at its own deadline."""
    allowed = []
    plan = [(4301, PER_UID + 1), (4302, PER_UID), (4303, PER_UID), (4304, PER_UID)]
    for uid, n in plan:
        allowed += connect_as(uid, STALL_GID, n, PARTIAL)
    strangers = connect_as(65534, 65534, 20, PARTIAL) + connect_as(65534, 65534, 20, None)
    total = len(allowed) + len(strangers)
    # refusals come at accept, before anything is read
    early = readable(allowed + strangers, 0.3)
    for it in early:
        d, how = recv_all(it["s"])
        if how == "timeout":
            die("uid %d: a response but no close" % it["uid"])
        it["resp"] = response(d, "early answer to uid %d" % it["uid"])
    for it in strangers:
        r = it.get("resp")
        if not r or r.get("error") != "denied" or r.get("rule") != "socket":
            die("stranger not refused at accept with rule socket: %s" % r)
    held = [it for it in allowed if "closed" not in it]
    busy = [it for it in allowed if "closed" in it]
    for it in busy:
        if it["resp"].get("ok") is not False or it["resp"].get("error") != "busy":
            die("uid %d over the caps: expected error busy, got %s" % (it["uid"], it["resp"]))
    per_uid = {u: sum(1 for it in held if it["uid"] == u) for u, _ in plan}
    want = {4301: PER_UID, 4302: PER_UID, 4303: PER_UID,
            4304: CONN_MAX - RESERVED - 3 * PER_UID}
    if per_uid != want:
        die("held per uid %s, expected %s" % (per_uid, want))
    msg_4301 = [it["resp"]["message"] for it in busy if it["uid"] == 4301]
    if len(msg_4301) != 1 or "at most %d per uid" % PER_UID not in msg_4301[0]:
        die("uid 4301's connection over the per-uid cap: %s" % msg_4301)
    msg_4304 = [it["resp"]["message"] for it in busy if it["uid"] == 4304]
    if len(msg_4304) != PER_UID - want[4304] or \
            any("only for a uid with none open" not in m for m in msg_4304):
        die("uid 4304's connections over the global cap: %s" % msg_4304[:2])
    # uid 0 has nothing open: it takes one of the reserved slots, answered at once
    lat = []
    for _ in range(10):
        lat.append(good())
        time.sleep(0.03)
    good_done = time.monotonic()
    # every held connection is cut at its deadline (2 s from accept), without a response
    cut = readable(held, WAIT)
    if len(cut) != len(held):
        die("%d of %d stalled connections not closed within %.0f s"
            % (len(held) - len(cut), len(held), WAIT))
    for it in held:
        d, how = recv_all(it["s"])
        expect_closed(d, how, "stalled connection of uid %d" % it["uid"])
        it["after"] = it["closed"] - it["t"]
        it["s"].close()
    first_cut = min(it["closed"] for it in held)
    afters = sorted(it["after"] for it in held)
    if afters[0] < 1.0:
        die("a stalled connection was cut after %.2f s, before its 2 s limit" % afters[0])
    if good_done >= first_cut:
        die("good requests finished only after the first stalled connection was cut")
    lat.sort()
    print("# %d stalled connections (%d held by the daemon, %d refused by the caps, %d "
          "strangers refused at accept); 10 good requests answered in %.1f ms median, "
          "%.1f ms max, all before the first stalled one was cut (%.2f s); held ones cut "
          "after %.2f-%.2f s" % (total, len(held), len(busy), len(strangers),
                                 lat[5] * 1e3, lat[-1] * 1e3,
                                 first_cut - min(it["t"] for it in held), afters[0], afters[-1]))
    if lat[-1] > 1.0:
        die("a good request took %.3f s during the flood" % lat[-1])
    for it in busy + strangers:
        it["s"].close()
    # the caps are free again: uid 4301 is served
    it = connect_as(4301, STALL_GID, 1, frame({"op": "address"}))[0]
    d, _ = recv_all(it["s"])
    it["s"].close()
    expect_ok(d, "uid 4301 after its stalled connections were cut", "address")


# ---- the catalogue: tests/hostile_keystore.tsv (issue 11 item 9)
def unescape(s, var):
    """Row text -> bytes: tokens ({NAME}, {X*N}: N times X), then \\xNN \\n \\t \\\\."""
    import re
    s = re.sub(r"\{([^{}*]{1,2})\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), s)
    for k, v in var.items():
        s = s.replace("{" + k + "}", v)
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
            out += {"n": b"\n", "t": b"\t", "r": b"\r", "\\": b"\\"}.get(n, b"\\" + n.encode())
            i += 2
            continue
        out += c.encode()
        i += 1
    return bytes(out)


def run_row(kind, data):
    """Send one case; returns (response object or None, how the connection ended)."""
    kind, _, uid = kind.partition("@")  # json@UID: connect as that uid (gid = uid)
    if kind == "json":
        payload = frame(data)  # data: the JSON text as bytes, framed with its true length
    elif kind == "raw":
        payload = data         # verbatim: header and all
    else:
        raise ValueError("kind must be json, raw or json@UID, got %r" % kind)
    if uid:
        # connected (and the request sent) by a child as that uid: SO_PEERCRED is fixed
        # at connect; the socket comes back over SCM_RIGHTS
        s = connect_as(int(uid), int(uid), 1, payload)[0]["s"]
    else:
        s = conn()
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
    d, how = recv_all(s)
    s.close()
    if how == "timeout":
        return None, "timeout"
    if not d:
        return None, "closed"
    if len(d) < 4 or len(d) != 4 + struct.unpack(">I", d[:4])[0]:
        return None, "bad frame (%d bytes)" % len(d)
    try:
        return json.loads(d[4:]), how
    except ValueError:
        return None, "response not JSON"


def case_table(path, var):
    """Rows: kind<TAB>input<TAB>outcome<TAB>message<TAB>what.  outcome: ok[:FIELD] (ok true
    with FIELD), closed (no response, the connection closed), or ERROR[/RULE] (ok false,
    that error and rule); message: a substring of the response's message ('-': none)."""
    rows = passed = failed = known = 0
    for ln, line in enumerate(open(path, encoding="utf-8").read().split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 5:
            print("FAIL %s:%d: %d columns, want 5" % (path, ln, len(cols)))
            failed += 1
            continue
        rows += 1
        kind, inp, outcome, want_msg, what = cols
        data = unescape(inp, var)
        t = time.monotonic()
        try:
            r, how = run_row(kind, data)
        except (OSError, ValueError) as e:
            r, how = None, "client error %r" % e
        el = time.monotonic() - t
        why = []
        if outcome == "closed":
            if r is not None or how != "closed":
                why.append("expected a close without response, got %s %s" % (how, str(r)[:200]))
        elif r is None:
            why.append("expected %s, got %s" % (outcome, how))
        elif outcome.startswith("ok"):
            field = outcome[3:]
            if r.get("ok") is not True or (field and field not in r):
                why.append("expected ok%s, got %s" % (" with " + field if field else "",
                                                      str(r)[:200]))
        else:
            err, _, rule = outcome.partition("/")
            if r.get("ok") is not False or r.get("error") != err or \
                    (rule and r.get("rule") != rule):
                why.append("expected %s, got %s" % (outcome, str(r)[:200]))
            elif want_msg != "-" and want_msg not in r.get("message", ""):
                why.append("message %r lacks %r" % (r.get("message"), want_msg))
        try:
            served("after row %d" % ln)
        except SystemExit:
            why.append("daemon no longer serving after this row")
        if not why:
            passed += 1
            print("ok %d %s (%.1f ms): %s" % (ln, what, el * 1e3,
                  (r.get("message") or ("ok" if r.get("ok") else r.get("error", "")))[:160]
                  if r else how))
        elif what.startswith("KNOWN:"):
            known += 1
            print("known %d %s: %s" % (ln, what, "; ".join(why)))
        else:
            failed += 1
            print("FAIL %s:%d %s: %s" % (path, ln, what, "; ".join(why)))
    print("hostile: %d rows, %d passed, %d failed, %d known" % (rows, passed, failed, known))
    if rows < 50:
        die("%s: %d rows, at least 50 wanted" % (path, rows))
    if failed:
        sys.exit(1)


CASES = {"overcap": case_overcap, "zero": case_zero, "split": case_split,
         "stall": case_stall, "large": case_large, "trailing": case_trailing,
         "stranger": case_stranger, "flood": case_flood, "served": lambda: served("plain request")}

if len(sys.argv) >= 4 and sys.argv[2] == "table":
    case_table(sys.argv[3], dict(a.split("=", 1) for a in sys.argv[4:]))
    sys.exit(0)
if len(sys.argv) == 4 and sys.argv[2] == "unread":
    case_unread(sys.argv[3])
    sys.exit(0)
if len(sys.argv) != 3 or sys.argv[2] not in CASES:
    print("usage: keystore_edge.py SOCKET {%s} | SOCKET unread TO_ADDRESS"
          % "|".join(CASES), file=sys.stderr)
    sys.exit(2)
CASES[sys.argv[2]]()
