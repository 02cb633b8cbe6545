#!/usr/bin/env bash
# Reorgs (anvil evm_snapshot / evm_revert): a purchase whose blocks are reverted before
# its confirmations gets no VM, and the subscription id then re-used by another buyer's
# purchase is handled once, for that buyer; blocks the engine already read that leave the
# chain are detected by parent hash and the cursor is rewound.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
ENGINE_ARGS=(--confirmations 3)
eng_engine_start

# 1. blocks the engine has read leave the chain
snap=$(rpc evm_snapshot '[]')
rpc anvil_mine '["0x6"]' > /dev/null
sleep 1
c1=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).block)' "$ESTATE/cursor.json")
rpc evm_revert "[\"$snap\"]" > /dev/null
rpc anvil_setNextBlockTimestamp "[$(( $(date +%s) + 1000 ))]" > /dev/null
rpc anvil_mine '["0x8"]' > /dev/null
for i in $(seq 100); do grep -q "^blockhost-engine: reorg:" "$T/engine.log" && break; sleep 0.1; done
grep -q "^blockhost-engine: reorg:" "$T/engine.log" || fail "reorg not detected (cursor was $c1)"
ok "reorg of blocks already read (cursor $c1): $(grep -m1 '^blockhost-engine: reorg:' "$T/engine.log" | cut -c19-)"

# 2. a purchase reverted before its confirmations
snap=$(rpc evm_snapshot '[]')
read -r id a _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 5) || fail "buy 5"
sleep 1
[ "$(eng_state "$id")" = "" ] || fail "acted before 3 confirmations"
rpc evm_revert "[\"$snap\"]" > /dev/null
read -r id2 b _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 6) || fail "buy 6"
[ "$id2" = "$id" ] || fail "expected the same subscription id after the revert ($id, $id2)"
rpc anvil_mine '["0x3"]' > /dev/null
eng_wait_state "$id" done 60 || fail "re-included subscription $id"
sleep 1
[ "$(eng_calls create)" = 1 ] || fail "creates: $(eng_calls create)"
grep -q "\"--owner-wallet\", \"$b\"" "$REC/calls.jsonl" || fail "VM not for the buyer of the surviving purchase"
grep -q "\"--owner-wallet\", \"$a\"" "$REC/calls.jsonl" && fail "a VM for the reverted purchase"
node "$BUYER" check "$RPC_URL" "$NFT" 0 6 > /dev/null || fail "NFT for the surviving buyer"
eng_engine_stop || true
ok "reverted purchase (buyer $a): no VM; subscription $id re-used by buyer $b: one VM, one NFT"
