#!/usr/bin/env bash
# blockhost-signup's TLS with the private key in the keystore (issue 15): a real keystore
# (swtpm), a certificate for its TLS key issued by a test CA (OpenSSL) through make-cert,
# the server as an unprivileged user under its policy and seccomp filter.  curl (libcurl)
# verifies the chain; every handshake signature is the keystore's tls_sign (the handshake
# fails while the keystore is stopped, and works again when it is back, without touching
# the server; the server has no key file); a certificate for another key is refused at
# start naming both keys; a self-signed certificate signed through the keystore verifies;
# the headers; the filter kills the server on a forbidden syscall.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
source "$TOP/tests/helpers/signup_lib.sh"
su_setup
su_config "$SU_DIR/signup.json"
su_start

# libcurl verifies the chain (the test CA) and the name (127.0.0.1 in the subjectAltName)
body=$(su_curl "$SU_URL/") || { cat "$T/signup.log"; fail "curl --cacert could not fetch /"; }
grepq -F 'BlockHost signup' <<< "$body" || fail "GET / is not the page"
ok "libcurl verifies the certificate chain (test CA -> certificate for the keystore's TLS key)"
# the certificate's key is the keystore's (the keystore's pubkeys, OpenSSL's reading of the certificate)
tpub=$("$KS" request '{"op":"pubkeys"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tls_pubkey))')
cpub=$(openssl x509 -in "$SU_DIR/cert.pem" -noout -pubkey | openssl ec -pubin -outform DER 2>/dev/null | tail -c 65 | xxd -p | tr -d '\n')
[ "0x$cpub" = "$tpub" ] || [ "$cpub" = "${tpub#0x}" ] || fail "certificate key 0x$cpub is not the keystore's $tpub"
openssl verify -CAfile "$SU_DIR/ca.pem" "$SU_DIR/cert.pem" > /dev/null || fail "openssl does not verify the chain"
ok "the certificate's public key is the keystore's TLS key ($(cut -c1-18 <<< "$tpub")...), OpenSSL verifies it"
# TLS 1.3 and 1.2 both handshake through the keystore
su_curl --tlsv1.3 -o /dev/null "$SU_URL/" || fail "TLS 1.3 handshake"
su_curl --tlsv1.2 --tls-max 1.2 -o /dev/null "$SU_URL/" || fail "TLS 1.2 handshake"
ok "TLS 1.3 and TLS 1.2 (ECDHE-ECDSA) handshakes"

# the key is not in the server: no key file in its configuration, nothing key-like in its files
grepq -iE 'private|\.key"|"(tls_)?key"' "$SU_DIR/signup.json" && fail "the configuration names a key file"
! grep -l 'PRIVATE KEY' "$SU_DIR/cert.pem" "$SU_DIR/signup.json" > /dev/null 2>&1 || fail "a private key in the server's files"
# ... and each handshake needs the keystore: stop it, the handshake fails, the server lives
kill "$KS_PID"; wait "$KS_PID" 2>/dev/null || true
rc=0; su_curl -o /dev/null "$SU_URL/" 2> "$T/curl.err" || rc=$?
[ "$rc" != 0 ] || fail "a handshake succeeded with the keystore stopped: the server holds the key"
kill -0 "$SU_PID" || fail "the server died with the keystore stopped"
ks_serve || { cat "$T/keystored.log"; fail "keystore did not restart"; }
su_curl -o /dev/null "$SU_URL/" || { cat "$T/signup.log"; fail "handshake after the keystore came back"; }
ok "the handshake signature is the keystore's: with it stopped the handshake fails (curl exit $rc), the server keeps running and serves again when it is back"

# headers of every response
hdrs=$(su_curl -D - -o /dev/null "$SU_URL/")
for h in "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" \
	'X-Content-Type-Options: nosniff' 'Referrer-Policy: no-referrer' 'Strict-Transport-Security: max-age=' \
	'Cache-Control: no-cache' 'Content-Type: text/html; charset=utf-8'; do
	grepq -iF "$h" <<< "$hdrs" || fail "GET / lacks header '$h'"
done
grepq -iF 'Content-Type: text/css; charset=utf-8' <<< "$(su_curl -D - -o /dev/null "$SU_URL/assets/signup.css")" ||
	fail "the stylesheet's Content-Type"
cmp -s <(su_curl "$SU_URL/assets/signup.css") "$BUILD/share/blockhost/signup/assets/signup.css" || fail "asset content differs"
ok "GET / and /assets/*: strict CSP, nosniff, no-referrer, HSTS, Cache-Control, Content-Type"
cfg=$(su_curl "$SU_URL/config.json")
node -e '
const c = JSON.parse(process.argv[1]), want = process.argv[2].toLowerCase();
const bad = [];
if (c.chainId !== 31337) bad.push("chainId");
if (c.contracts.subscriptions !== want) bad.push("contracts.subscriptions");
if (c.paymentTokens[0].decimals !== 6 || c.paymentTokens[0].symbol !== "USDC") bad.push("paymentTokens");
if (c.rpcPath !== "/rpc") bad.push("rpcPath");
if (c.publicSecret !== "blockhost-access:31337:" + want) bad.push("publicSecret " + c.publicSecret);
if (JSON.stringify(c).includes("127.0.0.1:")) bad.push("the provider URL is in config.json");
if (bad.length) { console.error(bad.join(", ")); process.exit(1); }
' "$cfg" "$SU_CONTRACT" || fail "config.json: $cfg"
ok "GET /config.json: chain, contracts, token decimals, per-deployment public secret, relay path; no provider URL"
kill "$SU_PID"; wait "$SU_PID" 2>/dev/null || true

# a certificate for another key: refused at start, naming both keys
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=other" \
	-keyout "$SU_DIR/other.key" -out "$SU_DIR/other.pem" 2> /dev/null
chmod 644 "$SU_DIR/other.pem"
SU_CERT="$SU_DIR/other.pem" su_config "$SU_DIR/signup.json"
rc=0; setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups "$SU" --config "$SU_DIR/signup.json" 2> "$T/refused.log" || rc=$?
[ "$rc" = 1 ] || { cat "$T/refused.log"; fail "a certificate for another key: exit $rc, expected 1"; }
grepq "is not the keystore's TLS key 0x04${tpub:4:20}" "$T/refused.log" || { cat "$T/refused.log"; fail "the refusal does not name the keystore's key"; }
grepq "certificate's public key 0x04" "$T/refused.log" || { cat "$T/refused.log"; fail "the refusal does not name the certificate's key"; }
ok "a certificate for another key is refused at start, naming both keys: $(grep -o 'refusing.*' "$T/refused.log" | cut -c1-150)..."

# a provider serving another chain: refused at start, naming both
sed 's/"chain_id": 31337/"chain_id": 5/' "$SU_DIR/signup.json" > "$SU_DIR/chain.json"; chmod 644 "$SU_DIR/chain.json"
sed -i "s|\"cert\": \"[^\"]*\"|\"cert\": \"$SU_DIR/cert.pem\"|" "$SU_DIR/chain.json"
rc=0; setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups "$SU" --config "$SU_DIR/chain.json" 2> "$T/chain.log" || rc=$?
[ "$rc" = 1 ] && grepq "key 'chain_id' is 5 but the provider (rpc_url) serves chain 31337" "$T/chain.log" ||
	{ cat "$T/chain.log"; fail "a provider of another chain was not refused (exit $rc)"; }
ok "a provider serving another chain than chain_id is refused at start, naming both"

# self-signed through the keystore (the certificate's own signature is a tls_sign too)
mkdir -p "$T/own"; chown "$SU_USER" "$T/own"
setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups "$SU" make-cert --hostname 127.0.0.1 \
	--out "$T/own/self.pem" --socket "$KS_SOCK" 2> "$T/self.err" || { cat "$T/self.err"; fail "self-signed make-cert"; }
openssl verify -CAfile "$T/own/self.pem" "$T/own/self.pem" > /dev/null || fail "OpenSSL does not verify the keystore-signed self-signed certificate"
cp "$T/own/self.pem" "$SU_DIR/self.pem"; chmod 644 "$SU_DIR/self.pem"
SU_CERT="$SU_DIR/self.pem" su_config "$SU_DIR/signup.json"
su_start
curl -sS --cacert "$SU_DIR/self.pem" -o /dev/null "$SU_URL/" || fail "curl with the self-signed certificate"
rc=0; "$SU" make-cert --hostname 127.0.0.1 --out "$SU_DIR/self.pem" --socket "$KS_SOCK" 2> "$T/self2.err" || rc=$?
[ "$rc" = 1 ] && grepq "exists" "$T/self2.err" || fail "make-cert replaced a certificate (exit $rc)"
ok "make-cert without a CA: self-signed through the keystore, OpenSSL verifies it, the server serves it; never replaces a file"
kill "$SU_PID"; wait "$SU_PID" 2>/dev/null || true

# the filter kills the server on a forbidden syscall (mount), after start-up
[ -x "$SU_TESTD" ] || fail "$SU_TESTD not built"
rc=0; BH_TEST_FORBIDDEN_SYSCALL=1 setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups "$SU_TESTD" \
	--config "$SU_DIR/signup.json" 2> "$T/testd.log" || rc=$?
[ "$rc" = 159 ] || { cat "$T/testd.log"; fail "forbidden syscall: exit $rc, expected 159 (SIGSYS)"; }
grepq 'calling mount' "$T/testd.log" || fail "the test hook did not run"
ok "the seccomp filter kills the server on a forbidden syscall (SIGSYS)"

# socket activation: a port below 1024 bound by "the service manager" (root, here python),
# passed as fd 3 with LISTEN_PID/LISTEN_FDS; the server keeps no capability
low=$(python3 -c '
import socket
for p in range(800, 1000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: s.close()')
[ -n "$low" ] || fail "no free port below 1024"
su_config "$SU_DIR/signup.json"
python3 - "$low" "$SU_USER" "$SU" "$SU_DIR/signup.json" >> "$T/activated.log" 2>&1 <<'PY' &
import os, socket, sys
port, user, prog, cfg = sys.argv[1:]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(port))); s.listen(64)
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
os.environ["LISTEN_PID"] = str(os.getpid()); os.environ["LISTEN_FDS"] = "1"
os.execvp("setpriv", ["setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups",
                      "--inh-caps=-all", "--bounding-set=-all", prog, "--config", cfg])
PY
AP=$!; bh_track "$AP"
for _ in $(seq 100); do grepq 'activated socket' "$T/activated.log" && break; sleep 0.05; done
grepq 'serving https on the activated socket (sandboxed' "$T/activated.log" || { cat "$T/activated.log"; fail "socket activation"; }
su_curl -o /dev/null "https://127.0.0.1:$low/" || { cat "$T/activated.log"; fail "GET / on the activated port $low"; }
grep -q '^CapEff:.0*$' "/proc/$AP/status" || fail "the activated server holds capabilities: $(grep Cap /proc/$AP/status)"
ok "socket activation: port $low (below 1024) passed as fd 3, served with no capability"
kill "$AP"; wait "$AP" 2>/dev/null || true
