#!/usr/bin/env bash
# The arrows between src/common's layers (docs/layout.md): eth -> core, sandbox -> core,
# host -> eth + core; components -> any layer; nothing points up or sideways, components
# never include each other's headers, and every include of src/common names its layer.
# Prints each forbidden include as file:line and exits 1 if there is one.
set -u
cd "$(dirname "$0")/.."
bad=0
report() { echo "layers: $1: $2"; bad=1; }

# allowed["layer"] = the layers its files may include (itself included)
declare -A allowed=(
	[core]="core"
	[eth]="eth core"
	[sandbox]="sandbox core"
	[host]="host eth core"
)
layers="core eth sandbox host"

while IFS= read -r -d '' f; do
	layer=${f#src/common/}; layer=${layer%%/*}
	while IFS=: read -r line inc; do
		target=${inc%%/*}
		case " $layers " in *" $target "*) ;; *)
			report "$f:$line" "includes \"$inc\" without a layer path (write \"<layer>/$inc\")"; continue;;
		esac
		case " ${allowed[$layer]} " in *" $target "*) ;; *)
			report "$f:$line" "$layer may not include $target (\"$inc\"): allowed ${allowed[$layer]// / + }";;
		esac
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f" | sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done < <(find src/common -name '*.[ch]' -print0)

# components: any layer of src/common, their own headers, never another component's
while IFS= read -r -d '' f; do
	comp=${f#src/}; comp=${comp%%/*}
	[ "$comp" = common ] && continue
	while IFS=: read -r line inc; do
		case "$inc" in
		../*) resolved=$(realpath -m --relative-to=. "$(dirname "$f")/$inc")
			case "$resolved" in src/"$comp"/*) ;; *)
				report "$f:$line" "component $comp reaches outside itself with \"$inc\"";; esac;;
		*/*) target=${inc%%/*}
			case " $layers " in *" $target "*) continue;; esac
			[ -d "src/$target" ] && [ "$target" != "$comp" ] &&
				report "$f:$line" "component $comp includes another component's header \"$inc\"";;
		*)  # a bare name: must be the component's own header, not a common one
			if [ -n "$(find src/common -name "$inc" -print -quit)" ] && [ ! -e "$(dirname "$f")/$inc" ]; then
				report "$f:$line" "includes src/common's \"$inc\" without its layer path"
			fi;;
		esac
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$f" | sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done < <(find src -path src/common -prune -o -name '*.[ch]' -print0)

if [ "$bad" -eq 0 ]; then
	echo "layers: ok (core <- eth, sandbox; eth + core <- host; no upward, sideways or bare includes)"
fi
exit "$bad"
