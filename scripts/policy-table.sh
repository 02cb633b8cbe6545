#!/usr/bin/env bash
# scripts/policy-table.sh POLICY-CHECK README --action-source F...: replace the block between
# the two markers of README (policy/README.md) with `POLICY-CHECK --table` (make policy-table).
set -euo pipefail
pc=$1 readme=$2; shift 2
begin='<!-- begin: blockhost-policy-check --table (make policy-table) -->'
end='<!-- end: blockhost-policy-check --table -->'
tab=$(mktemp); trap 'rm -f "$tab" "$tab.new"' EXIT
"$pc" --policy-dir policy --seccomp-dir seccomp --actions-dir policy/actions "$@" --table > "$tab"
grep -qxF "$begin" "$readme" && grep -qxF "$end" "$readme" || { echo "$readme: markers missing" >&2; exit 1; }
awk -v b="$begin" -v e="$end" -v t="$tab" '
	$0 == b { print; while ((getline l < t) > 0) print l; skip = 1; next }
	$0 == e { skip = 0 }
	!skip { print }' "$readme" > "$tab.new"
cat "$tab.new" > "$readme"
