#!/usr/bin/env bash
# The closing line of `make check`: N passed, N failed, N skipped.
BUILD=${BUILD:-build}
cat "$BUILD"/results/unit "$BUILD"/results/fuzz "$BUILD"/results/integration 2>/dev/null > "$BUILD/results/all"
p=$(grep -c '^PASS' "$BUILD/results/all"); f=$(grep -c '^FAIL' "$BUILD/results/all"); s=$(grep -c '^SKIP' "$BUILD/results/all")
echo "check: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
