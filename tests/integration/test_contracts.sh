#!/usr/bin/env bash
# BlockHost's contracts (contracts/*.sol, built by `make contracts` with the pinned solcjs):
#   1. the build is reproducible: two builds from the same sources give identical artifacts;
#   2. every upstream selector, event topic0, indexed layout and custom error
#      (tests/contracts/upstream-abi.tsv, from upstream.md §6) is in the compiled ABI;
#   3. on a real anvil, driven by ethers: purchase, events, pricing, renewal of a deactivated
#      plan, cancellation, custom errors, NFT mint (also to a contract wallet) and transfer.
source "$(dirname "$0")/../lib.sh"

command -v node >/dev/null || skip "node missing"
[ -d "$JS/node_modules/solc" ] || skip "solc missing: run 'make deps'"
[ -x "$ANVIL_BIN" ] || skip "anvil missing: run 'make deps'"

ART="$BUILD/contracts"
[ -f "$ART/BlockhostSubscriptions.json" ] || fail "contracts not built ($ART): make contracts"

node "$TOP/contracts/build.js" "$T/again" > /dev/null || fail "second build failed"
for f in "$ART"/*.json; do
	cmp -s "$f" "$T/again/$(basename "$f")" || fail "build not reproducible: $(basename "$f") differs"
done
ok "reproducible build ($(ls "$ART"/*.json | wc -l) artifacts identical)"

node "$JS/contracts-check.js" "$ART" "$TOP/tests/contracts/upstream-abi.tsv" || fail "ABI differs from upstream"
ok "ABI matches upstream's interface table"

node "$TOP/tests/contracts/compile.js" "$TOP/tests/contracts/MockPair.sol" MockPair cancun > "$T/MockPair.json" ||
	fail "MockPair did not compile"
start_anvil
node "$JS/contracts-flow.js" "$RPC_URL" "$ART" "$T/MockPair.json" || fail "contract flow on anvil"
ok "contract flow on anvil (ethers)"
