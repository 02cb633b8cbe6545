#!/usr/bin/env bash
# blockhost-engine end to end with anvil, the real keystore on swtpm and a recording
# provisioner: a purchase made by ethers with the upstream ECIES payload becomes exactly one
# VM record, one NFT owned by the buyer whose details decrypt with the buyer's signature,
# and update-gecos with the wallet and token id; an empty or undecryptable payload gives no
# VM; an extension sets the expiry to newExpiresAt (and resumes a suspended VM); a
# cancellation destroys; `status` reports; SIGTERM stops cleanly.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
eng_engine_start --confirmations 2

read -r id1 b1 blk < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1) || fail "buy"
[ "$id1" = 1 ] || fail "subscription id $id1"
sleep 0.5
[ "$(eng_state 1)" = "" ] || fail "acted on block $blk before 2 confirmations"
rpc anvil_mine '["0x2"]' > /dev/null
eng_wait_state 1 done 60 || fail "purchase not done"
ok "purchase in block $blk handled after 2 confirmations"

[ "$(eng_calls create blockhost-001)" = 1 ] || fail "create calls: $(eng_calls create blockhost-001)"
grep -q "\"blockhost-001\", \"--owner-wallet\", \"$b1\", \"--expiry-days\", \"30\", \"--apply\"" "$REC/calls.jsonl" ||
	fail "create args: $(cat "$REC/calls.jsonl")"
details=$(node "$BUYER" check "$RPC_URL" "$NFT" 0 1) || fail "buyer check"
[ "$details" = '{"hostname":"127.0.0.1","port":22001,"username":"user"}' ] || fail "details: $details"
grep -q "\"update-gecos\", \"args\": \[\"blockhost-001\", \"$b1\", \"--nft-id\", \"0\"\]" "$REC/calls.jsonl" ||
	fail "update-gecos: $(cat "$REC/calls.jsonl")"
vm=$("$BIN/blockhost-vmdb" get-vm blockhost-001)
node -e 'const v = JSON.parse(process.argv[1]); if (v.nft_token_id !== 0 || v.nft_minted !== true) process.exit(1)' "$vm" ||
	fail "vms.json: $vm"
ok "one VM (create blockhost-001 --owner-wallet buyer --expiry-days 30), NFT 0 owned by the buyer, details decrypt with the buyer's signature: $details"
ok "update-gecos blockhost-001 <buyer> --nft-id 0; vms.json nft_token_id 0"

read -r id2 _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 2 empty) || fail "buy empty"
read -r id3 _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 3 garbage) || fail "buy garbage"
rpc anvil_mine '["0x2"]' > /dev/null
eng_wait_state "$id2" refused 30 || fail "empty payload"
eng_wait_state "$id3" refused 30 || fail "garbage payload"
[ "$(eng_calls create)" = 1 ] || fail "a refused purchase made a VM"
grep -q "subscription $id2: refused, no VM: the purchase carries no payload" "$T/engine.log" || fail "no refusal line for $id2"
grep -q "subscription $id3: refused, no VM: keystore refused" "$T/engine.log" || fail "no refusal line for $id3: $(grep "subscription $id3" "$T/engine.log")"
ok "empty and undecryptable payloads: no VM, no NFT, one clear log line each"

"$BIN/blockhost-vmdb" mark-suspended blockhost-001 > /dev/null
exp=$(node "$BUYER" extend "$RPC_URL" "$SUBS" "$STABLE" 1 10 1) || fail "extend"
rpc anvil_mine '["0x2"]' > /dev/null
for i in $(seq 100); do [ "$(eng_calls resume blockhost-001)" = 1 ] && break; sleep 0.1; done
[ "$(eng_calls resume blockhost-001)" = 1 ] || fail "no resume after the extension"
vm=$("$BIN/blockhost-vmdb" get-vm blockhost-001)
node -e 'const v = JSON.parse(process.argv[1]); const t = typeof v.expires_at === "number" ? v.expires_at : Date.parse(v.expires_at) / 1000;
if (t !== Number(process.argv[2]) || v.status !== "active") { console.error(v.expires_at, v.status); process.exit(1); }' "$vm" "$exp" ||
	fail "expiry after extension: $vm (on chain $exp)"
ok "extension: local expiry = on-chain newExpiresAt ($exp), suspended VM resumed"

node "$BUYER" cancel "$RPC_URL" "$SUBS" "$ADDR" 1 || fail "cancel"
rpc anvil_mine '["0x2"]' > /dev/null
for i in $(seq 100); do [ "$(eng_calls destroy blockhost-001)" = 1 ] && break; sleep 0.1; done
[ "$(eng_calls destroy blockhost-001)" = 1 ] || fail "no destroy after the cancellation"
ok "cancellation: provisioner destroy blockhost-001"

sleep 0.3
"$ENGINE" status > "$T/status" || fail "status"
grep -q "^head [0-9]*, safe [0-9]* (confirmations 2), cursor [0-9]*" "$T/status" || fail "status: $(cat "$T/status")"
"$ENGINE" status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);
if (j.queue.done !== 1 || j.queue.refused !== 2 || j.cursor < 1 || !Array.isArray(j.failing)) process.exit(1)})' ||
	fail "status --json: $("$ENGINE" status --json)"
ok "status: $(head -1 "$T/status"); $(sed -n 2p "$T/status")"

grep -q '^Seccomp:[[:space:]]*2' "/proc/$ENGINE_PID/status" && grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$ENGINE_PID/status" ||
	fail "the engine runs without its seccomp filter / no_new_privs"
sp=$(pgrep -P "$ENGINE_PID" | head -1)
[ -n "$sp" ] && grep -q '^Seccomp:[[:space:]]*0' "/proc/$sp/status" && grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$sp/status" ||
	fail "spawner $sp: expected no filter but no_new_privs"
ok "the engine runs under seccomp/blockhost-engine (no exec, no W+X); its spawners unfiltered with no_new_privs"

eng_engine_stop || fail "engine exit status on SIGTERM"
grep -q "stopped" "$T/engine.log" || fail "no clean stop"
ok "SIGTERM: clean stop, exit 0"
