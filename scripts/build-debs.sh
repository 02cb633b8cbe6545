#!/usr/bin/env bash
# make debs: build every BlockHost .deb from a clean copy of this tree and run lintian.
#   scripts/build-debs.sh [OUTDIR]      (default build-debs/; DEBS_JOBS=2)
# The copy is what git would commit (tracked + untracked-not-ignored files), put under
# OUTDIR/src/blockhost-<version>/, so dpkg-buildpackage never sees a developer's build/
# and its ../ outputs land in OUTDIR/src/ (then moved to OUTDIR/).  tests/js/node_modules
# (the pinned solcjs for the contracts) is linked, not copied.  Exit 1 on a build failure
# or any lintian error or warning that is not overridden (debian/*.lintian-overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-debs}")
jobs=${DEBS_JOBS:-2}
ver=$(dpkg-parsechangelog -S Version)
src="$out/src/blockhost-$ver"

rm -rf "$out/src"
mkdir -p "$src"
git ls-files -z -co --exclude-standard | grep -zv '^tests/js/node_modules' |
	while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
	tar -c --null -T - | tar -x -C "$src"
if [ -d tests/js/node_modules ]; then
	ln -s "$(realpath tests/js/node_modules)" "$src/tests/js/node_modules"
fi

start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs" dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || {
	tail -40 "$out/build.log" >&2
	echo "build-debs: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
echo "build-debs: $(ls "$out"/*.deb | wc -l) packages in $out ($(( $(date +%s) - start )) s)"

if [ "${NOLINTIAN:-0}" != 1 ]; then
	changes=$(ls "$out"/*.changes)
	# --fail-on error,warning: an overridden tag does not count
	if ! lintian --fail-on error,warning \
			"$changes" > "$out/lintian.log" 2>&1; then
		cat "$out/lintian.log" >&2
		echo "build-debs: lintian reports errors or warnings (above)" >&2
		exit 1
	fi
	echo "build-debs: lintian: no errors, no warnings ($(grep -c . "$out/lintian.log" || true) other lines)"
fi
