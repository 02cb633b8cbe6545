#!/usr/bin/env bash
# Differential oracles over the fuzz corpora (part of make fuzz-replay, so of make check):
# fuzz/corpus/<name> through our code (<BUILD>/fuzz/oracle_<name>) and through ethers
# (tests/js/oracle-<name>.js): rlp (decodeRlp: accept/reject and the tree), abi (AbiCoder:
# decoded values, encodings of the JSON values), tx (Transaction.from: fields, hash,
# sender).  Skipped, with a SKIP line, when node or tests/js/node_modules/ethers is missing.
# Then the PAM config corpus against python3's tomllib (fuzz/oracle-toml.py).
set -u
BUILD=$1
res="$BUILD/results"; mkdir -p "$res"
fail=0
if ! command -v node > /dev/null || [ ! -e tests/js/node_modules/ethers ]; then
	echo "SKIP fuzz/oracle-rlp,abi,tx (node or tests/js/node_modules/ethers missing)" | tee -a "$res/fuzz"
else
	for n in rlp abi tx; do
		log="$res/fuzz_oracle-$n.log"
		if timeout 60 "$BUILD/fuzz/oracle_$n" fuzz/corpus/$n/* | timeout 60 node tests/js/oracle-$n.js > "$log" 2>&1; then
			echo "PASS fuzz/oracle-$n ($(tail -n 1 "$log"))" | tee -a "$res/fuzz"
		else
			echo "FAIL fuzz/oracle-$n (log: $log)" | tee -a "$res/fuzz"; tail -n 20 "$log" | sed 's/^/    /'; fail=1
		fi
	done
fi
log="$res/fuzz_oracle-toml.log"
if ! python3 -c 'import tomllib' 2> /dev/null; then
	echo "SKIP fuzz/oracle-toml (python3 without tomllib: 3.11 or later needed)" | tee -a "$res/fuzz"
elif timeout 60 "$BUILD/fuzz/oracle_pam_config" fuzz/corpus/pam_config/* | timeout 60 python3 fuzz/oracle-toml.py > "$log" 2>&1; then
	echo "PASS fuzz/oracle-toml ($(tail -n 1 "$log"))" | tee -a "$res/fuzz"
else
	echo "FAIL fuzz/oracle-toml (log: $log)" | tee -a "$res/fuzz"; tail -n 20 "$log" | sed 's/^/    /'; fail=1
fi
exit $fail
