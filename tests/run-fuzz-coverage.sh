#!/usr/bin/env bash
# make fuzz-coverage (fuzz/README.md): replay each corpus through its coverage-instrumented
# standalone binary (<CB>/cov_<name>), merge the profiles, print line and branch coverage
# of the attacker-facing parser files (the union over all corpora), and write it to
# <CB>/coverage.txt.  FUZZ_COV_ALL=1 lists every source file.
#   tests/run-fuzz-coverage.sh COV_BUILD CORPUS_ROOT NAME...
set -u
CB=$1; ROOT=$2; shift 2
PROFDATA=$(command -v llvm-profdata || command -v llvm-profdata-14 || true)
LLVMCOV=$(command -v llvm-cov || command -v llvm-cov-14 || true)
if [ -z "$PROFDATA" ] || [ -z "$LLVMCOV" ]; then
	echo "fuzz-coverage: llvm-profdata/llvm-cov not found (Debian: apt-get install llvm-14)" >&2
	exit 1
fi
prof="$CB/prof"; rm -rf "$prof"; mkdir -p "$prof"
objs=(); fail=0
for n in "$@"; do
	bin="$CB/cov_$n"; dir="$ROOT/$n"
	[ -x "$bin" ] || { echo "SKIP $n: no $bin"; continue; }
	[ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] || { echo "SKIP $n: no corpus $dir"; continue; }
	if ! LLVM_PROFILE_FILE="$prof/$n.profraw" timeout 600 "$bin" "$dir"/* > "$prof/$n.log" 2>&1; then
		echo "FAIL $n: replay failed (see $prof/$n.log)"; fail=1
	fi
	objs+=("$bin")
done
[ ${#objs[@]} -gt 0 ] || { echo "fuzz-coverage: nothing ran"; exit 1; }
"$PROFDATA" merge -sparse -o "$prof/all.profdata" "$prof"/*.profraw || exit 1
args=("${objs[0]}"); for o in "${objs[@]:1}"; do args+=(-object "$o"); done
"$LLVMCOV" export -summary-only -instr-profile="$prof/all.profdata" "${args[@]}" > "$prof/summary.json" || exit 1
python3 - "$prof/summary.json" "${FUZZ_COV_ALL:-0}" <<'PY' | tee "$CB/coverage.txt"
import json, sys, os, fnmatch
d = json.load(open(sys.argv[1]))['data'][0]['files']
want = ['src/pam/pam_web3.c', 'src/pam/auth-handler.c', 'src/pam/http.c', 'src/pam/pending.c',
        'src/common/eth/abi-*.c', 'src/common/eth/rlp.c', 'src/common/eth/tx.c',
        'src/common/eth/ecies.c', 'src/common/eth/eth.c']
rows = []
for f in d:
    p = os.path.relpath(f['filename'])
    if sys.argv[2] != '1' and not any(fnmatch.fnmatch(p, w) for w in want):
        continue
    s = f['summary']
    rows.append((p, s['lines']['covered'], s['lines']['count'], s['branches']['covered'], s['branches']['count']))
pct = lambda a, b: '%5.1f' % (100.0 * a / b) if b else '    -'
print('%-32s %8s %7s %11s %8s' % ('file', 'lines', 'line %', 'branches', 'branch %'))
for p, lc, ln, bc, bn in sorted(rows):
    print('%-32s %8s %7s %11s %8s' % (p, '%d/%d' % (lc, ln), pct(lc, ln), '%d/%d' % (bc, bn), pct(bc, bn)))
for w in want:
    if not any(fnmatch.fnmatch(r[0], w) for r in rows):
        print('%-32s %8s' % (w, 'not built into any target'))
PY
exit $fail
