#!/usr/bin/env bash
# Verify-then-exec race: while requests run, racing writers keep replacing the
# plugin (rename over it) and rewriting it in place with a different valid ELF
# ("evil" tag).  Every reply must come from the signed bytes ("good") or be a
# refusal; the swapped file must never run.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/agent_lib.sh"

install_test_plugin echo 1
cp "$ACT/echo" "$T/good"
perl -0777 -pe 's/BHTAG:good/BHTAG:evil/' "$T/good" > "$T/evil"
cmp -s "$T/good" "$T/evil" && fail "could not make the evil variant"
chmod 0755 "$T/evil"
# sanity: the evil binary really runs and says so when executed directly
echo '{}' | "$T/evil" | grepq '"tag":"evil"' || fail "evil variant does not run"
start_agent

racer_rename() {
	while :; do
		cp "$T/evil" "$ACT/.e"; mv -f "$ACT/.e" "$ACT/echo"
		cp "$T/good" "$ACT/.g"; mv -f "$ACT/.g" "$ACT/echo"
	done
}
racer_inplace() {
	while :; do
		cat "$T/evil" > "$ACT/echo" 2>/dev/null; cat "$T/good" > "$ACT/echo" 2>/dev/null
	done
}
good=0; refused=0; N=${RACE_N:-100}
for mode in rename inplace; do
	racer_$mode & RP=$!; bh_track "$RP"
	for i in $(seq "$N"); do
		out=$(call echo '{}')
		case $out in
		*'"tag":"good"'*) good=$((good + 1)) ;;
		*'"tag":"evil"'*) fail "the swapped (unsigned) file ran: $out" ;;
		*'"ok":false'*) refused=$((refused + 1)) ;;
		*) fail "unexpected reply: $out" ;;
		esac
	done
	kill "$RP"; wait "$RP" 2>/dev/null || true
	cp "$T/good" "$ACT/echo"
done
echo "good=$good refused=$refused of $((2 * N))"
[ "$good" -gt 0 ] || fail "no request ran the verified content"
ok "racing writers: verified content ran $good times, refused $refused times, swapped file never ran"
