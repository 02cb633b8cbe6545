#!/usr/bin/env bash
# The command-line convention (HACKING.md "Command-line programs"), table-driven from
# tests/cli.tsv: every program x (--help, --version, no arguments, an unknown flag, an
# abbreviated flag, each documented mistake) -> the exit code and a message that names
# the problem.  Rows run in order in one private tree ($T, BLOCKHOST_ROOT=$T/root), so a
# row may set up state for the next (blockhost-vmdb init before "VM not found").
#
# Besides each row's own regex, every row checks the convention's common points:
#   exit 0 for --help/--version with the text on stdout and nothing on stderr;
#   exit 2 (usage) with nothing on stdout (a script reading stdout never gets a usage
#   text), and a message on stderr;
#   no message quotes an option's value: the rows' marker value 'VALUE_MARK' (given as
#   the value of a bad or misspelt option) must not appear in what the program printed.
# A row whose last column starts with "xfail:" documents a program that does not follow
# the convention yet (the fix is named there; it is another component's file): it is
# reported, never failed, and an xfail row that passes is reported as XPASS.
source "$(dirname "$0")/../lib.sh"

TABLE="$TOP/tests/cli.tsv"
[ -r "$TABLE" ] || fail "missing $TABLE"
[ -x "$BIN/bhcrypt" ] || fail "not built ($BIN)"
export TOP
# the rows run as root: the provisioner's verbs refuse any identity but their policy's
# (issue 19), so the policy copy names root for them
bh_policy_identity blockhost-provisioner root root
mkdir -p "$T/work"
cd "$T/work"

n=0 bad=0 xfail=0 xpass=0 line=0
while IFS=$'\t' read -r prog args want stream regex note; do
	line=$((line + 1))
	case $prog in ''|'#'*) continue ;; esac
	[ -x "$BIN/$prog" ] || { echo "FAIL: line $line: $BIN/$prog not built"; bad=$((bad + 1)); continue; }
	if [ "$args" = "-" ]; then argv=(); else eval "argv=($args)"; fi
	rc=0
	timeout 20 "$BIN/$prog" "${argv[@]}" > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	case $stream in out) s="$T/out" ;; err) s="$T/err" ;; *) fail "line $line: stream '$stream'" ;; esac
	why=""
	[ "$rc" = "$want" ] || why="exit $rc, expected $want"
	[ -n "$why" ] || grep -Eq -- "$regex" "$s" || why="$stream does not match /$regex/"
	if [ -z "$why" ] && [ "$want" = 0 ] && [[ " ${argv[*]} " == *" --help "* || " ${argv[*]} " == *" --version "* ]]; then
		[ -s "$T/out" ] || why="--help/--version printed nothing on stdout"
		[ -s "$T/err" ] && why="--help/--version wrote to stderr: $(head -c 200 "$T/err")"
	fi
	if [ -z "$why" ] && [ "$want" = 2 ]; then
		[ -s "$T/out" ] && why="usage error printed on stdout: $(head -c 200 "$T/out")"
		[ -s "$T/err" ] || why="usage error without a message"
	fi
	if [ -z "$why" ] && grep -q VALUE_MARK "$T/out" "$T/err"; then
		why="a message quotes the option's value (VALUE_MARK)"
	fi
	n=$((n + 1))
	desc="$prog ${args}"
	if [[ $note == xfail:* ]]; then
		if [ -n "$why" ]; then
			xfail=$((xfail + 1)); echo "XFAIL $desc: $why (${note#xfail: })"
		else
			xpass=$((xpass + 1)); echo "XPASS $desc: now follows the convention; drop its xfail mark"
		fi
	elif [ -n "$why" ]; then
		bad=$((bad + 1))
		echo "FAIL: line $line: $desc: $why"
		sed 's/^/    stdout: /' "$T/out" | head -n 5
		sed 's/^/    stderr: /' "$T/err" | head -n 5
	fi
done < "$TABLE"

echo "cli: $n cases, $bad failed, $xfail xfail (fixes outside the CLIs' own files), $xpass xpass"
[ "$n" -gt 100 ] || fail "only $n cases read from $TABLE"
[ "$bad" = 0 ] || fail "$bad CLI cases failed"
ok "every program follows the CLI convention in tests/cli.tsv ($n cases)"
