#!/usr/bin/env python3
# Load against the root agent (tests/integration/test_agent_fair.sh).
#   agent_load.py stall SOCKET N SECONDS   open N connections, send nothing, hold them
#                                          (prints "ready" once all are connected)
#   agent_load.py burst SOCKET N ACTION    N clients connect at once (non-blocking
#                                          connect: EAGAIN = a full backlog) and call
#                                          ACTION; prints "ok=K eagain=E other=O max_ms=M"
import errno, json, select, socket, struct, sys, time

def frame(obj):
    b = json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b

def stall(path, n, secs):
    held = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b"\x00\x00")        # half a header, then nothing
        held.append(s)
    print("ready", flush=True)
    time.sleep(secs)

def burst(path, n, action):
    socks, ok, eagain, other = [], 0, 0, 0
    t0 = time.monotonic()
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except BlockingIOError:
            eagain += 1
            s.close()
            continue
        except OSError as e:
            other += 1
            s.close()
            continue
        s.setblocking(True)
        s.settimeout(60)
        s.sendall(frame({"action": action}))
        socks.append(s)
    worst = 0.0
    for s in socks:
        try:
            hdr = b""
            while len(hdr) < 4:
                c = s.recv(4 - len(hdr))
                if not c:
                    raise OSError("closed")
                hdr += c
            m = struct.unpack(">I", hdr)[0]
            body = b""
            while len(body) < m:
                c = s.recv(m - len(body))
                if not c:
                    raise OSError("closed")
                body += c
            if json.loads(body).get("ok") is True:
                ok += 1
            else:
                other += 1
        except OSError:
            other += 1
        worst = max(worst, time.monotonic() - t0)
        s.close()
    print("ok=%d eagain=%d other=%d max_ms=%d" % (ok, eagain, other, worst * 1000))

if __name__ == "__main__":
    if sys.argv[1] == "stall":
        stall(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        burst(sys.argv[2], int(sys.argv[3]), sys.argv[4])
