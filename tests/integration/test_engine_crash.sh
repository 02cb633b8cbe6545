#!/usr/bin/env bash
# Exactly once across crashes: purchases made while the engine is down are all handled
# after it starts (downtime); then a burst of ENGINE_BURST (default 50) purchases while the
# engine is killed with SIGKILL at random moments (20 times) and restarted: every
# subscription ends with exactly one VM and one NFT (owned by its buyer), none with two.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
N=${ENGINE_BURST:-50}
KILLS=${ENGINE_KILLS:-20}
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
echo 0.2 > "$REC/delay"   # a create takes a while: kills land inside it too

# downtime: three purchases before the engine ever ran
node "$BUYER" burst "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1 3 > "$T/down" || fail "buy while down"
ENGINE_ARGS=(--confirmations 1 --workers 4)
eng_engine_start
for id in 1 2 3; do eng_wait_state $id done 60 || fail "downtime purchase $id"; done
ok "3 purchases made while the engine was down: all handled after it started"

# the burst, with SIGKILLs
node "$BUYER" burst "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 4 "$N" > "$T/burst" 2> "$T/burst.err" &
BURST=$!; bh_track "$BURST"
kills=0
while [ $kills -lt "$KILLS" ] || kill -0 "$BURST" 2>/dev/null; do
	sleep "$(python3 -c 'import random; print(round(random.uniform(0.2, 1.2), 2))')"
	kill -KILL "$ENGINE_PID" 2>/dev/null || true
	wait "$ENGINE_PID" 2>/dev/null || true
	kills=$((kills + 1))
	eng_engine_start
	[ $kills -gt 60 ] && break
done
wait "$BURST" || { cat "$T/burst.err"; fail "burst purchases"; }
rpc anvil_mine '["0x2"]' > /dev/null
total=$((N + 3))
for id in $(seq 1 $total); do eng_wait_state "$id" done 120 || fail "subscription $id after $kills kills"; done
eng_engine_stop || true
ok "$N purchases in a burst with $kills SIGKILLs of the engine: all $total done"

# exactly one VM per subscription; every create that made a VM is the only one for its name
for id in $(seq 1 $total); do
	vm=$(printf 'blockhost-%03d' "$id")
	c=$(eng_calls create "$vm" created)
	[ "$c" = 1 ] || fail "$vm: $c creates made a VM"
done
nvm=$("$BIN/blockhost-vmdb" list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
[ "$nvm" = "$total" ] || fail "vms.json has $nvm VMs, expected $total"
retries=$(( $(eng_calls create) - total ))
# one NFT per buyer, owned by that buyer; ids unique; totalSupply = subscriptions
node -e '
const { JsonRpcProvider, Contract, Wallet, keccak256, toUtf8Bytes } = require("ethers");
const [url, nft, n] = process.argv.slice(1);
const p = new JsonRpcProvider(url);
const c = new Contract(nft, ["function balanceOf(address) view returns (uint256)", "function totalSupply() view returns (uint256)",
  "function tokenOfOwnerByIndex(address,uint256) view returns (uint256)"], p);
(async () => {
  if (await c.totalSupply() !== BigInt(n)) throw new Error("totalSupply " + await c.totalSupply());
  const seen = new Set();
  for (let i = 1; i <= Number(n); i++) {
    const a = new Wallet(keccak256(toUtf8Bytes("buyer" + i))).address;
    const b = await c.balanceOf(a);
    if (b !== 1n) throw new Error(`buyer ${i} holds ${b} NFTs`);
    const t = await c.tokenOfOwnerByIndex(a, 0n);
    if (seen.has(t)) throw new Error("token twice " + t);
    seen.add(t);
  }
})().catch(e => { console.error(e.message); process.exit(1); });' "$RPC_URL" "$NFT" "$total" || fail "NFTs"
for id in $(seq 1 $total); do
	vm=$(printf 'blockhost-%03d' "$id")
	[ "$(eng_calls update-gecos "$vm")" -ge 1 ] || fail "$vm: no update-gecos"
done
resumed=$(grep -c "the journaled mint transaction was mined\|minting again" "$T/engine.log" || true)
ok "exactly once: $total VMs, $total NFTs (one per buyer, totalSupply $total); $retries repeated creates found the existing VM; $resumed mints resumed from the journal"
