#!/usr/bin/env bash
# The browser callback path with real components: sshd + pam_web3 (pam_wrapper), and
# web3-auth-svc (HTTPS, unprivileged, seccomp) on 127.0.0.1.  The "browser" is curl
# posting an ethers signature to /auth/callback/<sid>; the user then presses Enter
# (empty answer) and the login completes.  Also: the service's HTTP contract.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/pam_lib.sh"
pw3_prereqs
pw3_config 'callback_grace_seconds = 3'
pw3_start_svc
echo "127.0.0.1" > "$BLOCKHOST_ROOT/run/libpam-web3/signing_host"
pw3_start_sshd
export PW3_LOG="$T/prompts"
pending="$BLOCKHOST_ROOT/run/libpam-web3/pending"

expect_login callback;  ok "signature posted to /auth/callback, Enter pressed -> logged in, command ran"
grep -q "authenticated by callback wallet signature" "$SSHD_LOG" || fail "no callback success line"
grep -q "^OK" "$PW3_LOG" || fail "auth-svc did not answer 200 OK"
# the certificate's SHA-256 as openssl sees it (issue 18: the prompt shows it)
fp=$(openssl x509 -in "$BLOCKHOST_ROOT/etc/libpam-web3/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
[ "$(cat "$pending/tls-fingerprint")" = "$fp" ] || fail "tls-fingerprint is not the certificate's SHA-256"
[ "$(curl -sk "$PW3_SVC/auth/tls-fingerprint")" = "$fp" ] || fail "/auth/tls-fingerprint differs"
python3 - "$PW3_LOG" "$PW3_MACHINE" "$fp" <<'PY' || fail "prompt text differs"
import re, sys
text = open(sys.argv[1]).read().split("\n--END--\n")[0]
want = re.compile(r"^\(w3user@127\.0\.0\.1\) \n=== Web3 Authentication ===\nCode: [0-9]{6}\nMachine: "
                  + re.escape(sys.argv[2]) + r"\nSign at: https://127\.0\.0\.1:63108\?session=[0-9a-f]{32}\n"
                  r"Message: Authenticate to " + re.escape(sys.argv[2]) + r" with code: [0-9]{6} nonce: [0-9a-f]{32} "
                  r"expires: \d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)Z\n"
                  r"Valid for 90 seconds, until (\d\d:\d\d:\d\d) UTC\.\n"
                  r"If the browser warns about the page's certificate, compare its SHA-256 fingerprint:\n"
                  r"TLS SHA-256: " + re.escape(sys.argv[3]) + r"\n"
                  r"Either open the Sign at: page, sign with your wallet and press Enter here,\n"
                  r"or sign the Message: line \(personal_sign\) and paste the 0x\.\.\. signature\.\n"
                  r"\nPress Enter after signing in browser, or paste signature: $")
m = want.match(text)
sys.exit(0 if m and m.group(1) == m.group(2) else print(repr(text)) or 1)
PY
ok "info block with ?session=, the Message: line, validity, the certificate's SHA-256, what to do, and the callback prompt"
[ -z "$(ls -A "$pending" | grep -vx tls-fingerprint)" ] || { ls -la "$pending"; fail "session files left behind"; }
ok "session files removed after login"

expect_login sign;  ok "pasting still works while a session exists"
# the service itself refuses another wallet's signature (403, nothing stored): the login
# then waits for the grace period and fails, telling the user nothing arrived
: > "$PW3_LOG"
PW3_KEY=$PW3_OTHER_KEY expect_reject callback "no callback signature: none arrived in time" "" \
	"No signature arrived from the signing page within 3 seconds."
grepq -x 'signature does not match the session' "$PW3_LOG" || { cat "$PW3_LOG"; fail "the service did not refuse the wrong wallet (403)"; }
ok "callback signature from the wrong wallet refused by the service (403), login fails after the grace"
expect_reject empty "no callback signature: none arrived in time" "" "No signature arrived from the signing page"
ok "Enter without a posted signature rejected after the grace period"
[ -z "$(ls -A "$pending" | grep -vx tls-fingerprint)" ] || { ls -la "$pending"; fail "session files left behind after failures"; }
ok "session files removed after failures"

# the HTTP contract (status codes, headers, normalisation) against the running service
sid=0123456789abcdef0123456789abcdef
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
msg="Authenticate to m with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: $exp"
printf '{"otp":"123456","machine_id":"m","session_id":"%s","nonce":"00112233445566778899aabbccddeeff","expires":"%s","wallet":"%s","message":"%s"}' \
	"$sid" "$exp" "$(tr A-F a-f <<< "$PW3_ADDR")" "$msg" > "$pending/$sid.json"
chmod 0640 "$pending/$sid.json"; chgrp nogroup "$pending/$sid.json"
code() { curl -sk -o /dev/null -w '%{http_code}' "$@"; }
hdrs=$(curl -sk -D - -o /dev/null "$PW3_SVC/")
for h in 'X-Content-Type-Options: nosniff' 'Cache-Control: no-store' 'Content-Type: text/html; charset=utf-8'; do
	grep -qiF "$h" <<< "$hdrs" || fail "GET / lacks header '$h'"
done
[ "$(code "$PW3_SVC/engine.js")" = 200 ] || fail "GET /engine.js"
[ "$(code "$PW3_SVC/index.html")" = 200 ] || fail "GET /index.html"
[ "$(curl -sk "$PW3_SVC/auth/pending/$sid")" = "$(cat "$pending/$sid.json")" ] || fail "pending JSON differs"
[ "$(code "$PW3_SVC/auth/pending/${sid^^}")" = 404 ] || fail "upper-case sid accepted"
[ "$(code "$PW3_SVC/auth/pending/../../etc")" = 404 ] || fail "path traversal"
[ "$(code "$PW3_SVC/auth/pending/ffffffffffffffffffffffffffffffff")" = 404 ] || fail "unknown session"
[ "$(code -X POST --data 0x12 "$PW3_SVC/auth/callback/ffffffffffffffffffffffffffffffff")" = 404 ] || fail "callback unknown session"
[ "$(code -X POST --data nothex "$PW3_SVC/auth/callback/$sid")" = 400 ] || fail "bad body not 400"
# upstream's answers (upstream.md §5.6): a route is method + path (no 405, no HEAD),
# plain-text bodies "invalid signature format" / "body too large" / "Not Found"
[ "$(code "$PW3_SVC/auth/callback/$sid")" = 404 ] || fail "GET on the callback route not 404"
[ "$(code -X POST --data x "$PW3_SVC/auth/pending/$sid")" = 404 ] || fail "POST on the pending route not 404"
[ "$(code -I "$PW3_SVC/")" = 404 ] || fail "HEAD / not 404"
[ "$(curl -sk -X POST --data nothex "$PW3_SVC/auth/callback/$sid")" = "invalid signature format" ] || fail "400 body text"
[ "$(curl -sk "$PW3_SVC/nope")" = "Not Found" ] || fail "404 body text"
curl -sk -D - -o /dev/null "$PW3_SVC/nope" | grepq -i '^Content-Type: text/plain'$'\r''$' || fail "404 Content-Type not text/plain"
[ "$(head -c 300 /dev/zero | tr '\0' 0 | curl -sk -X POST --data-binary @- "$PW3_SVC/auth/callback/ffffffffffffffffffffffffffffffff")" = "body too large" ] ||
	fail "an oversized body for an unknown session is not 413 'body too large' (upstream checks the size first)"
[ "$(head -c 300 /dev/zero | tr '\0' 0 | code -X POST --data-binary @- "$PW3_SVC/auth/callback/$sid")" = 413 ] || fail "big body not 413"
# issue 11 items 4 and 6: the id is canonical (%00 is not the session), and only the session's
# wallet signing the session's message is stored: garbage and other wallets get 403 and do
# not block the real signature; a stored one is never replaced (409)
[ "$(code "$PW3_SVC/auth/pending/$sid%00")" = 404 ] || fail "pending <sid>%00 served"
[ "$(code "$PW3_SVC/auth/pending/%30${sid:1}")" = 404 ] || fail "percent-escaped sid served"
[ "$(code -X POST --data "0x$(printf 'ab%.0s' $(seq 65))" "$PW3_SVC/auth/callback/$sid")" = 403 ] || fail "garbage signature not 403"
bad=$(node "$TOP/tests/helpers/pam_sign.js" sign "$PW3_OTHER_KEY" "$msg")
[ "$(curl -sk -X POST --data "$bad" "$PW3_SVC/auth/callback/$sid")" = "signature does not match the session" ] || fail "other wallet not refused"
[ ! -e "$pending/$sid.sig" ] || fail "a refused signature was stored"
sig=$(node "$TOP/tests/helpers/pam_sign.js" upper "$PW3_KEY" "$msg")
[ "$(code -X POST --data "${sig#0x}" "$PW3_SVC/auth/callback/$sid")" = 200 ] || fail "good body not 200"
[ "$(code -X POST --data "$sig" "$PW3_SVC/auth/callback/$sid")" = 409 ] || fail "second POST not 409"
want=$(node "$TOP/tests/helpers/pam_sign.js" sign "$PW3_KEY" "$msg" | tr A-F a-f)
[ "$(cat "$pending/$sid.sig")" = "$want" ] || fail ".sig not normalised to 0x + lower-case hex"
stat -c '%U %a' "$pending/$sid.sig" | grepq '^nobody 640$' || fail ".sig owner/mode"
# a slow client: 408 after the per-request limit (5 s), via a raw TLS connection
sid2=00000000000000000000000000000002
printf '{"otp":"123456","machine_id":"m","session_id":"%s"}' "$sid2" > "$pending/$sid2.json"
slow=$( (printf 'POST /auth/callback/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 132\r\n\r\n0x' "$sid2"; sleep 6; printf '%0130d' 0) |
	timeout 15 openssl s_client -quiet -connect 127.0.0.1:"$SVC_PORT" 2>/dev/null | head -1 || true)
case $slow in *" 408"*) ;; *) fail "slow request: got '$slow'";; esac
[ ! -e "$pending/$sid2.sig" ] || fail "a timed-out request wrote a .sig"
ok "auth-svc HTTP contract: headers, 200/400/403/404/408/409/413 with upstream's bodies, canonical ids only, only verified signatures stored, normalised .sig written by the unprivileged service"
tls="$BLOCKHOST_ROOT/etc/libpam-web3/tls"
[ "$(stat -c '%a %U' "$tls/key.pem")" = "600 nobody" ] || fail "key.pem not 0600 for the service user"
openssl x509 -in "$tls/cert.pem" -noout -text | grepq 'ASN1 OID: prime256v1' || fail "certificate is not P-256"
echo | openssl s_client -connect 127.0.0.1:"$SVC_PORT" 2>/dev/null | grepq -E '(Protocol *: |New, )TLSv1.[23]' ||
	fail "no TLS 1.2/1.3 handshake"
ok "self-signed P-256 certificate generated at first start, key 0600"
if "$BIN/web3-auth-svc" --port "$(free_port)" --bind 127.0.0.1 > "$T/root-run.log" 2>&1; then
	fail "web3-auth-svc ran as root"
fi
grep -q "refusing to run as root" "$T/root-run.log" || fail "no clear message when started as root"
ok "web3-auth-svc refuses to run as root"
grep -q 'sandbox: policy .*/web3-auth-svc.policy, seccomp .*/web3-auth-svc ([0-9]* rules[^)]*), enforcing' "$T/svc.log" ||
	fail "no start-up line naming the policy and filter files: $(cat "$T/svc.log")"
# a user other than its policy's [identity] (here: the policy says daemon) refuses too
cp -r "$BLOCKHOST_POLICY_DIR" "$T/policy-wrong"
sed -i '/^\[identity\]/,/^\[/{s/^user = .*/user = daemon/;s/^group = .*/group = daemon/}' "$T/policy-wrong/web3-auth-svc.policy"
if BLOCKHOST_POLICY_DIR="$T/policy-wrong" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$BIN/web3-auth-svc" --port "$(free_port)" --bind 127.0.0.1 --pages "$TOP/src/pam/pages" > "$T/wrong-id.log" 2>&1; then
	fail "web3-auth-svc ran under the wrong identity"
fi
grep -q "identity: running as uid 65534 gid 65534 groups \[\], but .*web3-auth-svc.policy \[identity\] says user daemon" "$T/wrong-id.log" ||
	fail "wrong identity: $(cat "$T/wrong-id.log")"
ok "web3-auth-svc refuses an identity other than its policy's, naming both"
# a system call outside its filter kills it (test build with the BH_TEST_HOOKS hook)
TESTD="$BUILD/tests/helpers/web3-auth-svc-testd"
[ -x "$TESTD" ] || fail "$TESTD not built"
rc=0; BH_TEST_FORBIDDEN_SYSCALL=1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$TESTD" --port "$(free_port)" --bind 127.0.0.1 --pages "$TOP/src/pam/pages" > "$T/testd.log" 2>&1 || rc=$?
[ $rc = 159 ] && grep -q "calling mount(2) under the filter" "$T/testd.log" ||
	fail "forbidden syscall: exit $rc, expected 159 (SIGSYS): $(cat "$T/testd.log")"
! grep -aq BH_TEST_FORBIDDEN_SYSCALL "$BIN/web3-auth-svc" || fail "production web3-auth-svc has the test hook"
ok "web3-auth-svc: a syscall outside its filter kills it with SIGSYS (the production binary has no hook)"
kill -0 "$SVC_PID" || fail "web3-auth-svc died (seccomp?)"
/usr/bin/python3 "$TOP/tests/helpers/proc_policy.py" "$SVC_PID" "$BLOCKHOST_POLICY_DIR/web3-auth-svc.policy" ||
	fail "the running web3-auth-svc differs from its policy"
ok "web3-auth-svc's /proc status matches its policy (ids, capabilities, no_new_privs, seccomp)"
kill "$SVC_PID"; rc=0; wait "$SVC_PID" || rc=$?
[ "$rc" = 0 ] || { cat "$T/svc.log"; fail "web3-auth-svc exit status $rc on SIGTERM"; }
! grep -q 'disallowed syscall' "$T/svc.log" || { cat "$T/svc.log"; fail "seccomp debug reported a call"; }
ok "web3-auth-svc served everything under its seccomp filter and stopped cleanly"
