#!/usr/bin/env python3
# Minimal independent root-agent client (upstream wire format: 4-byte BE length + JSON).
# usage: agent_call.py SOCKET ACTION [PARAMS_JSON]   -> prints the reply JSON
#        agent_call.py --raw SOCKET < bytes            -> sends stdin bytes verbatim
#        agent_call.py --table SOCKET TABLE [NAME=VALUE...]
#            runs the hostile-request catalogue (tests/hostile_agent.tsv, format there);
#            the last line is "hostile: N rows, N passed, N failed, N known"
import json, re, socket, struct, sys, time

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("connection closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

def exchange(path, data, timeout=120):
    """Send bytes, read one reply frame: (reply object or None, how)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)   # EOF after the bytes: a cut frame ends here
    except (BrokenPipeError, ConnectionResetError, OSError):
        pass  # the agent may refuse (and close) before reading: its reply is still queued
    d = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            d += c
    except socket.timeout:
        return None, "timeout"
    except ConnectionResetError:
        pass
    finally:
        s.close()
    if not d:
        return None, "closed"
    if len(d) < 4 or len(d) != 4 + struct.unpack(">I", d[:4])[0]:
        return None, "bad reply frame (%d bytes)" % len(d)
    try:
        return json.loads(d[4:]), "reply"
    except ValueError:
        return None, "reply not JSON"

def unescape(s, var):
    """Row text -> bytes: tokens ({NAME}, {X*N} or {XY*N}: N times), then \\xNN \\n \\t \\r \\\\."""
    s = re.sub(r"\{([^{}*]{1,2})\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), s)
    for k, v in var.items():
        s = s.replace("{" + k + "}", v)
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
            out += {"n": b"\n", "t": b"\t", "r": b"\r", "\\": b"\\"}.get(n, b"\\" + n.encode())
            i += 2; continue
        out += c.encode(); i += 1
    return bytes(out)

def table(path, tab, var):
    rows = passed = failed = known = 0
    for ln, line in enumerate(open(tab, encoding="utf-8").read().split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 5:
            print("FAIL %s:%d: %d columns, want 5" % (tab, ln, len(cols))); failed += 1; continue
        rows += 1
        kind, inp, outcome, want, what = cols
        data = unescape(inp, var)
        if kind == "json":
            data = struct.pack(">I", len(data)) + data
        elif kind != "raw":
            print("FAIL %s:%d: kind %r" % (tab, ln, kind)); failed += 1; continue
        t = time.monotonic()
        try:
            r, how = exchange(path, data, 30)
        except OSError as e:
            r, how = None, "client error %r" % e
        el = time.monotonic() - t
        why = []
        if r is None:
            why.append("no reply (%s)" % how)
        elif not isinstance(r.get("ok"), bool):
            why.append("reply without a boolean ok: %s" % str(r)[:200])
        elif outcome == "ok":
            if r["ok"] is not True:
                why.append("expected ok, got %s" % str(r)[:200])
            elif want != "-" and want not in json.dumps(r):
                why.append("reply lacks %r: %s" % (want, str(r)[:200]))
        elif outcome == "error":
            err = r.get("error")
            if r["ok"] is not False or not isinstance(err, str):
                why.append("expected an error, got %s" % str(r)[:200])
            elif want not in err:
                why.append("error %r lacks %r" % (err, want))
            elif "\n" in err:
                why.append("error text is not one line")
        else:
            why.append("outcome must be ok or error, got %r" % outcome)
        # the agent keeps serving after every row
        ping, _ = exchange(path, frame_of({"action": "no-such-action-ping"}), 30)
        if not ping or ping.get("error") != "Unknown action: no-such-action-ping":
            why.append("agent not serving after the row: %s" % ping)
        if not why:
            passed += 1
            print("ok %d %s (%.1f ms): %s" % (ln, what, el * 1e3, str(r.get("error", "ok"))[:120]))
        elif what.startswith("KNOWN:"):
            known += 1
            print("known %d %s: %s" % (ln, what, "; ".join(why)))
        else:
            failed += 1
            print("FAIL %s:%d %s: %s" % (tab, ln, what, "; ".join(why)))
    print("hostile: %d rows, %d passed, %d failed, %d known" % (rows, passed, failed, known))
    if rows < 50:
        print("FAIL %s: %d rows, at least 50 wanted" % (tab, rows)); return 1
    return 1 if failed else 0

def frame_of(obj):
    b = json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b

def main():
    a = sys.argv[1:]
    if a and a[0] == "--table":
        sys.exit(table(a[1], a[2], dict(x.split("=", 1) for x in a[3:])))
    raw = a and a[0] == "--raw"
    if raw:
        a = a[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(a[0])
    if raw:
        data = sys.stdin.buffer.read()
    else:
        req = {"action": a[1]}
        if len(a) > 2:
            req["params"] = json.loads(a[2])
        data = frame_of(req)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the agent may refuse (and close) before reading: its reply is still queued
    n = struct.unpack(">I", recv_exact(s, 4))[0]
    if n > 1 << 20:
        raise SystemExit("reply too large")
    print(recv_exact(s, n).decode())

main()
