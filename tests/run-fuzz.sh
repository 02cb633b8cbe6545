#!/usr/bin/env bash
# make fuzz: run each libFuzzer target for a bounded time on a scratch copy of its
# corpus; new interesting inputs are left in build-fuzz/corpus/<name>/ for review.
set -u
FB=$1; SECS=$2; shift 2
fail=0
# per-target -max_len: the larger of 65536 and fuzz/max_len.tsv's value (the parser's cap)
max_len() { local v; v=$(awk -v n="$1" '$1 == n { print $2 }' fuzz/max_len.tsv 2>/dev/null)
	[ -n "$v" ] && [ "$v" -gt "$2" ] && echo "$v" || echo "$2"; }
for n in "$@"; do
	work="$FB/corpus/$n"; mkdir -p "$work"
	cp -n fuzz/corpus/$n/* "$work/" 2>/dev/null || true
	dict=(); [ -f "fuzz/$n.dict" ] && dict=(-dict="fuzz/$n.dict")
	ml=$(max_len "$n" 65536)
	echo "== fuzz $n for ${SECS}s (max_len $ml${dict:+, ${dict[*]}})"
	if ! "$FB/fuzz_$n" "${dict[@]}" -max_total_time="$SECS" -max_len="$ml" \
		-artifact_prefix="$FB/crash-$n-" -print_final_stats=1 "$work" > "$FB/fuzz_$n.log" 2>&1; then
		echo "FAIL fuzz $n: see $FB/fuzz_$n.log and $FB/crash-$n-*"; fail=1
	else
		grep -E 'stat::number_of_executed_units|cov:' "$FB/fuzz_$n.log" | tail -n 2
	fi
done
exit $fail
