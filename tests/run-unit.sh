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
		# cmocka skip(): the binary passes, but say what did not run and why
		if grep -q '^\[  SKIPPED \]' "$log"; then
			n=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | head -n 1)
			echo "SKIP unit/$name: ${n:-some} test(s) skipped ($(grep -m1 -i 'skip' "$log" | head -c 120))" |
				tee -a "$res/unit"
		fi
	else
		echo "FAIL unit/$name (log: $log)" | tee -a "$res/unit"
		sed 's/^/    /' "$log" | tail -n 40
		fail=1
	fi
done
exit $fail
