#!/usr/bin/env bash
# The provisioner's GC asks the chain (blockhost-engine gc-check, docs/engine.md "Expiry
# consults the chain"): real anvil, the engine's purchases, blockhost-vm-gc --mock (no
# libvirt) with the engine on its PATH.
#  1. a VM whose local expiry passed but whose subscription was extended on chain (while
#     the engine was down) is not suspended: kept, local expires_at := on-chain expiresAt;
#     a dry run says so and changes nothing;
#  2. a VM whose subscription is expired on chain too is suspended;
#  3. a chain that cannot be asked: the VM is left alone (exit 1), never suspended;
#  4. a suspended VM past the grace that is paid on chain is resumed, not destroyed.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
bh_policy_identity blockhost-provisioner root root
field() { "$BIN/blockhost-vmdb" get-vm "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];
console.log(typeof v === "string" && /^\d{4}-/.test(v) ? Date.parse(v) / 1000 : String(v))})' "$2"; }
gc() { PATH="$BIN:$PATH" BLOCKHOST_NOW=$NOW "$BIN/blockhost-vm-gc" --mock "$@" > "$T/gc.out" 2> "$T/gc.err"; }
web3() {
	cat > "$BLOCKHOST_ROOT/etc/blockhost/web3-defaults.json" <<J
{"blockchain": {"rpc_url": "$1", "chain_id": 31337, "nft_contract": "$NFT", "subscription_contract": "$SUBS"}}
J
}

ENGINE_ARGS=(--confirmations 1)
eng_engine_start
read -r id1 _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1) || fail "buy 1"
read -r id2 _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 2) || fail "buy 2"
rpc anvil_mine '["0x1"]' > /dev/null
eng_wait_state "$id1" done 60 || fail "purchase 1"
eng_wait_state "$id2" done 60 || fail "purchase 2"
eng_engine_stop || true
# the engine is down while subscription 1 is extended: the local expiry drifts
exp1=$(node "$BUYER" extend "$RPC_URL" "$SUBS" "$STABLE" 1 10 1) || fail "extend"
local1=$(field blockhost-001 expires_at)
[ "$local1" -lt "$exp1" ] || fail "local expiry $local1 not behind the chain's $exp1"
web3 "$RPC_URL"
NOW=$((local1 + 5 * 86400))     # past both local expiries, before exp1 (local1 + 10 days)
[ "$NOW" -lt "$exp1" ] || fail "clock arithmetic"

gc || fail "gc dry run: $(cat "$T/gc.out" "$T/gc.err")"
grep -q "blockhost-001: paid on chain, kept$" "$T/gc.out" || fail "dry run: $(cat "$T/gc.out")"
grep -q "would suspend blockhost-002" "$T/gc.out" || fail "dry run 002: $(cat "$T/gc.out")"
[ "$(field blockhost-001 expires_at)" = "$local1" ] || fail "the dry run changed the local expiry"
ok "dry run: blockhost-001 paid on chain (kept), blockhost-002 would be suspended; nothing changed"

gc --execute || fail "gc: $(cat "$T/gc.out" "$T/gc.err")"
grep -q "blockhost-001: paid on chain, kept (local expiry corrected)" "$T/gc.out" || fail "gc: $(cat "$T/gc.out")"
[ "$(field blockhost-001 status)" = active ] || fail "blockhost-001 suspended although paid on chain"
[ "$(field blockhost-001 expires_at)" = "$exp1" ] || fail "local expiry $(field blockhost-001 expires_at), on chain $exp1"
grep -q "gc-check blockhost-001: paid on chain until $exp1: local expires_at corrected" "$T/gc.err" || fail "no correction line: $(cat "$T/gc.err")"
ok "a VM whose local expiry passed but whose subscription was extended on chain: not suspended, local expiry := expiresAt ($exp1)"
[ "$(field blockhost-002 status)" = suspended ] || fail "blockhost-002 (expired on chain too) not suspended: $(cat "$T/gc.out")"
ok "a VM expired on chain too: suspended"

# 3. the chain cannot be asked
web3 "http://127.0.0.1:$(free_port)"
NOW=$((exp1 + 86400))
rc=0; gc --execute --suspend-only || rc=$?
[ "$rc" = 1 ] || fail "gc exit $rc with an unreachable chain: $(cat "$T/gc.out")"
grep -q "blockhost-001: chain check failed, left alone" "$T/gc.out" || fail "gc: $(cat "$T/gc.out" "$T/gc.err")"
[ "$(field blockhost-001 status)" = active ] || fail "suspended on an unreadable chain"
rc=0; gc --execute --suspend-only --no-chain-check || rc=$?
[ "$(field blockhost-001 status)" = suspended ] || fail "--no-chain-check did not go by the local state"
ok "an unreachable chain: the VM is left alone (exit 1); --no-chain-check goes by the local state"

# 4. suspended past the grace but paid on chain (extended again): resumed, never destroyed
web3 "$RPC_URL"
exp1b=$(node "$BUYER" extend "$RPC_URL" "$SUBS" "$STABLE" 1 30 1) || fail "extend again"
NOW=$((NOW + 8 * 86400))
[ "$NOW" -lt "$exp1b" ] || fail "clock arithmetic (2)"
gc --execute --destroy-only || fail "gc destroy phase: $(cat "$T/gc.out" "$T/gc.err")"
grep -q "blockhost-001: paid on chain, kept and resumed" "$T/gc.out" || fail "gc: $(cat "$T/gc.out")"
[ "$(field blockhost-001 status)" = active ] || fail "blockhost-001 $(field blockhost-001 status)"
[ "$(field blockhost-001 expires_at)" = "$exp1b" ] || fail "expiry $(field blockhost-001 expires_at), on chain $exp1b"
grep -q "destroying blockhost-002" "$T/gc.out" || fail "blockhost-002 not destroyed: $(cat "$T/gc.out")"
ok "suspended past the grace but paid on chain: resumed with the on-chain expiry, not destroyed; the expired one destroyed"
