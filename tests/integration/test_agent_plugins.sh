#!/usr/bin/env bash
# Root agent: signed plugins run; tampered, unsigned, untrusted, rolled back,
# unsafe or script plugins are refused; params are checked against the signed
# schema; callers outside the group are refused.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/agent_lib.sh"

install_test_plugin echo 3 '["net_admin"]' \
	'{"mode":{"type":"string","pattern":"^[a-z]+$"},"port":{"type":"int","min":1,"max":65535},
	  "names":{"type":"string-array","max_items":2,"max_len":8},"flag":{"type":"bool"}}'
"$VERIFY" --actions-dir "$ACT" --keys-dir "$KEYS" | grepq '^echo: ok' || fail "verify tool"
start_agent
[ "$(stat -c '%a %U %G' "$SOCK")" = "660 root $AGENT_GROUP" ] || fail "socket mode/owner: $(stat -c '%a %U %G' "$SOCK")"
grep -q '(group users, mode 0660, 19 \[callers\] rules)' "$T/agent.log" || [ "$AGENT_GROUP" != users ] ||
	fail "socket group/mode/callers from policy: $(grep listening "$T/agent.log")"

grep -q 'sandbox: policy .*/blockhost-root-agent.policy applied to the monitor.*seccomp .*/blockhost-root-agent ([0-9]* rules.*), enforcing' "$T/agent.log" ||
	fail "no start-up line naming the policy and filter files: $(cat "$T/agent.log")"
# a policy file that is group-writable (or not root-owned) stops the agent before it listens
stop_agent
chmod g+w "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
rc=0; "$AGENT_BIN" --keys-dir "$KEYS" > "$T/unsafe.log" 2>&1 || rc=$?
chmod g-w "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
[ $rc != 0 ] && grep -q 'blockhost-root-agent.policy.*group/world-writable\|blockhost-root-agent.policy.*writable' "$T/unsafe.log" ||
	fail "group-writable policy: rc $rc $(cat "$T/unsafe.log")"
start_agent

# 1. a signed plugin runs; its reply comes back; it holds only its capabilities
out=$(expect_ok echo '{"port":22,"names":["a","b"],"flag":true}')
case $out in *'"tag":"good"'*'"port":22'*) ;; *) fail "reply: $out" ;; esac
case $out in *'"capeff":"0000000000001000"'*) ok "plugin runs with CapEff = cap_net_admin only" ;;
	*) fail "capabilities not reduced: $out" ;; esac

# 1a. ... as the plugin user (here nobody: the test host has no blockhost-agent-plugin),
# never uid 0: the manifest's capabilities are its permitted, effective, ambient and
# bounding sets; securebits NOROOT | NO_SETUID_FIXUP | KEEP_CAPS, all locked (0x2f)
for f in '"uid":65534' '"gid":65534' '"capprm":"0000000000001000"' '"capamb":"0000000000001000"' \
	 '"capbnd":"0000000000001000"' '"secbits":47'; do
	case $out in *"$f"*) ;; *) fail "plugin user: no $f in $out" ;; esac
done
grep -q 'plugins run as nobody (65534)' "$T/agent.log" || fail "fallback to nobody not logged"
ok "plugin runs as the plugin user with ambient cap_net_admin and locked securebits"
# a manifest may ask for uid 0 ("run_as": "root", with a signed "root_equivalent" reason):
# caps still reduced, none ambient.  No hidden root: a manifest without run_as, or a
# root-equivalent one without a reason (or a reason where none applies), is refused
install -m 0755 "$TESTPLUGIN" "$ACT/rooty"
write_manifest rooty 1 '["net_admin"]' '{"mode":{"type":"string"}}' 5000 65536 ',"run_as":"root","root_equivalent":"test: needs uid 0"'; sign_action rooty
out=$(expect_ok rooty '{}')
for f in '"uid":0' '"capeff":"0000000000001000"' '"capamb":"0000000000000000"' \
	 '"capbnd":"0000000000001000"' '"secbits":0'; do
	case $out in *"$f"*) ;; *) fail "run_as root: no $f in $out" ;; esac
done
# (the signing tool runs the agent's parser, so such a manifest cannot even be signed)
refuse_sign() { ! "$SIGN" sign "$T/test.key" "$ACT/rooty.manifest" 2> "$T/sign.err" > /dev/null &&
	grepq -F "$1" "$T/sign.err" || fail "signed a bad manifest (want '$1'): $(cat "$T/sign.err")"; }
write_manifest rooty 2 '["setuid","setgid"]' '{"mode":{"type":"string"}}' 5000 65536 ''
refuse_sign '"run_as" missing'
write_manifest rooty 2 '["setuid","setgid"]' '{"mode":{"type":"string"}}'
refuse_sign 'root-equivalent but gives no "root_equivalent" reason'
write_manifest rooty 2 '["net_admin"]' '{"mode":{"type":"string"}}' 5000 65536 ',"run_as":"plugin","root_equivalent":"not true at all"'
refuse_sign '"root_equivalent" given, but'
write_manifest rooty 5 '["setuid","setgid"]' '{"mode":{"type":"string"}}' 5000 65536 ',"run_as":"root","root_equivalent":"test: changes uid"'; sign_action rooty
case $(expect_ok rooty '{}') in *'"uid":0'*'"capeff":"00000000000000c0"'*) ;; *) fail "setuid plugin not root" ;; esac
ok "run_as root honoured (caps reduced, none ambient); no run_as, or root without a reason, refused"

# 1b. the monitor holds exactly the policy's capabilities, with no_new_privs; a plugin
# asking for more than that ceiling is refused
st=$(cat /proc/"$AGENT_PID"/status)
grep -q '^CapEff:.*00000000000031e1$' <<< "$st" || fail "agent caps: $(grep Cap <<< "$st")"
grep -q '^NoNewPrivs:.*1$' <<< "$st" || fail "agent without no_new_privs"
install_test_plugin greedy 1 '["net_bind_service"]'
expect_err greedy '{}' "needs capability net_bind_service, which the agent does not hold"
# the request reader: a spare is forked and sandboxed before any connection arrives:
# nobody, no capabilities, seccomp filter
rd=""
for _ in $(seq 200); do   # up to 10 s: the spare is forked after the previous request, slow under load
	for c in $(pgrep -P "$AGENT_PID"); do
		grep -q '^Uid:[[:space:]]*65534' /proc/"$c"/status 2>/dev/null && { rd=$c; break 2; }
	done
	sleep 0.05
done
[ -n "$rd" ] || fail "no spare request reader found"
st=$(cat /proc/"$rd"/status)
grep -q '^Gid:[[:space:]]*65534' <<< "$st" || fail "reader gid: $(grep Gid <<< "$st")"
grep -q '^Groups:[[:space:]]*65534[[:space:]]*$' <<< "$st" || fail "reader groups: $(grep Groups <<< "$st")"
grep -q '^CapEff:[[:space:]]*0000000000000000' <<< "$st" || fail "reader caps: $(grep CapEff <<< "$st")"
grep -q '^CapPrm:[[:space:]]*0000000000000000' <<< "$st" || fail "reader caps: $(grep CapPrm <<< "$st")"
grep -q '^Seccomp:[[:space:]]*2' <<< "$st" || fail "reader not under seccomp: $(grep Seccomp <<< "$st")"
grep -q '^NoNewPrivs:[[:space:]]*1' <<< "$st" || fail "reader without no_new_privs"
# the reader's address space is capped before it reads a byte (not in ASan builds,
# whose shadow memory needs terabytes of address space)
if ldd "$AGENT_BIN" | grepq libasan; then
	ok "reader RLIMIT_AS not checked (ASan build)"
else
	grep -q '^Max address space *268435456 *268435456 *bytes' /proc/"$rd"/limits ||
		fail "reader RLIMIT_AS: $(grep 'address space' /proc/"$rd"/limits)"
	ok "reader: RLIMIT_AS 256 MiB"
fi
PP="/usr/bin/python3 $TOP/tests/helpers/proc_policy.py"
$PP "$AGENT_PID" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy" --seccomp 0 || fail "monitor differs from its policy"
$PP "$rd" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy" --section reader || fail "reader differs from [reader]"
ok "monitor: policy caps + no_new_privs; reader: nobody, no caps, seccomp filter (/proc status = policy)"

# 2. params outside the schema, naming the param
expect_err echo '{"port":70000}' "param 'port'"
expect_err echo '{"port":"22"}' "param 'port'"
expect_err echo '{"mode":"a b"}' "param 'mode'"
expect_err echo '{"names":["a","b","c"]}' "param 'names'"
expect_err echo '{"names":["toolongname"]}' "param 'names'"
expect_err echo '{"flag":1}' "param 'flag'"
expect_err echo '{"extra":1}' "param 'extra'"
expect_err nosuch '{}' "Unknown action: nosuch"
expect_err '../echo' '{}' "Unknown action: ../echo"

# 3. plugin failures become ok:false
expect_err echo '{"mode":"fail"}' "exit status 3"
expect_err echo '{"mode":"spew"}' "output larger than"
expect_err echo '{"mode":"badjson"}' 'not a JSON object'

# 4. one flipped byte in the executable → refused
cp -p "$ACT/echo" "$T/echo.good"
printf '\x55' | dd of="$ACT/echo" bs=1 seek=4000 conv=notrunc status=none
expect_err echo '{}' "does not match the signed sha256"
cp -p "$T/echo.good" "$ACT/echo"
expect_ok echo '{}' > /dev/null
# ... or in the manifest → bad signature
cp -p "$ACT/echo.manifest" "$T/echo.manifest.good"
sed -i 's/"timeout_ms":5000/"timeout_ms":5001/' "$ACT/echo.manifest"
expect_err echo '{}' "bad signature"
cp -p "$T/echo.manifest.good" "$ACT/echo.manifest"

# 5. unsigned → refused
mv "$ACT/echo.sig" "$T/echo.sig.good"
expect_err echo '{}' "unsigned"
mv "$T/echo.sig.good" "$ACT/echo.sig"

# 6. signed by an untrusted key → refused
mkdir -p "$T/otherkeys"; "$SIGN" keygen "$T/other.key" "$T/otherkeys" > /dev/null
cp -p "$ACT/echo.sig" "$T/echo.sig.good"
sign_action echo "$T/other.key"
expect_err echo '{}' "untrusted key"
cp -p "$T/echo.sig.good" "$ACT/echo.sig"

# 7. rollback: version 2 after version 3 was accepted → refused; 4 accepted
write_manifest echo 2 '["net_admin"]' '{"mode":{"type":"string"}}'; sign_action echo
expect_err echo '{}' "rollback"
write_manifest echo 4 '[]' '{"mode":{"type":"string"}}'; sign_action echo
out=$(expect_ok echo '{}')
case $out in *'"capeff":"0000000000000000"'*) ;; *) fail "caps not empty: $out" ;; esac
grep -q '"echo": 4' "$BLOCKHOST_ROOT/var/lib/blockhost-root-agent/versions" || fail "versions file"
write_manifest echo 3 '[]' '{"mode":{"type":"string"}}'; sign_action echo
expect_err echo '{}' "rollback"
write_manifest echo 4 '[]' '{"mode":{"type":"string"}}'; sign_action echo
# 7b. rollback state the blockhost user could control is refused, never trusted or
# waited on: a non-root state dir, a symlinked one, a FIFO named versions
SD="$BLOCKHOST_ROOT/var/lib/blockhost-root-agent"
[ "$(stat -c '%u %a' "$SD")" = "0 700" ] || fail "state dir: $(stat -c '%u %a' "$SD")"
chown 65534 "$SD"; expect_err echo '{}' "state dir"   # 0700: not even readable
chmod 0755 "$SD"; expect_err echo '{}' "must be owned by uid 0"; chown 0 "$SD"; chmod 0700 "$SD"
mv "$SD" "$SD.real"; ln -s "$SD.real" "$SD"; expect_err echo '{}' "symbolic link"; rm "$SD"; mv "$SD.real" "$SD"
mv "$SD/versions" "$T/versions.good"; mkfifo -m 0600 "$SD/versions"
start=$(date +%s%N); expect_err echo '{}' "not a regular file"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ] || fail "FIFO versions file blocked the handler"
rm "$SD/versions"; mv "$T/versions.good" "$SD/versions"
expect_ok echo '{}' > /dev/null

# 8. unsafe files: world-writable, not root-owned, symlink, script
chmod 0777 "$ACT/echo"; expect_err echo '{}' "world-writable"; chmod 0755 "$ACT/echo"
chown 65534 "$ACT/echo"; expect_err echo '{}' "owned by uid 65534"; chown 0 "$ACT/echo"
mv "$ACT/echo" "$T/echo.real"; ln -s "$T/echo.real" "$ACT/echo"
expect_err echo '{}' "symbolic link"; rm "$ACT/echo"; mv "$T/echo.real" "$ACT/echo"
chmod 0777 "$ACT"; expect_err echo '{}' "actions dir"; chmod 0755 "$ACT"
chmod 0757 "$KEYS"; expect_err echo '{}' "trusted keys dir"; chmod 0755 "$KEYS"
printf '#!/bin/sh\necho "{\\"ok\\":true}"\n' > "$ACT/script"; chmod 0755 "$ACT/script"
write_manifest script 1 '[]' '{}'; sign_action script
expect_err script '{}' "not an ELF"

# 9. timeout
install_test_plugin slow 1 '[]'
sed -i 's/"timeout_ms":5000/"timeout_ms":300/' "$ACT/slow.manifest"; sign_action slow
start=$(date +%s%N); expect_err slow '{"mode":"sleep"}' "timed out"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ] || fail "timeout not enforced promptly"
start=$(date +%s%N); expect_err slow '{"mode":"linger"}' "timed out"
[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 3000 ] || fail "timeout not enforced after the output closed"

# 10. callers: a member of the group is served; a non-member is refused by the
# socket mode, and (with the mode opened up) by the peer-credential check
setpriv --reuid=65534 --regid=65534 --groups="$(getent group "$AGENT_GROUP" | cut -d: -f3)" \
	$CALL "$SOCK" echo '{}' | grepq '"ok": *true' || fail "group member refused"
ok "group member served"
if setpriv --reuid=65534 --regid=65534 --clear-groups $CALL "$SOCK" echo '{}' 2>/dev/null; then
	fail "non-member connected through a 0660 socket"
fi
ok "non-member cannot connect to the 0660 socket"
stop_agent
bh_agent_socket_mode 0666
start_agent
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $CALL "$SOCK" echo '{}')
case $out in *'"ok": false'*'permission denied'*|*'"ok":false'*'permission denied'*) ;; *) fail "peercred: $out" ;; esac
grep -q 'refused connection from uid 65534' "$T/agent.log" || fail "refusal not logged"
ok "non-member refused by SO_PEERCRED check"
# 10b. [callers]: a group member calling an action whose rule does not list it is refused
# with the rule named; an installed action without a rule may be called by nobody (not
# even root); an action that is neither listed nor installed is just unknown
sed -i 's/^echo = .*/echo = user:root/' "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
install_test_plugin unlisted 1
stop_agent; start_agent
out=$(setpriv --reuid=65534 --regid=65534 --groups="$(getent group "$AGENT_GROUP" | cut -d: -f3)" $CALL "$SOCK" echo '{}')
case $out in *'permission denied: '*'blockhost-root-agent.policy:'*'[callers] echo = user:root (uid 65534 gid 65534 is none of them)'*) ;;
	*) fail "caller outside [callers]: $out" ;; esac
expect_ok echo '{}' > /dev/null
expect_err unlisted '{}' 'permission denied: no [callers] rule for unlisted'
expect_err nosuch2 '{}' 'Unknown action: nosuch2'
ok "[callers]: a caller outside an action's list is refused naming the rule"
sed -i "s/^echo = .*/echo = user:root, group:$AGENT_GROUP/" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
stop_agent; start_agent

# 10c. identity: the monitor refuses to start under another identity than its policy's
# [identity], and a [reader] that would be root is refused
stop_agent
cp "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy" "$T/agent.policy.good"
sed -i '/^\[identity\]/,/^\[/{s/^user = .*/user = nobody/;s/^group = .*/group = nogroup/}' "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
rc=0; "$AGENT_BIN" --keys-dir "$KEYS" > "$T/wrong.log" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "identity: running as uid 0 gid 0 .*\[identity\] says user nobody" "$T/wrong.log" ||
	fail "agent under the wrong identity: rc $rc $(cat "$T/wrong.log")"
cp "$T/agent.policy.good" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
sed -i '/^\[reader\]/,/^\[/{s/^user = .*/user = root/}' "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
rc=0; "$AGENT_BIN" --keys-dir "$KEYS" > "$T/wrong.log" 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "\[reader\] must not be root" "$T/wrong.log" || fail "root reader: $(cat "$T/wrong.log")"
cp "$T/agent.policy.good" "$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
start_agent
ok "agent: refuses another identity than [identity], and a root [reader]"

# 11. framing: oversized length prefix refused before allocation; garbage refused
printf '\x7f\xff\xff\xff' | $CALL --raw "$SOCK" | grepq 'bad request' || fail "size cap"
printf '\x00\x00\x00\x05hello' | $CALL --raw "$SOCK" | grepq 'bad request' || fail "garbage"
ok "framing errors refused"

# 12. log injection: newlines and escapes in request-derived text (a JSON key, a param
# name, an action name) never reach the log as separate or raw lines
inj() { python3 -c 'import json,struct,sys; b=json.dumps(json.loads(sys.argv[1])).encode(); sys.stdout.buffer.write(struct.pack(">I",len(b))+b)' "$1"; }
inj '{"action":"echo","x\nFORGED-A: root login":1}' | $CALL --raw "$SOCK" | grepq '"ok": *true' || fail "unknown key not ignored"
inj '{"action":"echo","params":{"p\nFORGED-B: x\u001b[2J":1}}' | $CALL --raw "$SOCK" | grepq 'not accepted' || fail "param reply"
inj '{"action":"e\nFORGED-C: y"}' | $CALL --raw "$SOCK" | grepq 'Unknown action' || fail "action reply"
sleep 0.2
grep -q '^FORGED\|^[^:]*: FORGED' "$T/agent.log" && { cat "$T/agent.log"; fail "forged log line"; }
grep -q $'\x1b' "$T/agent.log" && fail "escape sequence in the log"
grep -q 'ignored 1 unknown top-level key (first "x?FORGED-A: root login")' "$T/agent.log" || { tail -5 "$T/agent.log"; fail "sanitised key not logged"; }
grep -q "param 'p?FORGED-B: x?\[2J'" "$T/agent.log" || fail "sanitised param not logged"
grep -q 'Unknown action: e?FORGED-C: y' "$T/agent.log" || fail "sanitised action not logged"
ok "request-derived text is logged as one printable line"

# 13. memory: a ~10 MiB request whose parse tree exceeds the reader's 256 MiB address
# space is refused (the reader's malloc fails, or it dies when its stack cannot grow:
# either way "bad request"), the agent keeps serving; a large
# but ordinary request still works
if ! ldd "$AGENT_BIN" | grepq libasan; then
	python3 -c 'import struct,sys; b=b"{\"action\":\"echo\",\"params\":{\"names\":[" + b",".join([b"1"]*(5*1024*1024-20)) + b"]}}"; sys.stdout.buffer.write(struct.pack(">I",len(b))+b)' |
		$CALL --raw "$SOCK" | grepq '"ok": *false.*bad request' || fail "huge request not refused by the reader"
	python3 -c 'import json,struct,sys; b=json.dumps({"action":"echo","params":{"mode":"a"*(8<<20)}}).encode(); sys.stdout.buffer.write(struct.pack(">I",len(b))+b)' |
		$CALL --raw "$SOCK" | grepq "param 'mode'" || fail "8 MiB request"
	expect_ok echo '{}' > /dev/null
	ok "reader address-space cap: pathological request refused, agent still serving"
fi

# 14. a system call outside the reader's filter kills the reader (test build of the agent
# with the BH_TEST_HOOKS hook): the client gets an error, the monitor logs the SIGSYS and
# keeps serving with the next reader
stop_agent
AGENT_BIN="$BUILD/tests/helpers/blockhost-root-agent-testd"
[ -x "$AGENT_BIN" ] || fail "$AGENT_BIN not built"
BH_TEST_FORBIDDEN_SYSCALL=1 start_agent
out=$(call echo '{}')
case $out in *'"ok": false'*'no answer from the request reader'*|*'"ok":false'*'no answer from the request reader'*) ;;
	*) fail "reader under a forbidden syscall: $out" ;; esac
for _ in $(seq 50); do grep -q 'killed by SIGSYS' "$T/agent.log" && break; sleep 0.1; done
grep -q 'test: request reader calling mount(2) under the filter' "$T/agent.log" &&
	grep -q 'killed by SIGSYS' "$T/agent.log" || { cat "$T/agent.log"; fail "reader not killed by SIGSYS"; }
! grep -aq BH_TEST_FORBIDDEN_SYSCALL "$BIN/blockhost-root-agent" || fail "production agent has the test hook"
ok "agent reader: a syscall outside its filter kills it with SIGSYS (the production binary has no hook)"
# 14b. ... and one outside seccomp/blockhost-root-agent-handler kills the connection
# handler's checker: the launcher answers "internal error" and logs the SIGSYS
stop_agent
BH_TEST_HANDLER_FORBIDDEN_SYSCALL=1 start_agent
out=$(call echo '{}')
case $out in *'"ok": false'*'internal error'*|*'"ok":false'*'internal error'*) ;;
	*) fail "handler under a forbidden syscall: $out" ;; esac
for _ in $(seq 50); do grep -q 'blockhost-root-agent-handler' "$T/agent.log" && break; sleep 0.1; done
grep -q 'test: connection handler calling mount(2) under the filter' "$T/agent.log" &&
	grep -q 'killed by SIGSYS: a system call outside seccomp/blockhost-root-agent-handler' "$T/agent.log" ||
	{ cat "$T/agent.log"; fail "handler not killed by SIGSYS"; }
! grep -aq BH_TEST_HANDLER_FORBIDDEN_SYSCALL "$BIN/blockhost-root-agent" || fail "production agent has the handler test hook"
ok "agent connection handler: a syscall outside its filter kills it with SIGSYS"
