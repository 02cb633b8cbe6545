#!/usr/bin/env bash
# --finalized (docs/engine.md, "Ingest"): the engine acts on min(head - confirmations,
# finalized).  anvil has the tag (its finalized block trails the head by 64): a purchase
# is not handled while only its confirmations are there, and is once the chain says final.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
rpc anvil_mine '["0x50"]' > /dev/null     # a finalized block above 0 before the purchase
eng_engine_start --confirmations 1 --finalized
read -r id1 _ blk < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1) || fail "buy"
rpc anvil_mine '["0x3"]' > /dev/null
fin=$(printf '%d' "$(rpc eth_getBlockByNumber '["finalized", false]' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log((j.result||j).number)})')")
[ "$fin" -lt "$blk" ] || fail "anvil's finalized block $fin is not behind the purchase's $blk"
sleep 1.5
[ "$(eng_state "$id1")" = "" ] || fail "acted on block $blk with 3 confirmations but finalized at $fin"
"$ENGINE" status > "$T/status" || fail "status"
grep -q "(confirmations 1, finalized $fin)" "$T/status" || fail "status: $(cat "$T/status")"
ok "block $blk confirmed but not final (finalized $fin): not acted on; status names the finalized block"
rpc anvil_mine '["0x50"]' > /dev/null
eng_wait_state "$id1" done 60 || fail "not handled once final"
ok "handled once the chain calls block $blk final"
eng_engine_stop || fail "engine exit status on SIGTERM"
