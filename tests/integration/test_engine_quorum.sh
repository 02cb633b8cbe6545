#!/usr/bin/env bash
# Issue 13: the engine trusts no single RPC endpoint.  Three endpoints in front of one anvil
# (tests/helpers/rpc-liar-proxy.js, run here): a liar first (so it is the source of logs and
# receipts) and two honest ones, quorum 2.  The liar (a) forges a SubscriptionCreated log,
# (b) flips a byte of a real one's data, (c) hides it (from eth_getLogs, and from the
# receipts too), (d) serves a fake header whose receiptsRoot matches its fake receipts,
# (e) answers another block hash: nothing forged is provisioned, every real purchase is,
# and status names the liar.  Too few agreeing endpoints stop the engine at that height
# with an alarm that clears when a quorum forms again; a stalling endpoint costs its short
# timeout, not the round.  With the liar alone (N = 1, k = 1)
# the proofs refuse (a), (b), (d) and (e) (the block is not acted on until the endpoint
# tells the truth) and a log hidden from eth_getLogs only is found through the proven
# bloom and receipts.  A provider without eth_getBlockReceipts (-32601): the per-receipt
# fallback proves the same.  The recording provisioner counts VMs.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
ANVIL_URL=$RPC_URL

declare -A PORT
for p in liar h1 h2; do
	PORT[$p]=$(free_port)
	LIAR_LOG=$T/lies.$p node "$TOP/tests/helpers/rpc-liar-proxy.js" "${PORT[$p]}" "$ANVIL_URL" \
		2> "$T/proxy.$p.log" & bh_track $!
	wait_port "${PORT[$p]}" || fail "proxy $p"
done
url() { echo "http://127.0.0.1:${PORT[$1]}"; }
ctl() { curl -s -X POST --data "$2" "$(url "$1")/ctl" > /dev/null || fail "ctl $1"; }
status_json() { "$ENGINE" status --json --state-dir "$ESTATE"; }
# st EXPR: a JavaScript expression over the status document s
st() { status_json | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const s=JSON.parse(d);console.log(eval(process.argv[1]))})' "$1"; }
LIAR="#1 127.0.0.1:${PORT[liar]}"

# buy: one real purchase (ID, its VM VM, the forged twin's id FID), mined 2 blocks deep
n=0
buy() {
	n=$((n + 1))
	read -r ID _ _ < <(node "$BUYER" buy "$ANVIL_URL" "$SUBS" "$STABLE" "$PUB" "$n") || fail "buy $n"
	rpc anvil_mine '["0x2"]' > /dev/null
	VM=$(printf 'blockhost-%03d' "$ID")
	FID=$((ID + 1000))
}
# nothing_forged: no record, no VM for the forged twin of ID
nothing_forged() {
	[ ! -e "$ESTATE/subs/$FID.json" ] || fail "forged subscription $FID journaled: $(cat "$ESTATE/subs/$FID.json")"
	[ "$(eng_calls create "blockhost-$FID")" = 0 ] || fail "a VM for forged subscription $FID"
}
one_vm() { [ "$(eng_calls create "$VM" created)" = 1 ] || fail "$VM: $(eng_calls create "$VM" created) VMs"; }

# ---------------------------------------------------------------- N = 3, k = 2, liar first
THREE=(--rpc-url "$(url h1)" --rpc-url "$(url h2)" --quorum 2)
for lie in forge alter hide:both hide:logs header fork; do
	mode=${lie%%:*}; where=${lie#*:}; [ "$where" = "$lie" ] && where=both
	: > "$T/lies.liar"
	ctl liar "{\"mode\": \"$mode\", \"where\": \"$where\"}"
	before=$(grep -c "rpc quorum: quorum at block" "$T/engine.log" || true)
	RPC_URL=$(url liar) eng_engine_start --confirmations 1 "${THREE[@]}"
	buy
	eng_wait_state "$ID" done 90 || fail "$lie: the real purchase $ID was missed"
	rpc anvil_mine '["0x5"]' > /dev/null
	sleep 1
	eng_engine_stop || true
	lines=$(( $(grep -c "rpc quorum: quorum at block" "$T/engine.log" || true) - before ))
	if [ "$mode" = fork ]; then
		[ "$lines" = 1 ] || fail "fork: $lines log lines for one dissenting endpoint (one expected, not one per block)"
	fi
	one_vm
	nothing_forged
	grep -q "^$mode block" "$T/lies.liar" || fail "$lie: the liar told no lie: $(head -3 "$T/lies.liar")"
	if [ "$mode" = header ]; then
		grep -q "^selfcheck ok" "$T/lies.liar" || fail "the proxy's trie root is not anvil's: $(grep selfcheck "$T/lies.liar")"
	fi
	if [ "$mode" = fork ]; then
		said=$(st 's.rpc.alarm')
		case "$said" in *"$LIAR says"*disagrees*) ;; *) fail "fork: status does not name the liar: $said";; esac
	else
		said=$(st 's.rpc.lie')
		case "$said" in "endpoint $LIAR:"*) ;; *) fail "$lie: status does not name the liar: $said";; esac
	fi
	ok "3 endpoints, quorum 2, liar $mode${where:+ ($where)}: purchase $ID provisioned once, nothing forged, status: ${said:0:150}"
done
text=$("$ENGINE" status --state-dir "$ESTATE")
grep -q "^rpc: 3 endpoints, quorum 2: $LIAR" <<< "$text" && grep -q "^rpc alarm: .*$LIAR says" <<< "$text" ||
	fail "status text: $text"
ok "status (text) lists the endpoints and the alarm: $(grep '^rpc' <<< "$text" | head -2 | tr '\n' '|' | cut -c1-200)"

# ---------------------------------------------------------------- no quorum: stop, alarm, resume
ctl liar '{"mode": "fork"}'
ctl h2 '{"mode": "down"}'
RPC_URL=$(url liar) eng_engine_start --confirmations 1 "${THREE[@]}"
buy
sleep 3
[ "$(eng_state "$ID")" = "" ] || fail "acted on purchase $ID without a quorum"
cur=$(st 's.cursor')
said=$(st 's.rpc.alarm')
case "$said" in "no quorum at block"*"$LIAR says"*"#3 127.0.0.1:${PORT[h2]} no answer"*) ;; *) fail "no-quorum alarm: $said";; esac
[ "$(grep -c 'rpc quorum: no quorum' "$T/engine.log")" -ge 1 ] || fail "no log line for the lost quorum"
ok "1 of 3 agreeing (liar forks, #3 down): purchase $ID not acted on, cursor stays at $cur, alarm: ${said:0:160}"
ctl h2 '{"mode": "honest"}'
eng_wait_state "$ID" done 60 || fail "quorum back: purchase $ID"
one_vm
ctl liar '{"mode": "honest"}'
rpc anvil_mine '["0x2"]' > /dev/null
for i in $(seq 100); do [ "$(st 's.rpc.alarm')" = null ] && break; sleep 0.1; done
[ "$(st 's.rpc.alarm')" = null ] || fail "alarm did not clear: $(st 's.rpc.alarm')"
grep -q "rpc quorum: all 3 endpoints agree again" "$T/engine.log" || fail "no log line for the cleared alarm"
eng_engine_stop || true
ok "quorum back: purchase $ID provisioned; all three agree again: alarm cleared (one log line)"

# ---------------------------------------------------------------- a stalling endpoint
ctl h2 '{"mode": "slow"}'
RPC_URL=$(url liar) eng_engine_start --confirmations 1 --rpc-timeout-ms 1500 "${THREE[@]}"
buy
eng_wait_state "$ID" done 60 || fail "one endpoint stalling: purchase $ID"
eng_engine_stop || true
one_vm
said=$(st 's.rpc.alarm')
case "$said" in *"#3 127.0.0.1:${PORT[h2]} did not answer"*) ;; *) fail "stalling endpoint not named: $said";; esac
ctl h2 '{"mode": "honest"}'
ok "one endpoint answering 10 s late (--rpc-timeout-ms 1500): the other two agree, purchase $ID provisioned, alarm: ${said:0:140}"

# ---------------------------------------------------------------- N = 1, k = 1: the proofs alone
for lie in forge alter header fork hide:both; do
	mode=${lie%%:*}; where=${lie#*:}; [ "$where" = "$lie" ] && where=both
	: > "$T/lies.liar"
	ctl liar "{\"mode\": \"$mode\", \"where\": \"$where\"}"
	RPC_URL=$(url liar) eng_engine_start --confirmations 1
	buy
	for i in $(seq 50); do grep -q "^$mode block" "$T/lies.liar" && [ "$(st 's.rpc.lies')" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
	sleep 1
	[ "$(eng_state "$ID")" = "" ] || fail "1 endpoint, $lie: acted on block of purchase $ID while the endpoint lied"
	nothing_forged
	said=$(st 's.rpc.lie')
	case "$said" in "endpoint #1 127.0.0.1:${PORT[liar]}:"*) ;; *) fail "1 endpoint, $lie: status: $said";; esac
	ctl liar '{"mode": "honest"}'
	eng_wait_state "$ID" done 60 || fail "1 endpoint, $lie: purchase $ID after the endpoint turned honest"
	eng_engine_stop || true
	one_vm
	nothing_forged
	ok "1 endpoint lying ($lie): refused by the proofs alone (${said:0:110}); once honest, purchase $ID provisioned once"
done
# hidden from eth_getLogs only: the proven bloom and receipts still show it
: > "$T/lies.liar"
ctl liar '{"mode": "hide", "where": "logs"}'
RPC_URL=$(url liar) eng_engine_start --confirmations 1
buy
eng_wait_state "$ID" done 60 || fail "1 endpoint hiding from eth_getLogs: purchase $ID missed"
eng_engine_stop || true
one_vm
grep -q "^hide block" "$T/lies.liar" || fail "no log hidden"
case "$(st 's.rpc.lie')" in *"eth_getLogs hid a log"*) ;; *) fail "hidden log not reported: $(st 's.rpc.lie')";; esac
ok "1 endpoint hiding a log from eth_getLogs: found in the proven receipts (bloom), purchase $ID provisioned, lie reported"

# ---------------------------------------------------------------- no eth_getBlockReceipts
ctl liar '{"mode": "honest", "noBlockReceipts": true}'
ctl h1 '{"mode": "honest", "noBlockReceipts": true}'
RPC_URL=$(url h1) eng_engine_start --confirmations 1
buy
eng_wait_state "$ID" done 60 || fail "per-receipt fallback: purchase $ID"
eng_engine_stop || true
one_vm
grep -q "endpoint #1 127.0.0.1:${PORT[h1]} has no eth_getBlockReceipts (-32601)" "$T/engine.log" || fail "no fallback line"
[ "$(st 's.rpc.endpoints[0].no_block_receipts')" = true ] || fail "status: no_block_receipts"
ok "provider without eth_getBlockReceipts (-32601): per-transaction receipts prove purchase $ID"
: > "$T/lies.liar"
ctl liar '{"mode": "forge", "noBlockReceipts": true}'
RPC_URL=$(url liar) eng_engine_start --confirmations 1
buy
for i in $(seq 50); do [ "$(st 's.rpc.lies')" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
[ "$(eng_state "$ID")" = "" ] || fail "per-receipt fallback: acted on a forged block"
nothing_forged
ctl liar '{"mode": "honest", "noBlockReceipts": true}'
eng_wait_state "$ID" done 60 || fail "per-receipt fallback, honest again: purchase $ID"
eng_engine_stop || true
one_vm
nothing_forged
ok "per-transaction receipts from a forging endpoint: refused the same way; honest again, purchase $ID provisioned"

# ---------------------------------------------------------------- configuration
"$ENGINE" run --rpc-url "$(url h1)" --rpc-url "$(url h2)" --quorum 3 --subscriptions "$SUBS" --nft "$NFT" \
	--no-sandbox > "$T/q.out" 2> "$T/q.err" && fail "quorum 3 of 2 accepted"
grep -q "quorum 3 with 2 RPC endpoints: the quorum (--quorum, blockchain.rpc_quorum) must be between 1 and the number of endpoints" "$T/q.err" ||
	fail "quorum > N: $(cat "$T/q.err")"
"$ENGINE" run --rpc-url "$(url h1)" --rpc-url "$(url h1)/" --quorum 2 --subscriptions "$SUBS" --nft "$NFT" \
	--no-sandbox > "$T/q.out" 2> "$T/q.err" && fail "the same URL twice accepted"
grep -q "RPC endpoints 1 and 2 are the same URL" "$T/q.err" || fail "duplicate URL: $(cat "$T/q.err")"
rc=0; "$ENGINE" run --rpc-url "$(url h1)" --quorum 0 > "$T/q.out" 2> "$T/q.err" || rc=$?
[ "$rc" = 2 ] && grep -q -- "--quorum: expected a number 1..16" "$T/q.err" || fail "--quorum 0: rc $rc $(cat "$T/q.err")"
cfg() { echo "{\"blockchain\": {$1, \"nft_contract\": \"$NFT\", \"subscription_contract\": \"$SUBS\"}}" > "$T/web3.json"; }
cfg "\"rpc_urls\": [\"$(url h1)\", \"$(url h2)\"], \"rpc_quorum\": 3"
"$ENGINE" run --config "$T/web3.json" --no-sandbox > "$T/q.out" 2> "$T/q.err" && fail "file: quorum 3 of 2 accepted"
grep -q "quorum 3 with 2 RPC endpoints" "$T/q.err" || fail "file quorum > N: $(cat "$T/q.err")"
cfg "\"rpc_url\": \"$(url liar)\", \"rpc_urls\": [\"$(url h1)\", \"$(url h2)\"]"
"$ENGINE" run --config "$T/web3.json" --no-sandbox > "$T/q.out" 2> "$T/q.err" && fail "file: rpc_url outside rpc_urls accepted"
grep -q '"blockchain.rpc_url" is not one of "blockchain.rpc_urls"' "$T/q.err" || fail "rpc_url outside rpc_urls: $(cat "$T/q.err")"
cfg "\"rpc_urls\": []"
"$ENGINE" run --config "$T/web3.json" --no-sandbox > "$T/q.out" 2> "$T/q.err" && fail "file: empty rpc_urls accepted"
grep -q '"blockchain.rpc_urls": expected 1..16 URLs, got 0' "$T/q.err" || fail "empty rpc_urls: $(cat "$T/q.err")"
ok "configuration: quorum above N (flag and file), a URL given twice, --quorum 0, rpc_url outside rpc_urls, an empty list: refused with clear errors"

# the file's list and quorum: three endpoints, k = 2, the liar last and forking
ctl liar '{"mode": "fork", "noBlockReceipts": false}'
ctl h1 '{"mode": "honest", "noBlockReceipts": false}'
cfg "\"rpc_urls\": [\"$(url h1)\", \"$(url h2)\", \"$(url liar)\"], \"rpc_quorum\": 2"
"$ENGINE" run --config "$T/web3.json" --keystore-socket "$KS_SOCK" --provisioner-manifest "$REC/provisioner.json" \
	--poll-ms 100 --retry-ms 200 --confirmations 1 >> "$T/engine.log" 2>&1 &
ENGINE_PID=$!; bh_track "$ENGINE_PID"
buy
eng_wait_state "$ID" done 60 || fail "config file endpoints: purchase $ID"
eng_engine_stop || true
one_vm
case "$(st 's.rpc.alarm')" in *"#3 127.0.0.1:${PORT[liar]} says"*disagrees*) ;; *) fail "file: alarm $(st 's.rpc.alarm')";; esac
ok "blockchain.rpc_urls + rpc_quorum 2 from web3-defaults.json: purchase $ID provisioned, the forking #3 named"
