#!/usr/bin/env bash
# Replay every fuzz target's corpus (fuzz/corpus/<name>/) through the standalone
# driver; a crash, sanitizer report or non-zero exit fails the run.
set -u
BUILD=$1; shift
res="$BUILD/results"; mkdir -p "$res"; : > "$res/fuzz"
fail=0
for n in "$@"; do
	dir="fuzz/corpus/$n"
	if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir" 2>/dev/null)" ]; then
		echo "FAIL fuzz/$n: no seed corpus in $dir" | tee -a "$res/fuzz"; fail=1; continue
	fi
	log="$res/fuzz_$n.log"
	if timeout --kill-after=10 300 "$BUILD/fuzz/replay_$n" "$dir"/* > "$log" 2>&1; then
		echo "PASS fuzz/$n ($(ls "$dir" | wc -l) inputs)" | tee -a "$res/fuzz"
	else
		echo "FAIL fuzz/$n (log: $log)" | tee -a "$res/fuzz"; tail -n 30 "$log" | sed 's/^/    /'; fail=1
	fi
done
exit $fail
