#!/usr/bin/env bash
# Every link in README.md, HACKING.md, SECURITY.md and docs/*.md points inside the
# repository (a clone has nothing beside it) and at a file that exists; web links are
# left alone.  Anchors (#...) are stripped.
source "$(dirname "$0")/../lib.sh"
cd "$TOP"
bad=0 n=0
for f in README.md HACKING.md SECURITY.md docs/*.md policy/README.md seccomp/README.md; do
	[ -f "$f" ] || continue
	d=$(dirname "$f")
	while IFS= read -r l; do
		case $l in http://*|https://*|mailto:*|'#'*) continue ;; esac
		n=$((n + 1))
		p=${l%%#*}
		r=$(realpath -m "$d/$p")
		case $r in "$TOP"/*) ;; *) echo "FAIL: $f links outside the repository: $l"; bad=$((bad + 1)); continue ;; esac
		[ -e "$r" ] || { echo "FAIL: $f links to a missing file: $l"; bad=$((bad + 1)); }
	done < <(grep -o '\]([^)]*)' "$f" | sed 's/^](\(.*\))$/\1/')
done
[ "$bad" = 0 ] || fail "$bad broken links"
[ "$n" -gt 20 ] || fail "only $n links found"
ok "$n links in the docs resolve inside the repository"
