#!/usr/bin/env bash
# make bench: run every benchmark target that exists; each prints what it compares
# and the ratio.  Benchmarks never assert on time; they report.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
targets=$(make -pRrq -f Makefile 2>/dev/null | sed -n 's/^\(bench-[a-z0-9-]*\):.*/\1/p' | sort -u)
if [ -z "$targets" ]; then echo "bench: no benchmarks yet"; exit 0; fi
rc=0
for t in $targets; do
	echo "== $t"
	make --no-print-directory BUILD="$BUILD" "$t" || rc=1
done
exit $rc
