#!/usr/bin/env bash
# bench-engine-catchup (issue 12, "Benchmarks"): catch-up after downtime.  10,000
# SubscriptionCreated logs over 5,000 anvil blocks (BENCH_BLOCKS, BENCH_PER_BLOCK), then
# cold start of blockhost-engine (empty state, --start-block 0, --confirmations 0, the
# recording provisioner: the empty payloads are refused without a provisioner call) until
# every log is journaled as a work item, vs. an ethers v6 loop and a viem loop doing the
# same eth_getLogs (same topics, same chunk) + decode.  Prints the rates and the ratios
# (the issue's target: >= 3x viem) and the engine's peak RSS (target <= 8 MiB); never
# asserts.  anvil runs with --prune-history (the engine reads blocks, logs and receipts,
# never old state; without it anvil 1.7 keeps every block's state in memory and slows to a
# crawl past ~3,000 blocks).
source "$(dirname "$0")/../tests/lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
BLOCKS=${BENCH_BLOCKS:-5000}
PER=${BENCH_PER_BLOCK:-2}
CHUNK=${BENCH_CHUNK:-2000}
N=$((BLOCKS * PER))
eng_start --prune-history 64
eng_prov_install
echo "seeding $N logs over $BLOCKS blocks..."
EMIT=$(node "$TOP/bench/peer-ethers-catchup.js" seed "$RPC_URL" "$BLOCKS" "$PER") || fail "seed"
read -r pn ps < <(node "$TOP/bench/peer-ethers-catchup.js" peer "$RPC_URL" "$EMIT" "$CHUNK") || fail "peer"
[ "$pn" = "$N" ] || fail "ethers decoded $pn logs, expected $N"
read -r vn vs < <(node "$TOP/bench/peer-viem-catchup.js" peer "$RPC_URL" "$EMIT" "$CHUNK") || fail "viem peer"
[ "$vn" = "$N" ] || fail "viem decoded $vn logs, expected $N"
ms() { date +%s%N; }
# engine_run CHUNK STATE_DIR: a cold start until subscription N (the last log) is journaled;
# the records of a range are renamed into place in log order after its one barrier, and the
# ranges in order, so N.json appearing means all N are durable.  Sets ES (s) and RSS (KiB).
engine_run() {
	local t0 t1 deadline
	rm -rf "$2"
	t0=$(ms)
	${BENCH_WRAP:-} "$ENGINE" run --rpc-url "$RPC_URL" --subscriptions "$EMIT" \
		--nft 0x0000000000000000000000000000000000000001 --keystore-socket "$KS_SOCK" \
		--provisioner-manifest "$REC/provisioner.json" --poll-ms 50 --confirmations 0 --start-block 0 \
		--chunk "$1" --workers 1 --state-dir "$2" > "$T/engine.log" 2>&1 &
	ENGINE_PID=$!; bh_track "$ENGINE_PID"
	deadline=$(( $(date +%s) + ${BENCH_TIMEOUT:-600} ))
	ANON=0
	until [ -e "$2/subs/$N.json" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$T/engine.log"; fail "not all $N journaled"; }
		kill -0 "$ENGINE_PID" 2>/dev/null || { tail "$T/engine.log"; fail "engine died"; }
		# the private part (heap, stacks) sampled; VmHWM below also counts the shared
		# libraries' pages (libcrypto, libcurl...: about 9 MiB of the idle engine's 10.6)
		a=$(awk '/RssAnon/ {print $2}' "/proc/$ENGINE_PID/status" 2>/dev/null || echo 0)
		[ "${a:-0}" -gt "$ANON" ] && ANON=$a
		sleep 0.01
	done
	t1=$(ms)
	RSS=$(awk '/VmHWM/ {print $2}' "/proc/$ENGINE_PID/status")
	kill -TERM "$ENGINE_PID"; wait "$ENGINE_PID" 2>/dev/null || true
	n=$(find "$2/subs" -maxdepth 1 -name '[0-9]*.json' | wc -l)
	[ "$n" = "$N" ] || fail "$n records journaled, expected $N"
	ES=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}
engine_run "$CHUNK" "$ESTATE"; es=$ES rss=$RSS anon=$ANON
SMALL=${BENCH_SMALL_CHUNK:-250}
engine_run "$SMALL" "$T/engine-small"; es2=$ES rss2=$RSS
awk -v n="$N" -v es="$es" -v ps="$ps" -v vs="$vs" -v rss="$rss" -v c="$CHUNK" -v es2="$es2" -v rss2="$rss2" -v c2="$SMALL" -v anon="$anon" 'BEGIN {
	printf "catch-up, %d logs, chunk %d blocks:\n", n, c
	printf "  blockhost-engine  %8.0f logs/s (%.2f s, cold start to all journaled; peak RSS %d KiB)\n", n / es, es, rss
	printf "  ethers v6 loop    %8.0f logs/s (%.2f s, getLogs + parseLog only, nothing written)\n", n / ps, ps
	printf "  viem loop         %8.0f logs/s (%.2f s, getLogs with events (decoded), nothing written)\n", n / vs, vs
	printf "  ratio engine/ethers: %.2fx\n", ps / es
	printf "  ratio engine/viem:   %.2fx (target >= 3x: %s)\n", vs / es, ((vs / es >= 3) ? "met" : "MISSED")
	printf "  engine peak RSS:     %.1f MiB (target <= 8 MiB: %s); private (RssAnon, sampled) %.1f MiB\n", rss / 1024, ((rss <= 8192) ? "met" : "MISSED"), anon / 1024
	printf "  (the same engine with --chunk %d: %.2f s, peak RSS %.1f MiB: the share of one eth_getLogs response)\n", c2, es2, rss2 / 1024 }'
