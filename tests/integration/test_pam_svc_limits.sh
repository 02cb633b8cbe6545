#!/usr/bin/env bash
# web3-auth-svc under stalled and hostile clients (issue 11 item 3), real service on
# 127.0.0.1 (HTTPS, unprivileged, seccomp): 130 idle connections from 10 loopback
# addresses hold only their share (8 per address) and a new client is answered at once;
# idle connections are cut after the handshake timeout (5 s); 40 addresses filling the
# 224 shared slots leave the reserve to a new client; a flood of bad TLS
# handshakes writes a bounded number of log lines.  The IPv6 /64 grouping is unit-tested
# (tests/unit/test_pam_limits.c: synthetic addresses).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/pam_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (the service runs as nobody)"
pw3_config
pw3_start_svc

python3 - "$SVC_PORT" "$BIN/../" <<'PY' || fail "connection limits"
import socket, subprocess, sys, time
port = int(sys.argv[1])
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    return s
def closed(s, wait):
    """True if the server closed s within `wait` seconds (after a TLS alert, maybe)."""
    end = time.monotonic() + wait
    try:
        while True:
            s.settimeout(max(0.001, end - time.monotonic()))
            if s.recv(4096) == b"":
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
held = [conn("127.0.0.%d" % (1 + i % 10)) for i in range(130)]
time.sleep(0.5)
open_ = [s for s in held if not closed(s, 0.01)]
print("idle connections: 130 opened from 10 addresses, %d held" % len(open_))
if len(open_) != 80:
    sys.exit("expected 8 per address = 80 held, got %d" % len(open_))
def get(src):
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-sk", "-m", "15", "--interface", src, "-o", "/dev/null",
                        "-w", "%{http_code}", "https://127.0.0.1:%d/" % port],
                       capture_output=True, text=True)
    return r.stdout, time.monotonic() - t0
code, dt = get("127.0.0.11")
print("new client 127.0.0.11 while 80 are held: HTTP %s in %.3f s" % (code, dt))
if code != "200" or dt >= 2:
    sys.exit("a new client was not answered promptly")
code, dt = get("127.0.0.1")
print("a client of a full address (127.0.0.1): HTTP %s in %.3f s (refused)" % (code, dt))
if code == "200":
    sys.exit("the 9th connection of one address was served")
t0 = time.monotonic()
left = [s for s in open_ if not closed(s, max(0.01, 8 - (time.monotonic() - t0)))]
print("idle connections still open %.1f s later: %d (handshake timeout 5 s)" % (time.monotonic() - t0, len(left)))
if left:
    sys.exit("stalled connections were not cut")
for s in held:
    s.close()
code, dt = get("127.0.0.1")
print("127.0.0.1 again after its connections closed: HTTP %s in %.3f s" % (code, dt))
if code != "200":
    sys.exit("the address was not let in again")
# the reserve: 40 addresses x 8 fill the 224 shared slots; a new address still gets in
held = [conn("127.0.1.%d" % (1 + i % 40)) for i in range(320)]
time.sleep(0.5)
open_ = [s for s in held if not closed(s, 0.01)]
code, dt = get("127.0.0.12")
print("320 idle connections from 40 addresses: %d held; new client 127.0.0.12: HTTP %s in %.3f s"
      % (len(open_), code, dt))
if len(open_) != 224 or code != "200" or dt >= 2:
    sys.exit("the reserve for new clients did not hold")
for s in held:
    s.close()
PY
ok "130 idle connections from 10 addresses hold 80 slots; a new client is served at once; idle ones cut at 5 s; 40 addresses fill 224 slots and a new client still gets in (the reserve)"

before=$(wc -l < "$T/svc.log")
python3 - "$SVC_PORT" <<'PY' || fail "bad handshake flood"
import socket, sys
port = int(sys.argv[1])
for i in range(300):
    s = socket.socket()
    s.bind(("127.0.%d.%d" % (1 + i // 250, 1 + i % 250), 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n" + bytes(range(256)) * 4)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
PY
sleep 0.5
lines=$(( $(wc -l < "$T/svc.log") - before ))
hs=$(grep -c 'handshake' "$T/svc.log" || true)
echo "bad TLS handshakes: 300 sent, $lines log lines during the flood; $hs handshake lines in the whole log"
[ "$lines" -le 40 ] || { tail -50 "$T/svc.log"; fail "$lines log lines for 300 bad handshakes"; }
# the logger works (some handshake errors were logged) and stops at 5 per kind per minute
[ "$hs" -ge 1 ] && [ "$hs" -le 10 ] || { cat "$T/svc.log"; fail "$hs handshake error lines"; }
curl -sk -o /dev/null -w '%{http_code}' "$PW3_SVC/" | grepq -x 200 || fail "service not serving after the flood"
ok "300 bad TLS handshakes: $lines log lines (at most 5 per kind per minute), still serving"

kill -0 "$SVC_PID" || fail "web3-auth-svc died (seccomp?)"
kill "$SVC_PID"; rc=0; wait "$SVC_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$T/svc.log"; fail "web3-auth-svc exit status $rc on SIGTERM"; }
! grep -q 'disallowed syscall' "$T/svc.log" || { cat "$T/svc.log"; fail "seccomp debug reported a call"; }
ok "served everything under its seccomp filter and stopped cleanly"
