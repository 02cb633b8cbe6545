#!/usr/bin/env bash
# Proofs against a real node (issue 13): for every block of anvil chains with mixed
# transaction types, our block hash (eth/header.c) equals anvil's and our receipts trie
# root (eth/receipt.c + eth/trie.c) equals the header's receiptsRoot, from
# eth_getBlockReceipts and from per-transaction eth_getTransactionReceipt alike.
#   - one chain per header field set: london, shanghai, cancun, prague (requestsHash);
#   - transactions signed by ethers (tests/js/proof-anvil.js): legacy, EIP-2930, EIP-1559
#     (1-byte data < 0x80 and >= 0x80, empty data, 3000 bytes), a reverted call (status
#     0), a plain transfer (no logs), EIP-4844 with one blob (cancun, prague; the zero
#     blob, whose KZG commitment and proof are the point at infinity), EIP-7702 with an
#     authorization (prague), an empty
#     block and a block of 150 transactions (trie keys RLP(i) of one and two bytes);
#   - transactionsRoot recomputed from eth_getBlockByNumber(n, true) (every type re-encoded,
#     each hash checked) equals ethers' root of the raw transactions, which is the header's
#     (bh_transactions_root); anvil alone puts a blob transaction's sidecar into its header's
#     root, so for that block ethers' root of the consensus form (sidecar dropped) is the
#     expectation, and the header is checked to be ethers' root of the served form;
#   - every log of eth_getLogs proves (bh_proof_check_log) and every transaction's success
#     proves or, for the reverted one, is refused (bh_proof_check_tx);
#   - lies refused: a log's data altered (in the log, and in the log and its receipt), a
#     forged topic, a log hidden from its receipt, a different agreed hash, a header with a
#     fake receiptsRoot, a flipped status, a wrong logIndex, receipts out of order, one
#     receipt missing, a receipt relabelled as another transaction's (with a full block).
source "$(dirname "$0")/../lib.sh"

TOOL="$BUILD/helpers/proof_tool"
[ -x "$TOOL" ] || fail "proof_tool not built ($TOOL)"
command -v node >/dev/null || skip "node missing"
[ -x "$ANVIL_BIN" ] || skip "anvil missing: run 'make deps'"

check() {  # check DUMP MODE TOOLMODE
	node "$JS/proof-check.js" inputs "$1" "$2" > "$T/in.json" || fail "inputs $2"
	"$TOOL" "$3" < "$T/in.json" > "$T/out.json" || fail "proof_tool $3 failed"
	node "$JS/proof-check.js" verify "$1" "$2" "$T/out.json" || fail "$(basename "$1") $2"
}

for fork in london shanghai cancun prague; do
	start_anvil --hardfork "$fork"
	node "$JS/proof-anvil.js" "$RPC_URL" mixed "$fork" > "$T/$fork.json" ||
		fail "could not build the $fork chain"
	kill "$ANVIL_PID"; wait "$ANVIL_PID" 2>/dev/null || true
	n=$(check "$T/$fork.json" blocks blocks) || exit 1
	ok "$fork: block hash and receiptsRoot equal anvil's for every block ($n)"
	n=$(check "$T/$fork.json" txroots txroot) || exit 1
	ok "$fork: transactionsRoot from the full transaction objects equals ethers' ($n)"
	n=$(check "$T/$fork.json" logs check-log) || exit 1
	ok "$fork: every log of eth_getLogs proves against its block hash ($n)"
	n=$(check "$T/$fork.json" txs check-tx) || exit 1
	ok "$fork: every transaction's success proves, the reverted one is refused ($n)"
	n=$(check "$T/$fork.json" lies check-log) || exit 1
	ok "$fork: forged, altered, hidden and misplaced logs and fake headers refused ($n)"
done
# the field sets really differ: the london header has baseFeePerGas only, prague all six
node -e '
const f=(x)=>JSON.parse(require("fs").readFileSync(process.argv[1]+"/"+x+".json"))[0].block;
const l=f("london"),s=f("shanghai"),c=f("cancun"),p=f("prague");
if(l.withdrawalsRoot||!s.withdrawalsRoot||s.parentBeaconBlockRoot||!c.parentBeaconBlockRoot||
   c.requestsHash||!p.requestsHash) { console.error("unexpected header field sets"); process.exit(1); }
const t=JSON.parse(require("fs").readFileSync(process.argv[1]+"/prague.json")).flatMap(d=>d.receipts.map(r=>r.type));
for (const x of ["0x0","0x1","0x2","0x3","0x4"]) if(!t.includes(x)) { console.error("no receipt of type "+x); process.exit(1); }
' "$T" || fail "the chains do not have the expected forks or types"
ok "field sets: london (baseFeePerGas) .. prague (requestsHash); receipt types 0 to 4"
