#!/usr/bin/env bash
# make fuzz-long (docs/fuzzing.md): run each libFuzzer target (ASan+UBSan) until it has
# done RUNS executions or SECS seconds, whichever comes first, starting from
# fuzz/corpus/<name>/ plus the inputs found by earlier runs (<FB>/corpus-long/<name>/);
# then merge back into fuzz/corpus/<name>/ only the inputs that add coverage
# (libFuzzer -set_cover_merge=1, else -merge=1: the checked-in seeds stay, the corpus
# stays minimal), and print a
# table: executions, exec/s, coverage (edges, features), corpus before/after, result.
#
#   tests/run-fuzz-long.sh FUZZ_BUILD RUNS SECS MAX_LEN NAME...
# A crash, leak, sanitizer report, timeout or OOM fails the target (artifact in
# <FB>/long-crash-<name>-*); the others still run.  FUZZ_LONG_MERGE=0 leaves fuzz/corpus/
# untouched.  The table also goes to <FB>/fuzz-long-summary.txt.
set -u
FB=$1; RUNS=$2; SECS=$3; MAXLEN=$4; shift 4
MERGE=${FUZZ_LONG_MERGE:-1}
sum="$FB/fuzz-long-summary.txt"
fail=0
rows=()
# per-target -max_len: the larger of MAX_LEN and fuzz/max_len.tsv's value (the parser's cap)
max_len() { local v; v=$(awk -v n="$1" '$1 == n { print $2 }' fuzz/max_len.tsv 2>/dev/null)
	[ -n "$v" ] && [ "$v" -gt "$2" ] && echo "$v" || echo "$2"; }
for n in "$@"; do
	bin="$FB/fuzz_$n"; seeds="fuzz/corpus/$n"; work="$FB/corpus-long/$n"
	log="$FB/fuzz-long_$n.log"
	mkdir -p "$work" "$seeds"
	before=$(ls "$seeds" | wc -l)
	ml=$(max_len "$n" "$MAXLEN")
	dict=(); [ -f "fuzz/$n.dict" ] && dict=(-dict="fuzz/$n.dict")
	echo "== fuzz-long $n: up to $RUNS executions or ${SECS}s (max_len $ml)"
	start=$(date +%s)
	# work first: new inputs are written there, never into the checked-in seeds
	"$bin" "${dict[@]}" -runs="$RUNS" -max_total_time="$SECS" -max_len="$ml" \
		-timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$FB/long-crash-$n-" "$work" "$seeds" > "$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	# the last status line: "#N  DONE|pulse|NEW  cov: C ft: F corp: ..."
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	edges=$(echo "$cov" | awk '{print $2}'); ft=$(echo "$cov" | awk '{print $4}')
	res=ok
	if [ $rc -ne 0 ]; then
		res="FAIL rc=$rc"; fail=1
		echo "FAIL fuzz-long $n: see $log and $FB/long-crash-$n-*"
		grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -n 5 | sed 's/^/    /'
	fi
	after=$before
	if [ $rc -eq 0 ] && [ "$MERGE" = 1 ]; then
		# adds to fuzz/corpus/<name>/ only inputs of $work that add coverage: the
		# greedy set cover (-set_cover_merge, libFuzzer >= 14) picks fewer of them than
		# -merge=1, which is the fallback; the checked-in seeds are never removed
		mflag=-merge=1
		"$bin" -help=1 2>&1 | grep -q '^ *set_cover_merge' && mflag=-set_cover_merge=1
		if "$bin" $mflag -max_len="$ml" -timeout=25 -rss_limit_mb=4096 \
			"$seeds" "$work" > "$FB/fuzz-long-merge_$n.log" 2>&1; then
			after=$(ls "$seeds" | wc -l)
		else
			res="FAIL merge"; fail=1
			echo "FAIL fuzz-long $n: merge, see $FB/fuzz-long-merge_$n.log"
		fi
	fi
	rows+=("$(printf '%-18s %12s %9s %7s %9s %6s %6s %6ss  %s' "$n" "${execs:-?}" "${eps:-?}" \
		"${edges:-?}" "${ft:-?}" "$before" "$after" "$secs" "$res")")
done
{
	printf '%-18s %12s %9s %7s %9s %6s %6s %7s  %s\n' target executions exec/s edges \
		features seeds merged time result
	printf '%s\n' "${rows[@]}"
} | tee "$sum"
exit $fail
