#!/usr/bin/env bash
# make bench-keystore: a swtpm, sealed keys and a policy in a temp tree, then
# bench/bench_keystore (which starts and stops the daemon itself).
# KS_BENCH_BIN=PATH benches another daemon binary (e.g. a saved copy of the previous
# build, for before/after numbers under the same load) with the same setup.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
ks_start_swtpm
ks_setup
"$KS" init > /dev/null 2>&1 || fail "init"
ks_site_policy <<P
[socket]
mode = 0600
allow = uid:$(id -u) address, personal_sign
P
"$BUILD/bench/bench_keystore" "${KS_BENCH_BIN:-$KS}" "$@"
