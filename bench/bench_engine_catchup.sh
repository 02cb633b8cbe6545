#!/usr/bin/env bash
# bench-engine-catchup (issue 12, "Benchmarks"): catch-up after downtime.  10,000
# SubscriptionCreated logs over 5,000 anvil blocks (BENCH_BLOCKS, BENCH_PER_BLOCK), then
# cold start of blockhost-engine (empty state, --start-block 0, --confirmations 0, the
# recording provisioner: the empty payloads are refused without a provisioner call) until
# every log is journaled as a work item, vs. an ethers v6 loop doing the same eth_getLogs
# (same topics, same chunk) + decode.  Prints both rates and the ratio; never asserts.
source "$(dirname "$0")/../tests/lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
BLOCKS=${BENCH_BLOCKS:-5000}
PER=${BENCH_PER_BLOCK:-2}
CHUNK=${BENCH_CHUNK:-2000}
N=$((BLOCKS * PER))
eng_start
eng_prov_install
echo "seeding $N logs over $BLOCKS blocks..."
EMIT=$(node "$TOP/bench/peer-ethers-catchup.js" seed "$RPC_URL" "$BLOCKS" "$PER") || fail "seed"
read -r pn ps < <(node "$TOP/bench/peer-ethers-catchup.js" peer "$RPC_URL" "$EMIT" "$CHUNK") || fail "peer"
[ "$pn" = "$N" ] || fail "ethers decoded $pn logs, expected $N"
ms() { date +%s%N; }
t0=$(ms)
"$ENGINE" run --rpc-url "$RPC_URL" --subscriptions "$EMIT" --nft 0x0000000000000000000000000000000000000001 --keystore-socket "$KS_SOCK" \
	--provisioner-manifest "$REC/provisioner.json" --poll-ms 50 --confirmations 0 --start-block 0 \
	--chunk "$CHUNK" --workers 1 > "$T/engine.log" 2>&1 &
ENGINE_PID=$!; bh_track "$ENGINE_PID"
deadline=$(( $(date +%s) + ${BENCH_TIMEOUT:-600} ))
while :; do
	[ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$T/engine.log"; cat "$ESTATE/status.json"; ls "$ESTATE" "$ESTATE/subs" | head; fail "only $n of $N journaled"; }
	n=$({ find "$ESTATE/subs" -maxdepth 1 -name '*.json' 2>/dev/null || true; } | wc -l)
	[ "$n" -ge "$N" ] && break
	kill -0 "$ENGINE_PID" 2>/dev/null || { tail "$T/engine.log"; fail "engine died"; }
	sleep 0.02
done
t1=$(ms)
rss=$(awk '/VmHWM/ {print $2}' "/proc/$ENGINE_PID/status")
kill -TERM "$ENGINE_PID"; wait "$ENGINE_PID" 2>/dev/null || true
es=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
awk -v n="$N" -v es="$es" -v ps="$ps" -v rss="$rss" -v c="$CHUNK" 'BEGIN {
	printf "catch-up, %d logs, chunk %d blocks:\n", n, c
	printf "  blockhost-engine  %8.0f logs/s (%.2f s, cold start to all journaled; peak RSS %d KiB)\n", n / es, es, rss
	printf "  ethers v6 loop    %8.0f logs/s (%.2f s, getLogs + parseLog only, nothing written)\n", n / ps, ps
	printf "  ratio engine/ethers: %.2fx\n", ps / es }'
