#!/usr/bin/env bash
# The mint journal across SIGKILL (anvil's automine off, so the mint stays pending):
#  1. killed while its mint is pending: after the restart the journaled transaction is
#     found mined (broadcast again, same bytes) — one NFT, no second mint;
#  2. killed while pending, and the transaction then lost and its nonce used by another
#     transaction of the wallet: after the restart it is provably never mined, and the
#     engine mints again — still exactly one NFT for that buyer.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
ENGINE_ARGS=(--confirmations 1)
supply() { node -e 'const { JsonRpcProvider, Contract } = require("ethers");
new Contract(process.argv[2], ["function totalSupply() view returns (uint256)"], new JsonRpcProvider(process.argv[1]))
  .totalSupply().then(t => console.log(t.toString()));' "$RPC_URL" "$NFT"; }

# 1.
read -r id _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1) || fail "buy"
rpc evm_setAutomine '[false]' > /dev/null
rpc evm_mine '[]' > /dev/null            # the purchase has its confirmation
eng_engine_start
eng_wait_state "$id" minting 60 || fail "no pending mint"
kill -KILL "$ENGINE_PID"; wait "$ENGINE_PID" 2>/dev/null || true
eng_engine_start
sleep 1
[ "$(eng_state "$id")" = minting ] || fail "state $(eng_state "$id") while the mint is pending"
rpc evm_setAutomine '[true]' > /dev/null
rpc evm_mine '[]' > /dev/null
eng_wait_state "$id" done 60 || fail "resumed mint"
grep -q "subscription $id: the journaled mint transaction was mined" "$T/engine.log" || fail "not resumed from the journal"
[ "$(supply)" = 1 ] || fail "totalSupply $(supply)"
node "$BUYER" check "$RPC_URL" "$NFT" 0 1 > /dev/null || fail "buyer 1's NFT"
ok "killed with its mint pending: the journaled transaction was found mined after the restart; one NFT"

# 2.
read -r id _ _ < <(node "$BUYER" buy "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 2) || fail "buy 2"
rpc evm_setAutomine '[false]' > /dev/null
rpc evm_mine '[]' > /dev/null
eng_wait_state "$id" minting 60 || fail "no pending mint (2)"
kill -KILL "$ENGINE_PID"; wait "$ENGINE_PID" 2>/dev/null || true
nonce=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1])); console.log(j.mint.nonce)' "$ESTATE/subs/$id.json")
rpc anvil_dropAllTransactions '[]' > /dev/null
rpc anvil_impersonateAccount "[\"$ADDR\"]" > /dev/null
rpc eth_sendTransaction "[{\"from\":\"$ADDR\",\"to\":\"$ADDR\",\"value\":\"0x0\",\"nonce\":\"$(printf '0x%x' "$nonce")\"}]" > /dev/null
rpc anvil_stopImpersonatingAccount "[\"$ADDR\"]" > /dev/null
rpc evm_setAutomine '[true]' > /dev/null
rpc evm_mine '[]' > /dev/null
eng_engine_start
eng_wait_state "$id" done 60 || fail "re-mint"
grep -q "subscription $id: mint: nonce $nonce was used by another transaction: never mined; minting again" "$T/engine.log" ||
	fail "no never-mined decision: $(grep "subscription $id" "$T/engine.log" | tail -3)"
[ "$(supply)" = 2 ] || fail "totalSupply $(supply)"
node "$BUYER" check "$RPC_URL" "$NFT" 1 2 > /dev/null || fail "buyer 2's NFT"
eng_engine_stop || true
ok "killed with its mint pending, the transaction lost and nonce $nonce taken: proven never mined, minted again; one NFT"
