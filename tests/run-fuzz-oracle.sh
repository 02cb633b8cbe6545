#!/usr/bin/env bash
# Differential oracles over the fuzz corpora (part of make fuzz-replay, so of make check):
# fuzz/corpus/rlp through our decoder (<BUILD>/fuzz/oracle_rlp) and ethers' decodeRlp
# (tests/js/oracle-rlp.js); accept/reject and the decoded tree must agree.  Skipped, with
# a SKIP line, when node or tests/js/node_modules/ethers is missing.
set -u
BUILD=$1
res="$BUILD/results"; mkdir -p "$res"
if ! command -v node > /dev/null || [ ! -e tests/js/node_modules/ethers ]; then
	echo "SKIP fuzz/oracle-rlp (node or tests/js/node_modules/ethers missing)" | tee -a "$res/fuzz"; exit 0
fi
log="$res/fuzz_oracle-rlp.log"
if timeout 60 "$BUILD/fuzz/oracle_rlp" fuzz/corpus/rlp/* | timeout 60 node tests/js/oracle-rlp.js > "$log" 2>&1; then
	echo "PASS fuzz/oracle-rlp ($(tail -n 1 "$log"))" | tee -a "$res/fuzz"
else
	echo "FAIL fuzz/oracle-rlp (log: $log)" | tee -a "$res/fuzz"; tail -n 20 "$log" | sed 's/^/    /'; exit 1
fi
