#!/usr/bin/env python3
"""Run one shell command in the test-packages guest through the QEMU guest agent.

    test-packages-deb-qga.py SOCKET wait [SECONDS]   wait for the agent to answer
    test-packages-deb-qga.py SOCKET exec 'COMMAND' [TIMEOUT]

exec prints the command's stdout (stderr to stderr) and exits with its exit code; 124 on
a timeout, 125 when the agent cannot be reached.  Used by scripts/test-packages-deb.sh.
"""
import base64, json, socket, sys, time


def call(sock_path, req, timeout=30.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    try:
        # guest-sync-delimited resynchronises a stream another client may have left mid-reply
        sid = int(time.time() * 1000) % 2**31
        s.sendall(b"\xff" + json.dumps({"execute": "guest-sync-delimited", "arguments": {"id": sid}}).encode())
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("agent closed the connection")
            buf += chunk
            if b"\xff" in buf:
                buf = buf[buf.rindex(b"\xff") + 1:]
            try:
                line, rest = buf.split(b"\n", 1)
            except ValueError:
                continue
            try:
                if json.loads(line).get("return") == sid:
                    buf = rest
                    break
            except ValueError:
                pass
            buf = rest
        s.sendall(json.dumps(req).encode())
        while b"\n" not in buf:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise OSError("agent closed the connection")
            buf += chunk
        reply = json.loads(buf.split(b"\n", 1)[0])
        if "error" in reply:
            raise OSError("agent: %s" % reply["error"].get("desc", reply["error"]))
        return reply["return"]
    finally:
        s.close()


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "wait":
        end = time.time() + float(sys.argv[3] if len(sys.argv) > 3 else 300)
        while time.time() < end:
            try:
                call(path, {"execute": "guest-ping"}, 5)
                return 0
            except (OSError, ValueError):
                time.sleep(2)
        print("qga: no answer from the guest agent", file=sys.stderr)
        return 125
    cmd = sys.argv[3]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 300
    try:
        pid = call(path, {"execute": "guest-exec", "arguments": {
            "path": "/bin/sh", "arg": ["-c", cmd], "capture-output": True}})["pid"]
        end = time.time() + limit
        while True:
            st = call(path, {"execute": "guest-exec-status", "arguments": {"pid": pid}})
            if st.get("exited"):
                break
            if time.time() > end:
                print("qga: '%s' still running after %gs" % (cmd, limit), file=sys.stderr)
                return 124
            time.sleep(0.3)
    except (OSError, ValueError) as e:
        print("qga: %s" % e, file=sys.stderr)
        return 125
    sys.stdout.write(base64.b64decode(st.get("out-data", "")).decode(errors="replace"))
    sys.stderr.write(base64.b64decode(st.get("err-data", "")).decode(errors="replace"))
    return st.get("exitcode", 1) if "signal" not in st else 128 + st["signal"]


if __name__ == "__main__":
    sys.exit(main())
