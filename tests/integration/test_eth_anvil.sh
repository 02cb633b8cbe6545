#!/usr/bin/env bash
# Live chain test (anvil): transactions signed by OUR code are accepted by a real node,
# and OUR decoder reads what real Solidity code emitted.
#   1. an EIP-1559 value transfer with calldata, signed by abi_tool (src/common/eth/tx.c +
#      secp.c): eth_sendRawTransaction accepts it, the node's hash equals ours, and the
#      receipt/transaction show the expected from/to/value/input;
#   2. tests/contracts/Emitter.sol compiled with solcjs (standard JSON, evmVersion paris),
#      deployed with our signed type-2 contract-creation transaction;
#   3. calls encoded by our ABI encoder emit events; eth_getLogs output is decoded by
#      `bhcrypt abi-decode-log` to exactly the emitted values (indexed uint256/address,
#      non-indexed uint256/address/bytes/string/uint256[], an indexed string as its hash);
#      BlockHost's five typed events (eth/events.h) decode by field name via abi_tool batch-events;
#   4. eth_call return data (getSubscription shape) and revert data (custom error,
#      Error(string), Panic) decode through our strict decoder.
source "$(dirname "$0")/../lib.sh"

ABI_TOOL="$BUILD/helpers/abi_tool"
BHCRYPT="$BIN/bhcrypt"
[ -x "$ABI_TOOL" ] || fail "abi_tool not built ($ABI_TOOL)"
[ -x "$BHCRYPT" ] || fail "bhcrypt not built ($BHCRYPT)"
command -v node >/dev/null || skip "node missing"
command -v curl >/dev/null || skip "curl missing"
[ -x "$ANVIL_BIN" ] || skip "anvil missing: run 'make deps'"
[ -d "$JS/node_modules/solc" ] || skip "solc missing: run 'make deps'"

DEV_ADDR=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266
KEY="$T/dev.key"
(umask 077; echo ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 > "$KEY")

# jq-free JSON field access: echo JSON | jget 'expression on j'
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);const v=eval(process.argv[1]);console.log(typeof v==="string"?v:JSON.stringify(v))})' "$1"; }
# Full JSON-RPC reply (also on error), for eth_call reverts.
rpc_raw() {
	curl -s -X POST -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL"
}
wait_receipt() {
	local h=$1 r i
	for i in $(seq 50); do
		r=$(rpc eth_getTransactionReceipt "[\"$h\"]")
		[ "$r" != "null" ] && { echo "$r"; return 0; }
		sleep 0.1
	done
	return 1
}
# sign_send FIELDS_JSON -> prints the tx hash (checked against our own hash)
sign_send() {
	local raw ours hash
	raw=$("$ABI_TOOL" sign-tx "$KEY" "$1") || fail "signing failed for $1"
	ours=$(echo "{\"decode\":[\"$raw\"]}" | "$ABI_TOOL" batch-tx "$KEY" | jget 'j.decoded[0].hash')
	hash=$(rpc eth_sendRawTransaction "[\"$raw\"]") || fail "node refused our transaction $raw"
	[ "$hash" = "$ours" ] || fail "node hash $hash != our hash $ours"
	echo "$hash"
}

start_anvil
CHAIN=$(rpc eth_chainId '[]')
[ "$CHAIN" = "0x7a69" ] || fail "unexpected chain id $CHAIN"
nonce() { node -e 'console.log(String(BigInt(process.argv[1])))' "$(rpc eth_getTransactionCount "[\"$DEV_ADDR\",\"pending\"]")"; }
FEES='"maxPriorityFeePerGas":"1000000000","maxFeePerGas":"20000000000"'

# ---------------------------------------------------------------- 1. value transfer
TO=0x70997970c51812dc3a010c7d01b50e0d17dc79c8
h=$(sign_send "{\"chainId\":31337,\"nonce\":$(nonce),$FEES,\"gasLimit\":30000,\"to\":\"$TO\",\"value\":\"1234567890123456789\",\"data\":\"0xdeadbeef\"}")
rcpt=$(wait_receipt "$h") || fail "no receipt for $h"
[ "$(echo "$rcpt" | jget 'j.status')" = "0x1" ] || fail "transfer failed: $rcpt"
[ "$(echo "$rcpt" | jget 'j.from')" = "$DEV_ADDR" ] || fail "receipt from: $rcpt"
[ "$(echo "$rcpt" | jget 'j.to')" = "$TO" ] || fail "receipt to: $rcpt"
[ "$(echo "$rcpt" | jget 'j.type')" = "0x2" ] || fail "receipt type: $rcpt"
txj=$(rpc eth_getTransactionByHash "[\"$h\"]")
[ "$(echo "$txj" | jget 'String(BigInt(j.value))')" = "1234567890123456789" ] || fail "value: $txj"
[ "$(echo "$txj" | jget 'j.input')" = "0xdeadbeef" ] || fail "input: $txj"
ok "EIP-1559 transfer signed by us accepted (hash $h), receipt from/to/value/data as sent"

# ---------------------------------------------------------------- 2. deploy Emitter
node "$TOP/tests/contracts/compile.js" "$TOP/tests/contracts/Emitter.sol" Emitter paris > "$T/emitter.json" ||
	fail "solc compile failed"
BYTECODE=$(jget 'j.bytecode' < "$T/emitter.json")
h=$(sign_send "{\"chainId\":31337,\"nonce\":$(nonce),$FEES,\"gasLimit\":1500000,\"to\":null,\"value\":\"0\",\"data\":\"$BYTECODE\"}")
rcpt=$(wait_receipt "$h") || fail "no deploy receipt"
[ "$(echo "$rcpt" | jget 'j.status')" = "0x1" ] || fail "deploy failed: $rcpt"
C=$(echo "$rcpt" | jget 'j.contractAddress')
[ "$(rpc eth_getCode "[\"$C\",\"latest\"]")" != "0x" ] || fail "no code at $C"
ok "Emitter deployed by our contract-creation transaction at $C"

# ---------------------------------------------------------------- 3. events
FIRE='fire(uint256,address,uint256,address,bytes,string,uint256[])'
BLOB=0x$(head -c 77 /dev/urandom | od -An -tx1 | tr -d ' \n')
ARGS1="[\"115792089237316195423570985008687907853269984665640564039457584007913129639935\",\"0x00000000000000000000000000000000000000ff\",\"42\",\"$DEV_ADDR\",\"$BLOB\",\"héllo wörld 日本 😀\",[\"1\",\"2\",\"340282366920938463463374607431768211456\"]]"
ARGS2='["7","0x70997970c51812dc3a010c7d01b50e0d17dc79c8","0","0x0000000000000000000000000000000000000000","0x","",[]]'
for a in "$ARGS1" "$ARGS2"; do
	data=$("$ABI_TOOL" encode-call "$FIRE" "$a") || fail "encode-call $a"
	h=$(sign_send "{\"chainId\":31337,\"nonce\":$(nonce),$FEES,\"gasLimit\":500000,\"to\":\"$C\",\"value\":\"0\",\"data\":\"$data\"}")
	rcpt=$(wait_receipt "$h") || fail "no receipt"
	[ "$(echo "$rcpt" | jget 'j.status')" = "0x1" ] || fail "fire reverted: $rcpt"
done
data=$("$ABI_TOOL" encode-call 'fireTagged(string,bool)' '["blockhost",true]')
h=$(sign_send "{\"chainId\":31337,\"nonce\":$(nonce),$FEES,\"gasLimit\":200000,\"to\":\"$C\",\"value\":\"0\",\"data\":\"$data\"}")
wait_receipt "$h" > /dev/null || fail "no receipt"

rpc eth_getLogs "[{\"address\":\"$C\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\"}]" > "$T/logs.json"
[ "$(jget 'j.length' < "$T/logs.json")" = "3" ] || fail "expected 3 logs: $(cat "$T/logs.json")"
SIG='Fired(uint256 indexed id,address indexed who,uint256 amount,address token,bytes blob,string text,uint256[] list)'
"$BHCRYPT" abi-decode-log "$SIG" - < "$T/logs.json" > "$T/fired.json" || fail "decode of Fired logs failed"
[ "$(jget 'j.length' < "$T/fired.json")" = "2" ] || fail "expected 2 Fired logs: $(cat "$T/fired.json")"
[ "$(jget 'JSON.stringify(j[0].args)' < "$T/fired.json")" = "$(echo "$ARGS1" | jget 'JSON.stringify(j)')" ] ||
	fail "Fired #1 decoded to $(jget 'j[0].args' < "$T/fired.json"), emitted $ARGS1"
[ "$(jget 'JSON.stringify(j[1].args)' < "$T/fired.json")" = "$(echo "$ARGS2" | jget 'JSON.stringify(j)')" ] ||
	fail "Fired #2 decoded to $(jget 'j[1].args' < "$T/fired.json"), emitted $ARGS2"
[ "$(jget 'j[0].named.text' < "$T/fired.json")" = "héllo wörld 日本 😀" ] || fail "named text"
ok "eth_getLogs Fired events decode to exactly the emitted values (incl. max uint256, UTF-8, uint256[])"

"$BHCRYPT" abi-decode-log 'Tagged(string indexed tag,bool flag,address sender)' - < "$T/logs.json" > "$T/tagged.json" ||
	fail "decode of Tagged failed"
taghash=$(node -e 'const e=require(process.argv[1]);console.log(e.id("blockhost"))' "$JS/node_modules/ethers")
[ "$(jget 'JSON.stringify(j[0].args)' < "$T/tagged.json")" = "[\"$taghash\",true,\"$DEV_ADDR\"]" ] ||
	fail "Tagged decoded to $(cat "$T/tagged.json")"
ok "indexed string reported as its keccak hash; non-indexed bool/address decoded"

# a corrupted log (dirty address padding in data) is refused, naming the parameter
node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);const l=j[0];l.data="0x"+l.data.slice(2,66)+"01"+l.data.slice(68);console.log(JSON.stringify(l))})' \
	< "$T/logs.json" > "$T/bad.json"
if "$BHCRYPT" abi-decode-log "$SIG" - < "$T/bad.json" 2> "$T/err"; then fail "corrupted log accepted"; fi
grep -q 'param 3 (address): address has nonzero high 12 bytes' "$T/err" || fail "message: $(cat "$T/err")"
ok "corrupted log refused: $(cat "$T/err")"

# BlockHost's own events as a real EVM emits them, decoded by field name (eth/events.h)
BH_ARGS="[\"7\",\"1\",\"$TO\",\"1767225600\",\"1606938044258990275541962092341162602522202993782792835301376\",\"$DEV_ADDR\",\"$BLOB\"]"
data=$("$ABI_TOOL" encode-call 'fireBlockhost(uint256,uint256,address,uint256,uint256,address,bytes)' "$BH_ARGS") ||
	fail "encode-call fireBlockhost"
h=$(sign_send "{\"chainId\":31337,\"nonce\":$(nonce),$FEES,\"gasLimit\":300000,\"to\":\"$C\",\"value\":\"0\",\"data\":\"$data\"}")
rcpt=$(wait_receipt "$h") || fail "no receipt"
[ "$(echo "$rcpt" | jget 'j.status')" = "0x1" ] || fail "fireBlockhost reverted: $rcpt"
echo "$rcpt" | jget 'j.logs' | "$ABI_TOOL" batch-events > "$T/typed.json" || fail "batch-events failed"
want="[{\"event\":\"SubscriptionCreated\",\"address\":\"$C\",\"fields\":{\"subscription_id\":\"7\",\"plan_id\":\"1\",\"subscriber\":\"$TO\",\"expires_at\":\"1767225600\",\"paid_amount\":\"1606938044258990275541962092341162602522202993782792835301376\",\"payment_token\":\"$DEV_ADDR\",\"user_encrypted\":\"$BLOB\"}},\
{\"event\":\"SubscriptionExtended\",\"address\":\"$C\",\"fields\":{\"subscription_id\":\"7\",\"plan_id\":\"1\",\"extended_by\":\"$DEV_ADDR\",\"new_expires_at\":\"1767312000\",\"paid_amount\":\"1606938044258990275541962092341162602522202993782792835301376\",\"payment_token\":\"$DEV_ADDR\"}},\
{\"event\":\"SubscriptionCancelled\",\"address\":\"$C\",\"fields\":{\"subscription_id\":\"7\",\"plan_id\":\"1\",\"subscriber\":\"$TO\"}},\
{\"event\":\"CredentialMinted\",\"address\":\"$C\",\"fields\":{\"token_id\":\"7\",\"recipient\":\"$TO\"}},\
{\"event\":\"Transfer\",\"address\":\"$C\",\"fields\":{\"from\":\"0x0000000000000000000000000000000000000000\",\"to\":\"$TO\",\"token_id\":\"7\"}}]"
[ "$(jget 'JSON.stringify(j)' < "$T/typed.json")" = "$(echo "$want" | jget 'JSON.stringify(j)')" ] ||
	fail "typed events decoded to $(cat "$T/typed.json"), emitted $want"
ok "SubscriptionCreated/Extended/Cancelled, CredentialMinted, Transfer from a real EVM decode by field name"

# ---------------------------------------------------------------- 4. eth_call returns and reverts
call() { rpc_raw eth_call "[{\"to\":\"$C\",\"data\":\"$1\"},\"latest\"]"; }
ret=$(call "$("$ABI_TOOL" encode-call 'get(uint256)' '[21]')" | jget 'j.result')
dec=$("$ABI_TOOL" decode '(uint256,address,uint256,bool,bool)' "$ret") || fail "decode of get() return"
[ "$dec" = "[\"21\",\"$C\",\"42\",true,false]" ] || fail "get() decoded to $dec"
ok "eth_call return (uint256,address,uint256,bool,bool) decoded: $dec"
ret=$(call "$("$ABI_TOOL" encode-call 'counter()' '[]')" | jget 'j.result')
[ "$("$ABI_TOOL" decode '(uint256)' "$ret")" = '["2"]' ] || fail "counter() = $ret"

ERRS=('PlanNotFound(uint256)' 'InvalidAddress()')
rev() { call "$1" | jget 'j.error && j.error.data'; }
d=$(rev "$("$ABI_TOOL" encode-call 'failCustom(uint256)' '[77]')")
[ "$("$ABI_TOOL" decode-revert "$d" "${ERRS[@]}")" = "PlanNotFound(77)" ] || fail "custom error $d"
d=$(rev "$("$ABI_TOOL" encode-call 'failMessage()' '[]')")
[ "$("$ABI_TOOL" decode-revert "$d" "${ERRS[@]}")" = "Error: Token does not exist" ] || fail "Error(string) $d"
d=$(rev "$("$ABI_TOOL" encode-call 'failPanic(uint256)' '[5]')")
[ "$("$ABI_TOOL" decode-revert "$d")" = "Panic 0x11 (arithmetic overflow or underflow)" ] || fail "Panic $d"
ok "revert data decoded: custom error, Error(string), Panic(0x11)"
