#!/usr/bin/env python3
# Minimal independent root-agent client (upstream wire format: 4-byte BE length + JSON).
# usage: agent_call.py SOCKET ACTION [PARAMS_JSON]   -> prints the reply JSON
#        agent_call.py --raw SOCKET < bytes            -> sends stdin bytes verbatim
import json, socket, struct, sys

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("connection closed after %d of %d bytes" % (len(b), n))
        b += c
    return b

def main():
    a = sys.argv[1:]
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
        body = json.dumps(req).encode()
        data = struct.pack(">I", len(body)) + body
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the agent may refuse (and close) before reading: its reply is still queued
    n = struct.unpack(">I", recv_exact(s, 4))[0]
    if n > 1 << 20:
        raise SystemExit("reply too large")
    print(recv_exact(s, n).decode())

main()
