#!/usr/bin/env bash
# make fuzz-coverage (fuzz/README.md): replay each corpus through its coverage-instrumented
# standalone binary (<CB>/cov_<name>), merge the profiles, print line and branch coverage
# of the attacker-facing parser files (the union over all corpora), then each file against
# issue 20's bar (>= 90 % lines, >= 85 % branches) after the exclusions of
# fuzz/cov-exclude.tsv (docs/fuzzing.md "Exclusions"), and write both to <CB>/coverage.txt.
# FUZZ_COV_ALL=1 lists every source file.
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
python3 - "$prof/summary.json" "${FUZZ_COV_ALL:-0}" "$LLVMCOV" "$prof/all.profdata" "${objs[@]}" <<'PY' | tee "$CB/coverage.txt"
import json, sys, os, fnmatch, re, subprocess
d = json.load(open(sys.argv[1]))['data'][0]['files']
llvmcov, profdata, objs = sys.argv[3], sys.argv[4], sys.argv[5:]
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

# Exclusions (fuzz/cov-exclude.tsv): line ranges of defensive code no input can reach, each
# with its reason; the first line's text anchors the range (a stale entry is reported and
# not applied).  Figures recomputed from llvm-cov show, lines and branches of the ranges
# taken out of both counts.
excl = {}
for ln in open('fuzz/cov-exclude.tsv') if os.path.exists('fuzz/cov-exclude.tsv') else []:
    if not ln.strip() or ln.startswith('#'):
        continue
    f, a, b, anchor, _why = ln.rstrip('\n').split('\t')[:5]
    excl.setdefault(f, []).append((int(a), int(b), anchor))
def num(x):
    m = {'k': 1e3, 'M': 1e6, 'G': 1e9}
    return float(x[:-1]) * m[x[-1]] if x[-1] in m else float(x)
adj = []
for p, lc, ln, bc, bn in sorted(rows):
    if p not in excl:
        adj.append((p, lc, ln, bc, bn, 0))
        continue
    src = open(p).read().split('\n')
    ranges = []
    for a, b, anchor in excl[p]:
        if a < 1 or a > len(src) or src[a - 1].strip() != anchor.strip():
            print('STALE exclusion %s:%d-%d (line %d no longer reads %r): not applied' % (p, a, b, a, anchor))
        else:
            ranges.append((a, b))
    cmd = [llvmcov, 'show', '-instr-profile=' + profdata, objs[0]]
    for o in objs[1:]:
        cmd += ['-object', o]
    out = subprocess.run(cmd + [p, '-show-branches=count'], capture_output=True, text=True).stdout
    L = B = C = D = X = 0
    for line in out.splitlines():
        m = re.match(r'^\s*(\d+)\|\s*([0-9.kMG]*)\|', line)
        if m and m.group(2):
            n = int(m.group(1))
            if any(a <= n <= b for a, b in ranges):
                X += 1
                continue
            L += 1
            C += num(m.group(2)) > 0
        m = re.search(r'Branch \((\d+):\d+\): \[True: ([0-9.kMG]+), False: ([0-9.kMG]+)\]', line)
        if m and not any(a <= int(m.group(1)) <= b for a, b in ranges):
            B += 2
            D += (num(m.group(2)) > 0) + (num(m.group(3)) > 0)
    adj.append((p, int(C), L, int(D), B, X))
print()
print('against the bar (>= 90 %% lines, >= 85 %% branches)%s:' %
      (', after the exclusions of fuzz/cov-exclude.tsv (unreachable defensive code, reasons there)' if excl else ''))
if True:
    print('%-32s %8s %7s %11s %8s %9s  %s' % ('file', 'lines', 'line %', 'branches', 'branch %', 'excluded', 'bar'))
    for p, lc, ln, bc, bn, x in adj:
        ok = ln and bn and 100.0 * lc / ln >= 90 and 100.0 * bc / bn >= 85
        print('%-32s %8s %7s %11s %8s %9s  %s' % (p, '%d/%d' % (lc, ln), pct(lc, ln), '%d/%d' % (bc, bn),
              pct(bc, bn), '%d lines' % x if x else '-', 'ok' if ok else 'BELOW'))
PY
exit $fail
