#!/usr/bin/env bash
# The engine's reconciler (docs/engine.md, "Reconciler"), real anvil + keystore, the
# recording provisioner:
#  1. an NFT transfer: the ingest sees the Transfer, the reconciler reads ownerOf at once
#     (its period is 10 min here) and calls update-gecos with the new owner; vms.json
#     owner_wallet follows, gecos_synced true;
#  2. a VM record whose NFT was never minted (a purchase before --start-block whose VM an
#     earlier engine made and whose mint failed): exactly one mint, also across a SIGKILL
#     while that mint is pending; its details decrypt with the buyer's signature;
#  3. gecos_synced false (a failed update-gecos): retried by the periodic pass;
#  4. the missed-mint lookup is bounded: a purchase 300 blocks below the safe head behind a
#     provider that caps log ranges at 16 blocks is found by walking back in chunks
#     (never one eth_getLogs from block 0) and minted once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
supply() { node -e 'const { JsonRpcProvider, Contract } = require("ethers");
new Contract(process.argv[2], ["function totalSupply() view returns (uint256)"], new JsonRpcProvider(process.argv[1]))
  .totalSupply().then(t => console.log(t.toString()));' "$RPC_URL" "$NFT"; }
field() { "$BIN/blockhost-vmdb" get-vm "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(String(JSON.parse(s)[process.argv[1]])))' "$2"; }

# 2. (first, so the purchase is below --start-block) a purchase the engine never sees
read -r id1 b1 blk1 < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1) || fail "buy 1"
"$BIN/blockhost-vmdb" register blockhost-001 --owner "$b1" --network-mode none --days 30 --username user > /dev/null ||
	fail "register blockhost-001"
"$BIN/blockhost-vmdb" update-fields blockhost-001 --fields '{"ssh_port": 22001}' > /dev/null
rpc evm_setAutomine '[false]' > /dev/null
rpc evm_mine '[]' > /dev/null
ENGINE_ARGS=(--confirmations 1 --reconcile-ms 300 --start-block $((blk1 + 1)))
eng_engine_start
eng_wait_state "$id1" minting 60 || fail "the reconciler journaled no mint for the NFT-less VM"
grep -q "reconcile blockhost-001: no NFT was ever minted for subscription 1 (missed mint): journaled for one mint" "$T/engine.log" ||
	fail "no missed-mint line"
kill -KILL "$ENGINE_PID"; wait "$ENGINE_PID" 2>/dev/null || true
eng_engine_start
sleep 1.5
[ "$(eng_state "$id1")" = minting ] || fail "state $(eng_state "$id1") while the recovered mint is pending"
rpc evm_setAutomine '[true]' > /dev/null
rpc evm_mine '[]' > /dev/null
eng_wait_state "$id1" done 60 || fail "recovered mint not done"
sleep 1   # several reconcile passes
[ "$(supply)" = 1 ] || fail "totalSupply $(supply): not exactly one NFT"
details=$(node "$BUYER" check "$RPC_URL" "$NFT" 0 1) || fail "buyer 1's recovered NFT"
[ "$details" = '{"hostname":"127.0.0.1","port":22001,"username":"user"}' ] || fail "details: $details"
[ "$(field blockhost-001 nft_minted)" = true ] && [ "$(field blockhost-001 nft_token_id)" = 0 ] || fail "vms.json not minted"
[ "$(eng_calls create)" = 0 ] || fail "the recovery created a VM"
grep -q "\"update-gecos\", \"args\": \[\"blockhost-001\", \"$b1\", \"--nft-id\", \"0\"\]" "$REC/calls.jsonl" ||
	fail "no update-gecos after the recovered mint"
ok "a VM without an NFT (purchase before --start-block): exactly one mint across a SIGKILL with it pending, details decrypt: $details"

# 1. a transfer: the Transfer log wakes the reconciler (period 10 min)
eng_engine_stop || true
ENGINE_ARGS=(--confirmations 1 --reconcile-ms 600000 --start-block $((blk1 + 1)))
eng_engine_start
sleep 1
b9=$(node "$BUYER" transfer "$RPC_URL" "$NFT" 0 1 9) || fail "transfer"
rpc anvil_mine '["0x1"]' > /dev/null
for i in $(seq 100); do
	grep -q "\"update-gecos\", \"args\": \[\"blockhost-001\", \"$b9\", \"--nft-id\", \"0\"\]" "$REC/calls.jsonl" && break
	sleep 0.1
done
grep -q "\"update-gecos\", \"args\": \[\"blockhost-001\", \"$b9\", \"--nft-id\", \"0\"\]" "$REC/calls.jsonl" ||
	fail "no update-gecos with the new owner: $(tail -3 "$REC/calls.jsonl"); $(tail -5 "$T/engine.log")"
grep -q "NFT 0 transferred in block" "$T/engine.log" || fail "the ingest did not see the Transfer"
[ "$(field blockhost-001 owner_wallet)" = "$b9" ] || fail "owner_wallet $(field blockhost-001 owner_wallet), expected $b9"
[ "$(field blockhost-001 gecos_synced)" = true ] || fail "gecos_synced $(field blockhost-001 gecos_synced)"
ok "NFT transfer: Transfer seen by the ingest, update-gecos blockhost-001 <new owner> --nft-id 0 at once; owner_wallet follows, gecos_synced"

# 3. gecos_synced false: the periodic pass retries it
eng_engine_stop || true
"$BIN/blockhost-vmdb" update-fields blockhost-001 --fields '{"gecos_synced": false}' > /dev/null
n=$(eng_calls update-gecos blockhost-001)
ENGINE_ARGS=(--confirmations 1 --reconcile-ms 300 --start-block $((blk1 + 1)))
eng_engine_start
for i in $(seq 100); do [ "$(field blockhost-001 gecos_synced)" = true ] && break; sleep 0.1; done
[ "$(field blockhost-001 gecos_synced)" = true ] || fail "unsynced GECOS not retried"
[ "$(eng_calls update-gecos blockhost-001)" = $((n + 1)) ] || fail "update-gecos calls $(eng_calls update-gecos blockhost-001), expected $((n + 1))"
sleep 1
[ "$(eng_calls update-gecos blockhost-001)" = $((n + 1)) ] || fail "update-gecos repeated for a synced VM"
[ "$(supply)" = 1 ] || fail "totalSupply $(supply)"
eng_engine_stop || fail "engine exit status on SIGTERM"
ok "gecos_synced false: update-gecos retried once by the periodic pass; still one NFT"

# 4. a missed mint far below the head, behind a provider that caps ranges
read -r id2 b2 blk2 < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 2) || fail "buy 2"
"$BIN/blockhost-vmdb" register blockhost-002 --owner "$b2" --network-mode none --days 30 --username user > /dev/null ||
	fail "register blockhost-002"
"$BIN/blockhost-vmdb" update-fields blockhost-002 --fields '{"ssh_port": 22002}' > /dev/null
rpc anvil_mine '["0x12c"]' > /dev/null
rm -rf "$ESTATE"   # a new engine: the purchase is below its --start-block
PPORT=$(free_port)
FAULT_LOG=$T/faults "$TOP/tests/helpers/rpc-fault-proxy" "$PPORT" "$RPC_URL" & bh_track $!
wait_port "$PPORT" || fail "proxy"
curl -s -X POST --data '{"cap": 16}' "http://127.0.0.1:$PPORT/ctl" > /dev/null
ANVIL_URL=$RPC_URL
RPC_URL=http://127.0.0.1:$PPORT
: > "$T/engine.log"
ENGINE_ARGS=(--confirmations 1 --reconcile-ms 300 --chunk 64 --start-block $((blk2 + 290)))
eng_engine_start
eng_wait_state "$id2" done 90 || fail "the missed mint 300 blocks back was not recovered behind a capping provider"
RPC_URL=$ANVIL_URL
grep -q "reconcile: eth_getLogs [0-9]*\.\.[0-9]* refused by the provider" "$T/engine.log" ||
	fail "the lookup never met the cap: $(grep reconcile "$T/engine.log" | head -5)"
grep -q "reconcile blockhost-002: no NFT was ever minted for subscription $id2 (missed mint)" "$T/engine.log" ||
	fail "no missed-mint line for blockhost-002"
[ "$(supply)" = 2 ] || fail "totalSupply $(supply), expected 2"
[ "$(field blockhost-002 nft_minted)" = true ] || fail "blockhost-002 not minted in vms.json"
eng_engine_stop || fail "engine exit status on SIGTERM"
ok "missed mint 300 blocks below the head, provider capping ranges at 16: found walking back in chunks ($(grep -c 'reconcile: eth_getLogs' "$T/engine.log") refusals), one mint"
