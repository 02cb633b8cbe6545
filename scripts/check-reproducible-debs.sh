#!/usr/bin/env bash
# A package built twice from the same tree is byte-identical.  Builds the .debs twice
# (scripts/build-debs.sh, lintian skipped) in two directories of different names and
# depths, so a build path that leaks into a binary (no -ffile-prefix-map) or a timestamp
# not taken from SOURCE_DATE_EPOCH shows up as a difference; compares every .deb
# (including -dbgsym) by SHA-256 and, on a difference, names the files inside that differ.
#   scripts/check-reproducible-debs.sh [WORKDIR]     (default build-repro/)
set -euo pipefail
cd "$(dirname "$0")/.."
w=$(realpath -m "${1:-build-repro}")
rm -rf "$w"
a=$w/a b=$w/second-build/b
NOLINTIAN=1 scripts/build-debs.sh "$a" > /dev/null
NOLINTIAN=1 scripts/build-debs.sh "$b" > /dev/null
n=0 bad=0
for d in "$a"/*.deb; do
	f=$(basename "$d"); n=$((n + 1))
	[ -f "$b/$f" ] || { echo "FAIL: $f built only once"; bad=$((bad + 1)); continue; }
	if cmp -s "$d" "$b/$f"; then
		printf '  same  %s  %s\n' "$(sha256sum < "$d" | cut -c1-16)" "$f"
	else
		bad=$((bad + 1))
		echo "FAIL: $f differs between the two builds; files inside that differ:"
		mkdir -p "$w/x/a" "$w/x/b"
		dpkg-deb -x "$d" "$w/x/a/$f"; dpkg-deb -x "$b/$f" "$w/x/b/$f"
		diff -rq "$w/x/a/$f" "$w/x/b/$f" | sed 's/^/    /' || true
		dpkg-deb -I "$d" > "$w/x/a/$f.info"; dpkg-deb -I "$b/$f" > "$w/x/b/$f.info"
		diff "$w/x/a/$f.info" "$w/x/b/$f.info" | sed 's/^/    /' || true
	fi
done
[ "$n" -gt 0 ] || { echo "FAIL: no packages built" >&2; exit 1; }
[ "$bad" = 0 ] || { echo "check-reproducible-debs: $bad of $n packages differ" >&2; exit 1; }
echo "check-reproducible-debs: all $n packages byte-identical across two builds ($a, $b)"
rm -rf "$w"
