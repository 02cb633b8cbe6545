#!/usr/bin/env bash
# Run cmocka unit-test binaries; record pass/fail per binary in $BUILD/results/unit.
set -u
BUILD=${BUILD:-build}
res="$BUILD/results"; mkdir -p "$res"; : > "$res/unit"
fail=0
for t in "$@"; do
	name=$(basename "$t")
	log="$res/$name.log"
	if timeout --kill-after=10 "${UNIT_TIMEOUT:-600}" "$t" > "$log" 2>&1; then
		echo "PASS unit/$name" | tee -a "$res/unit"
	else
		echo "FAIL unit/$name (log: $log)" | tee -a "$res/unit"
		sed 's/^/    /' "$log" | tail -n 40
		fail=1
	fi
done
exit $fail
