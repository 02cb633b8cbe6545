#!/usr/bin/env bash
# blockhost-deploy-contracts against anvil with the real keystore on swtpm: refused while
# the deployment gate is shut (with the keystore's reason), deploys all three contracts
# when open (checked independently with ethers: name, symbol, owner, code hash), and is
# idempotent: a re-run finds them through its state file, and with the state file lost
# through the code hash at the wallet's own CREATE addresses; neither sends anything.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$DEPLOY" ] || fail "$DEPLOY not built"
eng_start
STATE=$BLOCKHOST_ROOT/var/lib/blockhost/contracts.json
D=("$DEPLOY" --rpc-url "$RPC_URL" --artifacts "$ARTIFACTS" --keystore-socket "$KS_SOCK")

ks_expect_fail 1 "allow_deploy = yes and the finalization flag" "${D[@]}"
[ "$(eng_nonce "$ADDR")" = 0 ] || fail "a refused deployment sent something"
[ ! -e "$STATE" ] || fail "state written for a refused deployment"
ok "deployment refused while the keystore's gate is shut, naming the gate"

eng_gate_open
"${D[@]}" --test-stablecoin --json > "$T/out.json" 2> "$T/err" || { cat "$T/err"; fail "deploy"; }
node -e '
const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
const [nft, subs, st, addr] = process.argv.slice(2);
const c = j.contracts;
if (j.chain_id !== 31337 || j.deployer !== addr) throw new Error("header " + JSON.stringify(j));
for (const [n, a] of [["AccessCredentialNFT", nft], ["BlockhostSubscriptions", subs], ["TestStablecoin", st]])
  if (c[n].address !== a || c[n].status !== "deployed" || !/^0x[0-9a-f]{64}$/.test(c[n].tx))
    throw new Error(n + " " + JSON.stringify(c[n]));
' "$T/out.json" "$NFT" "$SUBS" "$STABLE" "$ADDR" || fail "--json output: $(cat "$T/out.json")"
[ "$(eng_nonce "$ADDR")" = 3 ] || fail "expected 3 transactions"
node -e '
const { JsonRpcProvider, Contract, keccak256 } = require("ethers");
const [url, nft, subs, addr, dir] = process.argv.slice(1);
const p = new JsonRpcProvider(url);
(async () => {
  const n = new Contract(nft, ["function name() view returns (string)", "function symbol() view returns (string)", "function owner() view returns (address)"], p);
  const s = new Contract(subs, ["function owner() view returns (address)", "function nextPlanId() view returns (uint256)"], p);
  if (await n.name() !== "BlockhostAccess" || await n.symbol() !== "BHA") throw new Error("name/symbol");
  if (await n.owner() !== addr || await s.owner() !== addr) throw new Error("owner");
  if (await s.nextPlanId() !== 1n) throw new Error("nextPlanId");
  const art = JSON.parse(require("fs").readFileSync(dir + "/AccessCredentialNFT.json"));
  if (keccak256(await p.getCode(nft)) !== art.codeHash) throw new Error("code hash");
})().catch(e => { console.error(e.message); process.exit(1); });
' "$RPC_URL" "$NFT" "$SUBS" "$ADDR" "$ARTIFACTS" || fail "ethers disagrees with the deployment"
ok "deployed NFT, subscriptions and test stablecoin; ethers reads BlockhostAccess/BHA, owner = keystore wallet"

"${D[@]}" --test-stablecoin --json > "$T/out2.json" 2> "$T/err" || { cat "$T/err"; fail "re-run"; }
grep -q '"status":"deployed"\|"status":"found"' "$T/out2.json" && fail "re-run deployed: $(cat "$T/out2.json")"
[ "$(grep -o '"status":"recorded"' "$T/out2.json" | wc -l)" = 3 ] || fail "re-run: $(cat "$T/out2.json")"
[ "$(eng_nonce "$ADDR")" = 3 ] || fail "the re-run sent a transaction"
ok "re-run: all three recorded in the state file and verified by code hash, nothing sent"

rm "$STATE"
out=$("${D[@]}" --test-stablecoin --json) || fail "re-run without state"
[ "$(grep -o '"status":"found"' <<<"$out" | wc -l)" = 3 ] || fail "lost state: $out"
[ "$(eng_nonce "$ADDR")" = 3 ] || fail "the re-run without state sent a transaction"
[ -f "$STATE" ] || fail "state not rewritten"
ok "state file lost: all three found by code hash at the wallet's CREATE addresses, nothing sent"

out=$("${D[@]}") || fail "plain output"
[ "$out" = "$NFT"$'\n'"$SUBS" ] || fail "plain output: $out"
ok "without flags: NFT then subscriptions, one address per line (upstream)"
eng_gate_close
