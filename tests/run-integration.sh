#!/usr/bin/env bash
# Run integration scenarios (tests/integration/test_*.sh).  Each starts the real
# components it needs (anvil, swtpm, sshd, libvirt, ...) and stops them by PID.
# Exit 0 = pass, 77 = skipped (the reason is printed and counted), else fail.
set -u
BUILD=${BUILD:-build}
export BUILD
res="$BUILD/results"; mkdir -p "$res"; : > "$res/integration"
fail=0
for t in "$@"; do
	name=$(basename "$t" .sh)
	log="$res/$name.log"
	start=$(date +%s)
	timeout --kill-after=10 "${INTEGRATION_TIMEOUT:-900}" bash "$t" > "$log" 2>&1; rc=$?
	dur=$(( $(date +%s) - start ))
	case $rc in
	0)  echo "PASS integration/$name (${dur}s)" | tee -a "$res/integration" ;;
	77) echo "SKIP integration/$name: $(tail -n 1 "$log")" | tee -a "$res/integration" ;;
	*)  echo "FAIL integration/$name rc=$rc (log: $log)" | tee -a "$res/integration"
	    tail -n 40 "$log" | sed 's/^/    /'; fail=1 ;;
	esac
done
exit $fail
