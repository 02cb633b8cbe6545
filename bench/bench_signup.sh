#!/usr/bin/env bash
# bench-signup (issue 15, "Benchmark"): the read-only relay's requests/s and the server's
# RSS.  blockhost-signup (TLS key in a keystore on swtpm, its seccomp filter, relaying to
# anvil) vs. the same eth_blockNumber calls straight to anvil over plain HTTP (the named
# peer: what the page would do with the provider URL in it), both with BENCH_CONC keep-alive
# node clients for BENCH_SECS seconds.  Prints both rates, the ratio, and the server's RSS
# (VmRSS and peak VmHWM; target <= 8 MiB).  Never asserts.  Needs root (the keystore and the
# server run as other users).
source "$(dirname "$0")/../tests/lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
source "$TOP/tests/helpers/signup_lib.sh"
SECS=${BENCH_SECS:-5}
CONC=${BENCH_CONC:-8}
su_setup
su_config "$SU_DIR/signup.json" '"relay": { "requests_per_minute": 100000, "burst": 100000 }'
su_start
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$SU_PID/status")
read -r sn ss < <(node "$TOP/bench/peer-signup-load.js" "$SU_URL/rpc" "$SECS" "$CONC" "$SU_DIR/ca.pem") || fail "load through the relay"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$SU_PID/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SU_PID/status")
anon=$(awk '/RssAnon/ {print $2}' "/proc/$SU_PID/status")
file=$(awk '/RssFile/ {print $2}' "/proc/$SU_PID/status")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$SU_PID/smaps_rollup")
read -r an as < <(node "$TOP/bench/peer-signup-load.js" "$RPC_URL" "$SECS" "$CONC") || fail "load straight to anvil"
awk -v sn="$sn" -v ss="$ss" -v an="$an" -v as="$as" -v c="$CONC" -v r0="$rss0" -v r="$rss" -v h="$hwm" -v an_="$anon" -v fi="$file" -v pss="$pss" 'BEGIN {
	sr = sn / ss; ar = an / as
	printf "relay, eth_blockNumber, %d keep-alive clients:\n", c
	printf "  blockhost-signup (HTTPS, TLS key in the keystore) -> anvil  %8.0f req/s (%d in %.2f s)\n", sr, sn, ss
	printf "  straight to anvil (HTTP, the peer)                        %8.0f req/s (%d in %.2f s)\n", ar, an, as
	printf "  ratio relay/direct: %.2fx\n", sr / ar
	printf "  server RSS: %d KiB idle, %d KiB after the run, peak %d KiB (target <= 8192 KiB)\n", r0, r, h
	printf "    of which private (RssAnon) %d KiB, shared library pages (RssFile) %d KiB; PSS %d KiB\n", an_, fi, pss
}'
