#!/usr/bin/env bash
# bench-engine-provision (issue 12, "Benchmarks"): parallel provisioning.  20 purchases
# (BENCH_PURCHASES) made while the engine is stopped, a recording provisioner whose create
# takes 2 s (BENCH_PROV_S); then blockhost-engine from a cold start until every purchase is
# done (VM created, NFT minted, GECOS set): with --workers BENCH_WORKERS (default 4, the
# engine's default) vs --workers 1 (one at a time, upstream's one-lock engine).  The chain,
# the purchases and the provisioner are the same for both runs; the journal and vms.json
# start empty each time.  Mints are serialized in both (one signer, one nonce sequence:
# docs/engine.md).  Prints both wall times and the ratio (target <= 0.3x); never asserts.
source "$(dirname "$0")/../tests/lib.sh"
source "$TOP/tests/helpers/engine_lib.sh"
N=${BENCH_PURCHASES:-20}
DELAY=${BENCH_PROV_S:-2}
W=${BENCH_WORKERS:-4}
eng_start
eng_deploy
node "$BUYER" setup "$RPC_URL" "$SUBS" "$STABLE" "$ADDR" || fail "plan set-up"
eng_prov_install
PUB=$(eng_server_pub)
echo "buying $N subscriptions..."
node "$BUYER" burst "$RPC_URL" "$SUBS" "$STABLE" "$PUB" 1 "$N" > /dev/null || fail "burst"
echo "$DELAY" > "$REC/delay"
VMDB=$BLOCKHOST_ROOT/var/lib/blockhost/vms.json
ms() { date +%s%N; }
run_once() {
	rm -rf "$ESTATE"
	rm -f "$VMDB"
	"$BIN/blockhost-vmdb" init > /dev/null || fail "vmdb init"
	: > "$REC/calls.jsonl"
	local t0 t1 i done=0
	t0=$(ms)
	eng_engine_start --confirmations 0 --workers "$1"
	for i in $(seq 3000); do
		done=$({ grep -l '"state": "done"' "$ESTATE"/subs/*.json 2>/dev/null || true; } | wc -l)
		[ "$done" -ge "$N" ] && break
		kill -0 "$ENGINE_PID" 2>/dev/null || { tail "$T/engine.log"; fail "engine died"; }
		sleep 0.05
	done
	t1=$(ms)
	[ "$done" -ge "$N" ] || { tail -n 20 "$T/engine.log"; fail "only $done of $N done with --workers $1"; }
	eng_engine_stop || true
	[ "$(eng_calls create)" = "$N" ] || fail "$(eng_calls create) creates, expected $N"
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
}
run_once "$W"; par=$WALL
run_once 1; one=$WALL
awk -v n="$N" -v d="$DELAY" -v w="$W" -v p="$par" -v o="$one" 'BEGIN {
	printf "parallel provisioning, %d purchases, provisioner create %s s each (cold start to all done):\n", n, d
	printf "  blockhost-engine --workers %d   %6.2f s\n", w, p
	printf "  one at a time (--workers 1)    %6.2f s\n", o
	printf "  ratio parallel/one-at-a-time: %.2fx (target <= 0.3x: %s)\n", p / o, ((p / o <= 0.3) ? "met" : "MISSED") }'
