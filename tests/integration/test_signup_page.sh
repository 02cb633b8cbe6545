#!/usr/bin/env bash
# The signup page in headless Chromium (playwright-core) with an injected EIP-1193 test
# wallet on an anvil key, against the real blockhost-signup (TLS key in the keystore),
# blockhost-engine with the recording provisioner, and the contracts on anvil: purchase ->
# NFT -> the page shows the decrypted hostname/port/username; renew moves the expiry; "my
# servers" lists two after two purchases; refused signature, refused transaction, wrong
# chain, not enough tokens, plan switched off -> each a clear message.  SHOTS=DIR keeps
# the screenshots (docs/screenshots/signup-*.png are made with SHOTS=docs/screenshots).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium"
[ -f "$BUILD/share/blockhost/signup/index.html" ] || fail "the page is not built"
SU="$BIN/blockhost-signup"; SU_USER=daemon
ENG_SOCKET_EXTRA="allow = user:$SU_USER pubkeys, tls_sign"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" > /dev/null || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
eng_engine_start --confirmations 0

SU_DIR="$T/signup"; mkdir -p "$SU_DIR"; chmod 755 "$T" "$SU_DIR"
bh_policy_identity blockhost-signup "$SU_USER" "$SU_USER"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=signup test CA" \
	-keyout "$SU_DIR/ca.key" -out "$SU_DIR/ca.pem" 2> /dev/null || fail "test CA"
"$SU" make-cert --hostname 127.0.0.1 --days 2 --ca-cert "$SU_DIR/ca.pem" --ca-key "$SU_DIR/ca.key" \
	--out "$SU_DIR/cert.pem" --socket "$KS_SOCK" 2> "$T/make-cert.err" || { cat "$T/make-cert.err"; fail "make-cert"; }
SU_PORT=$(free_port)
cat > "$SU_DIR/signup.json" <<J
{ "listen": "127.0.0.1", "port": $SU_PORT, "keystore_socket": "$KS_SOCK", "rpc_url": "$RPC_URL",
  "chain_id": 31337, "chain_name": "Anvil",
  "contracts": { "subscriptions": "$SUBS", "nft": "$NFT" },
  "payment_tokens": [ { "address": "$STABLE", "symbol": "USDC" } ],
  "explorer_url": "https://explorer.invalid", "server_public_key": "$PUB", "admin_wallet": "$ADDR",
  "public_secret": "blockhost-access",
  "www": "$BUILD/share/blockhost/signup", "cert": "$SU_DIR/cert.pem" }
J
chmod 644 "$SU_DIR/signup.json"
setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups --inh-caps=-all --bounding-set=-all \
	"$SU" --config "$SU_DIR/signup.json" >> "$T/signup.log" 2>&1 &
SU_PID=$!; bh_track "$SU_PID"
wait_port "$SU_PORT" || { cat "$T/signup.log"; fail "blockhost-signup did not start"; }
URL="https://127.0.0.1:$SU_PORT/"
PAGE="$JS/signup-page.js"
KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
BUYER_ADDR=0x70997970c51812dc3a010c7d01b50e0d17dc79c8
SHOTS=${SHOTS:-$T/shots}; mkdir -p "$SHOTS"
page() { node "$PAGE" "$1" "$URL" "$RPC_URL" "$KEY" "$SHOTS" "${@:2}"; }
jget() { node -e 'const o=JSON.parse(process.argv[1]); const v=process.argv[2].split(".").reduce((a,k)=>a==null?a:a[k],o); console.log(typeof v==="object"?JSON.stringify(v):v)' "$1" "$2"; }
cfgj=$(curl -sS --cacert "$SU_DIR/ca.pem" "${URL}config.json") || fail "config.json"
[ "$(jget "$cfgj" serverPublicKey)" = "$PUB" ] && [ "$(jget "$cfgj" adminWallet)" = "${ADDR,,}" ] ||
	fail "config.json: $cfgj"
sed 's/"server_public_key": "0x04/"server_public_key": "0x05/' "$SU_DIR/signup.json" > "$T/bad.json"
"$SU" public-config --config "$T/bad.json" > /dev/null 2> "$T/bad.err" && fail "a bad server_public_key was accepted"
grepq "key 'server_public_key': expected the engine's uncompressed" "$T/bad.err" || fail "bad key message: $(cat "$T/bad.err")"
ok "config.json publishes serverPublicKey and adminWallet; a malformed server_public_key is refused naming the key"
rpc anvil_setBalance "[\"$BUYER_ADDR\",\"0x56BC75E2D63100000\"]" > /dev/null

out=$(page poor) || fail "poor: $out"
grepq 'Insufficient balance' <<< "$(jget "$out" error)" || fail "not enough tokens: $out"
ok "not enough tokens: $(jget "$out" error)"
node -e '
const { ethers } = require("ethers");
const p = new ethers.JsonRpcProvider(process.argv[1]); const w = new ethers.Wallet(process.argv[2], p);
new ethers.Contract(process.argv[3], ["function mint(address,uint256)"], w).mint(w.address, 10n ** 12n).then((t) => t.wait());' \
	"$RPC_URL" "$KEY" "$STABLE" || fail "mint test tokens"

out=$(page refuse-sign) || fail "refuse-sign: $out"
grepq 'You refused the purchase in your wallet' <<< "$(jget "$out" error)" || fail "refused signature: $out"
ok "refused signature: $(jget "$out" error)"
out=$(page refuse-tx) || fail "refuse-tx: $out"
grepq 'You refused the purchase' <<< "$(jget "$out" error)" || fail "refused transaction: $out"
ok "refused transaction: $(jget "$out" error)"
out=$(page wrong-chain) || fail "wrong-chain: $out"
grepq 'Wrong chain' <<< "$(jget "$out" error)" || fail "wrong chain: $out"
ok "wrong chain: $(jget "$out" error)"

out=$(page buy) || fail "buy: $out"
[ -z "$(jget "$out" error)" ] || fail "buy: $out"
grepq 'Hostname127.0.0.1' <<< "$(jget "$out" result)" && grepq 'Port22001' <<< "$(jget "$out" result)" &&
	grepq 'Usernameuser' <<< "$(jget "$out" result)" || fail "details: $out"
ok "purchase -> NFT -> decrypted: $(jget "$out" result) ($(jget "$out" total))"
out=$(page buy) || fail "buy 2: $out"
[ -z "$(jget "$out" error)" ] || fail "buy 2: $out"
out=$(page servers) || fail "servers: $out"
n=$(node -e 'console.log(JSON.parse(process.argv[1]).servers.filter(s=>/Hostname/.test(s)).length)' "$out")
[ "$n" = 2 ] && [ "$(jget "$out" signs)" = 1 ] || fail "my servers: $out"
ok "my servers: two decrypted servers with one signature"
out=$(page renew) || fail "renew: $out"
b=$(jget "$out" before); a=$(jget "$out" after)
[ "$a" = $((b + 30 * 86400)) ] || fail "renew: $out"
ok "renew: expiry $b -> $a (+30 days)"
PHONE=1 page start > /dev/null || fail "phone width: the first screens"
w=$(PHONE=1 page servers) || fail "phone width: $w"
[ "$(jget "$w" scrollWidth)" -le 390 ] || fail "phone width: the page is $(jget "$w" scrollWidth) px wide"
ok "phone width 390x844: my servers, no horizontal scroll ($(jget "$w" scrollWidth) px)"
out=$(page inactive "$ADDR" "$SUBS") || fail "inactive: $out"
grepq 'PlanNotActive(1)' <<< "$(jget "$out" error)" || fail "inactive plan: $out"
ok "plan switched off: $(jget "$out" error)"
out=$(page knock "$ADDR" knock-7f3a) || fail "knock: $out"
[ -z "$(jget "$out" error)" ] && [ -n "$(jget "$out" hash)" ] || fail "knock: $out"
tx=$(rpc eth_getTransactionByHash "[\"$(jget "$out" hash)\"]")
node -e 'const t=JSON.parse(process.argv[1]); if (t.from.toLowerCase()!==process.argv[2].toLowerCase()||t.to.toLowerCase()!==t.from.toLowerCase()||BigInt(t.value)!==0n) process.exit(1)' "$tx" "$ADDR" ||
	fail "knock tx: $tx"
data=$(jget "$tx" input)
plain=$("$KS" request "{\"op\":\"ecies_decrypt\",\"ciphertext\":\"$data\"}") || fail "keystore could not decrypt the knock: $plain"
node -e 'const r=JSON.parse(process.argv[1]); const p=Buffer.from(r.plaintext.replace(/^0x/,""),"hex").toString();
const k=JSON.parse(p); if(k.command!=="knock-7f3a"||k.params.ports.join()!=="22,2222"||k.params.duration!==300||typeof k.nonce!=="string"||Math.abs(k.timestamp-Date.now()/1000)>120) {console.error(p); process.exit(1)}' "$plain" ||
	fail "knock plaintext: $plain"
ok "admin knock: a 0-value tx to self whose data the keystore decrypts to {command, params:{ports:[22,2222],duration:300}, nonce, timestamp}"
kill -0 "$SU_PID" || fail "the server died"
