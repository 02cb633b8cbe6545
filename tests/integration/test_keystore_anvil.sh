#!/usr/bin/env bash
# A transaction signed by the keystore daemon (from unsigned fields, under its policy) is
# accepted by anvil and recovers — in ethers, an independent implementation — to the
# keystore's address.  Also personal_sign verified by ethers.verifyMessage and tls_sign
# verified by OpenSSL against the exported TLS public key.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root to run the daemon as another uid"
ks_start_swtpm
ks_setup
chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
start_anvil
addr=$("$KS" init)
TO=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
ks_site_policy <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, sign_tx, personal_sign, ecies_decrypt, tls_sign
[transactions]
chain_id = 31337
allow_to = $TO
max_value_per_tx = 1000000000000000000
max_value_per_day = 2000000000000000000
allow_deploy = no
P
ks_serve || { cat "$T/keystored.log"; fail "daemon did not start"; }

rpc anvil_setBalance "[\"$addr\",\"0x56BC75E2D63100000\"]" > /dev/null   # 100 ETH
nonce=$(rpc eth_getTransactionCount "[\"$addr\",\"latest\"]")
req="{\"op\":\"sign_tx\",\"chainId\":31337,\"nonce\":\"$nonce\",\"maxPriorityFeePerGas\":\"0x3b9aca00\",\"maxFeePerGas\":\"0x77359400\",\"gas\":21000,\"to\":\"$TO\",\"value\":\"123456789\",\"data\":\"0x\"}"
resp=$("$KS" request "$req") || fail "sign_tx: $resp"
raw=$(node -e 'console.log(JSON.parse(process.argv[1]).raw)' "$resp")
hash=$(rpc eth_sendRawTransaction "[\"$raw\"]") || fail "anvil rejected the transaction"
receipt=$(rpc eth_getTransactionReceipt "[\"$hash\"]")
status=$(node -e 'console.log(JSON.parse(process.argv[1]).status)' "$receipt")
[ "$status" = 0x1 ] || fail "receipt status $status"
ok "anvil accepted the keystore-signed EIP-1559 transaction ($hash)"

NODE_PATH="$JS/node_modules" node -e '
const { Transaction, verifyMessage } = require("ethers");
const [raw, addr, resp] = process.argv.slice(1);
const tx = Transaction.from(raw);
if (tx.from !== addr) { console.error("recovered", tx.from, "expected", addr); process.exit(1); }
if (tx.chainId !== 31337n || tx.type !== 2 || tx.value !== 123456789n) { console.error("fields", tx); process.exit(1); }
if (JSON.parse(resp).hash !== tx.hash) { console.error("hash mismatch"); process.exit(1); }
' "$raw" "$addr" "$resp" || fail "ethers disagrees with the signed transaction"
ok "ethers recovers the sender to the keystore address $addr"

sig=$("$KS" request '{"op":"personal_sign","message":"blockhost keystore test"}' |
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).signature))')
NODE_PATH="$JS/node_modules" node -e '
const { verifyMessage } = require("ethers");
const [sig, addr] = process.argv.slice(1);
const got = verifyMessage("blockhost keystore test", sig);
if (got !== addr) { console.error("personal_sign recovered", got); process.exit(1); }
' "$sig" "$addr" || fail "personal_sign"
ok "personal_sign verifies in ethers to the keystore address"

# TLS signature verifies with the exported P-256 public key (OpenSSL, independent)
tpub=$("$KS" request '{"op":"pubkeys"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).tls_pubkey))')
digest=$(printf 'hello tls' | openssl dgst -sha256 -hex | awk '{print $NF}')
der=$("$KS" request "{\"op\":\"tls_sign\",\"digest\":\"0x$digest\"}" |
	node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).signature.slice(2)))')
python3 - "$tpub" > "$T/tls.der.pub" <<'PY'
import sys
pub = bytes.fromhex(sys.argv[1][2:])
# SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 + the uncompressed point
hdr = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
sys.stdout.buffer.write(hdr + pub)
PY
printf '%s' "$der" | xxd -r -p > "$T/tls.sig"
printf 'hello tls' > "$T/tls.msg"
openssl dgst -sha256 -verify "$T/tls.der.pub" -keyform DER -signature "$T/tls.sig" "$T/tls.msg" |
	grep -q "Verified OK" || fail "TLS signature does not verify with OpenSSL"
ok "tls_sign: P-256 signature verifies with OpenSSL against the exported TLS key"
