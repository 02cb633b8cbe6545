# Sourced by tests/integration/test_agent_*.sh after tests/lib.sh.
# Sets up a private actions dir, a test signing key and a running root agent.
AGENT_BIN="$BIN/blockhost-root-agent"
SIGN="$BIN/blockhost-sign-plugin"
VERIFY="$BIN/blockhost-verify-plugin"
CALL="/usr/bin/python3 $TOP/tests/helpers/agent_call.py"
TESTPLUGIN="$BUILD/agent-test-plugins/bh-test-plugin"
ACT="$BLOCKHOST_ROOT/usr/share/blockhost/root-agent-actions"
KEYS="$T/plugin-keys"
SOCK="$BLOCKHOST_ROOT/run/blockhost/root-agent.sock"
# an existing group stands in for "blockhost" (tests never edit /etc/group)
AGENT_GROUP=${AGENT_GROUP:-users}

[ "$(id -u)" = 0 ] || skip "root agent tests need root"
[ -x "$AGENT_BIN" ] && [ -x "$TESTPLUGIN" ] || fail "build the agent first"
mkdir -p "$ACT" "$KEYS" "$BLOCKHOST_ROOT/run/blockhost" "$BLOCKHOST_ROOT/var/lib/blockhost"
chmod 0755 "$T" "$BLOCKHOST_ROOT" # let setpriv'd clients reach the socket
"$SIGN" keygen "$T/test.key" "$KEYS" > /dev/null
# the agent's [socket] group and [callers] in a private policy copy: the shipped actions
# for $AGENT_GROUP, and the test plugins the agent tests install
bh_agent_policy "$AGENT_GROUP" echo rooty greedy script slow

# write_manifest NAME VERSION CAPS_JSON PARAMS_JSON [TIMEOUT_MS] [OUTPUT_MAX] [EXTRA_MEMBERS]
# EXTRA_MEMBERS defaults to ',"run_as":"plugin"' (run_as is required); a root one is
# e.g. ',"run_as":"root","root_equivalent":"test: needs uid 0"'; '' writes no run_as
write_manifest() {
	local h extra=',"run_as":"plugin"'; h=$("$SIGN" hash "$ACT/$1")
	[ $# -ge 7 ] && extra=$7
	cat > "$ACT/$1.manifest" <<EOM
{"format":1,"namespace":"blockhost-plugin-v1","action":"$1","version":$2,
 "sha256":"$h","capabilities":$3,"timeout_ms":${5:-5000},"output_max":${6:-65536},
 "input":"stdin-json","params":$4$extra}
EOM
	chmod 0644 "$ACT/$1.manifest"
}

# sign_action NAME [KEYFILE]
sign_action() { "$SIGN" sign "${2:-$T/test.key}" "$ACT/$1.manifest" > /dev/null; chmod 0644 "$ACT/$1.sig"; }

# install_test_plugin NAME VERSION [CAPS_JSON] [PARAMS_JSON]
install_test_plugin() {
	install -m 0755 "$TESTPLUGIN" "$ACT/$1"
	local params='{"mode":{"type":"string","pattern":"^[a-z]+$"}}'
	write_manifest "$1" "$2" "${3:-[]}" "${4:-$params}"
	sign_action "$1"
}

# start_agent [extra args...]
start_agent() {
	"$AGENT_BIN" --keys-dir "$KEYS" "$@" > "$T/agent.log" 2>&1 &
	AGENT_PID=$!; bh_track "$AGENT_PID"
	# the socket exists before the start-up scan; the log line comes after it
	for _ in $(seq 200); do grep -q 'actions verified' "$T/agent.log" && return 0; sleep 0.05; done
	cat "$T/agent.log"; fail "agent did not start"
}

stop_agent() { kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; }

call() { $CALL "$SOCK" "$@"; }

# expect_ok ACTION PARAMS  /  expect_err ACTION PARAMS SUBSTRING
expect_ok() {
	local out; out=$(call "$1" "$2") || fail "call $1 failed"
	case $out in *'"ok":true'*|*'"ok": true'*) echo "$out" ;; *) fail "$1 $2: expected ok, got $out" ;; esac
}
expect_err() {
	local out; out=$(call "$1" "$2") || fail "call $1 failed"
	case $out in
	*'"ok":false'*"$3"*|*'"ok": false'*"$3"*) ok "$1 refused: $(echo "$out" | head -c 200)" ;;
	*) fail "$1 $2: expected error containing '$3', got $out" ;;
	esac
}
