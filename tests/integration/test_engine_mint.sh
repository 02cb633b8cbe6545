#!/usr/bin/env bash
# blockhost-mint-nft (upstream CLI contract) against anvil with the real keystore: prints
# "BLOCKHOST_RESULT: <id>" with the id from the receipt's CredentialMinted log (checked
# with ethers: ownerOf, getUserEncrypted); concurrent mints each report their own token;
# --dry-run sends nothing; a revert is reported with its decoded custom error.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$MINT" ] || fail "$MINT not built"
eng_start
eng_deploy
M=("$MINT" --rpc-url "$RPC_URL" --nft "$NFT" --artifacts "$ARTIFACTS" --keystore-socket "$KS_SOCK")
B1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
B2=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC

out=$("${M[@]}" --owner-wallet "$B1" --user-encrypted 0xdeadbeef) || fail "mint"
[ "$out" = "BLOCKHOST_RESULT: 0" ] || fail "mint printed '$out'"
check() { # id owner data
	node -e '
const { JsonRpcProvider, Contract } = require("ethers");
const [url, nft, id, owner, data] = process.argv.slice(1);
const c = new Contract(nft, ["function ownerOf(uint256) view returns (address)", "function getUserEncrypted(uint256) view returns (bytes)"], new JsonRpcProvider(url));
(async () => {
  const o = await c.ownerOf(id), d = await c.getUserEncrypted(id);
  if (o !== owner || d !== data) throw new Error(`token ${id}: owner ${o} data ${d}`);
})().catch(e => { console.error(e.message); process.exit(1); });' "$RPC_URL" "$NFT" "$@"
}
check 0 "$B1" 0xdeadbeef || fail "token 0"
ok "mint: BLOCKHOST_RESULT: 0; ethers: ownerOf(0) = buyer, getUserEncrypted(0) = the bytes given"

n0=$(eng_nonce "$ADDR")
"${M[@]}" --owner-wallet "$B2" --dry-run 2> "$T/dry" || { cat "$T/dry"; fail "dry run"; }
grep -q "would use about" "$T/dry" || fail "dry run output: $(cat "$T/dry")"
[ "$(eng_nonce "$ADDR")" = "$n0" ] || fail "--dry-run sent a transaction"
ok "--dry-run estimates and sends nothing"

# three at once from three processes: each id is its own receipt's, never totalSupply's
pids=()
for i in 1 2 3; do
	"${M[@]}" --owner-wallet "$B2" --user-encrypted "0x0$i" > "$T/m$i" 2> "$T/m$i.err" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
ids=()
for i in 1 2 3; do
	id=$(sed -n 's/^BLOCKHOST_RESULT: \([0-9]*\)$/\1/p' "$T/m$i")
	[ -n "$id" ] || fail "concurrent mint $i: $(cat "$T/m$i" "$T/m$i.err")"
	check "$id" "$B2" "0x0$i" || fail "concurrent mint $i reported token $id, which is not its own"
	ids+=("$id")
done
[ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" = 3 ] || fail "ids ${ids[*]}"
ok "three concurrent mints: ids ${ids[*]}, each matching its own data in ethers"

ks_expect_fail 1 "ERC721InvalidReceiver(0x0000000000000000000000000000000000000000)" \
	"${M[@]}" --owner-wallet 0x0000000000000000000000000000000000000000
ok "a revert is reported with its decoded custom error (ERC721InvalidReceiver)"
ks_expect_fail 1 "--owner-wallet" "${M[@]}" --owner-wallet 0x1234
ok "a malformed owner wallet is refused before anything is sent"

# a stuck transaction (anvil not mining) is replaced with higher fees; the one mined wins
rpc evm_setAutomine '[false]' > /dev/null
"${M[@]}" --owner-wallet "$B1" --user-encrypted 0x0a --replace-after 1 > "$T/stuck" 2> "$T/stuck.err" &
mp=$!
sleep 3.5
rpc evm_mine '[]' > /dev/null
wait "$mp" || { cat "$T/stuck.err"; fail "stuck mint"; }
rpc evm_setAutomine '[true]' > /dev/null
grep -q "the mint was stuck: replaced [1-9][0-9]* times with higher fees" "$T/stuck.err" || fail "no replacement: $(cat "$T/stuck.err")"
id=$(sed -n 's/^BLOCKHOST_RESULT: \([0-9]*\)$/\1/p' "$T/stuck")
check "$id" "$B1" 0x0a || fail "replaced mint"
ts=$(node -e 'const { JsonRpcProvider, Contract } = require("ethers");
new Contract(process.argv[2], ["function totalSupply() view returns (uint256)"], new JsonRpcProvider(process.argv[1]))
  .totalSupply().then(t => console.log(t.toString()));' "$RPC_URL" "$NFT")
[ "$ts" = $((id + 1)) ] || fail "totalSupply $ts after the replaced mint (token $id): minted twice?"
ok "stuck mint: $(grep -o 'replaced [0-9]* times' "$T/stuck.err") with higher fees, token $id minted once"
