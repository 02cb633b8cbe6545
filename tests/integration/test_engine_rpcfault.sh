#!/usr/bin/env bash
# RPC faults through a proxy the test runs (tests/helpers/rpc-fault-proxy) between the
# engine and anvil: a provider that caps log ranges (-32005, and HTTP 413) makes the range
# shrink, and it grows back; dropped connections, delays past the timeout, HTTP 429/500,
# truncated and malformed JSON are retried, each with one log line; every purchase made
# meanwhile is handled exactly once.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
[ -x "$ENGINE" ] || fail "$ENGINE not built"
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
PPORT=$(free_port)
FAULT_LOG=$T/faults "$TOP/tests/helpers/rpc-fault-proxy" "$PPORT" "$RPC_URL" & bh_track $!
wait_port "$PPORT" || fail "proxy"
ctl() { curl -s -X POST --data "$1" "http://127.0.0.1:$PPORT/ctl" > /dev/null; }
ANVIL_URL=$RPC_URL

# downtime purchases over many blocks, then a provider capping ranges at 4 blocks
node "$BUYER" burst "$ANVIL_URL" "$SUBS" "$STABLE" "$PUB" 1 3 > /dev/null || fail "buy"
rpc anvil_mine '["0x40"]' > /dev/null
ctl '{"cap": 4}'
RPC_URL="http://127.0.0.1:$PPORT" eng_engine_start --confirmations 1 --chunk 64 --rpc-timeout-ms 1500
for id in 1 2 3; do eng_wait_state $id done 90 || fail "purchase $id behind a capping provider"; done
grep -q "range 64 -> 32 blocks" "$T/engine.log" && grep -q "range 8 -> 4 blocks" "$T/engine.log" ||
	fail "no range shrinking: $(grep range "$T/engine.log" | head)"
ok "provider caps ranges (-32005): $(grep -c 'refused by the provider' "$T/engine.log") refusals, range 64 -> 4 blocks, 3 purchases handled"
ctl '{"cap": null, "cap413": 2}'
rpc anvil_mine '["0x20"]' > /dev/null
sleep 2
grep -q "HTTP 413.*range 4 -> 2 blocks" "$T/engine.log" || fail "413 not treated as a range limit: $(grep -i 413 "$T/engine.log" | head -3)"
ctl '{"cap413": null}'
rpc anvil_mine '["0x80"]' > /dev/null
for i in $(seq 100); do grep -q "range .* -> " "$T/engine.log" && [ "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).chunk)' "$ESTATE/status.json")" -ge 16 ] && break; sleep 0.1; done
chunk=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).chunk)' "$ESTATE/status.json")
[ "$chunk" -ge 16 ] || fail "range did not grow back (chunk $chunk)"
ok "HTTP 413 also shrinks the range; with the cap lifted it grows back (now $chunk blocks)"

n=3
for f in drop delay http429 http500 truncate malformed; do
	: > "$T/faults"
	pat="^blockhost-engine: rpc: retried\|ingest: .*(retrying)\|failed (attempt"
	before=$(grep -c "$pat" "$T/engine.log" || true)
	# libcurl itself re-sends once on a reused connection that closes without a reply:
	# two drops in a row reach our retry logic
	k=1; [ "$f" = drop ] && k=2
	ctl "{\"fault\": \"$f\", \"n\": $k}"
	n=$((n + 1))
	node "$BUYER" buy "$ANVIL_URL" "$SUBS" "$STABLE" "$PUB" $n > /dev/null || fail "buy $n"
	rpc anvil_mine '["0x2"]' > /dev/null
	eng_wait_state $n done 60 || fail "purchase $n with fault $f"
	grep -q "^$f" "$T/faults" || fail "fault $f not injected"
	after=$(grep -c "$pat" "$T/engine.log" || true)
	[ "$after" -gt "$before" ] || { cat "$T/faults"; tail -20 "$T/engine.log"; fail "no log line for fault $f"; }
	ok "fault $f: $(grep "$pat" "$T/engine.log" | sed -n "$((before + 1))p" | cut -c19-140), purchase $n handled"
done
for id in $(seq 1 $n); do
	c=$(eng_calls create "$(printf 'blockhost-%03d' "$id")" created)
	[ "$c" = 1 ] || fail "subscription $id: $c VMs"
done
node -e 'const { JsonRpcProvider, Contract } = require("ethers");
new Contract(process.argv[2], ["function totalSupply() view returns (uint256)"], new JsonRpcProvider(process.argv[1]))
  .totalSupply().then(t => { if (t !== BigInt(process.argv[3])) { console.error("totalSupply", t); process.exit(1); } });' \
	"$ANVIL_URL" "$NFT" "$n" || fail "NFT count"
eng_engine_stop || true
ok "nothing lost, nothing doubled: $n purchases, $n VMs, $n NFTs"
