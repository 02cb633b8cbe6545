# Sourced by tests/integration/test_*.sh.  Helpers to start real components in a
# private temp tree and stop them by PID on exit.  Nothing here touches /etc or /var.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BIN="$BUILD/bin"
JS="$TOP/tests/js"
T=$(mktemp -d /tmp/bhtest.XXXXXX)
export BLOCKHOST_ROOT="$T/root"
export BLOCKHOST_POLICY_DIR="$TOP/policy"
export BLOCKHOST_SECCOMP_DIR="$TOP/seccomp"
mkdir -p "$BLOCKHOST_ROOT"

_bh_pids=()
bh_cleanup() {
	local p
	for p in "${_bh_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${_bh_pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	[ -n "${BH_KEEP_TMP:-}" ] || rm -rf "$T"
}
trap bh_cleanup EXIT
trap "exit 143" TERM INT   # so a timeout or Ctrl-C still runs bh_cleanup

# bh_policy_copy: a private copy of policy/ that the test may edit (root-owned and not
# group/world-writable, as the sandbox requires of every policy file); BLOCKHOST_POLICY_DIR
# points at it from now on.
bh_policy_copy() {
	[ -d "$T/policy" ] || { cp -r "$TOP/policy" "$T/policy"; chmod -R go-w "$T/policy"; }
	export BLOCKHOST_POLICY_DIR="$T/policy"
}

# bh_policy_identity SERVICE USER GROUP [SUPPLEMENTARY]: the [identity] of SERVICE in the
# copy, for a test that runs it as another user than production's (daemons refuse to start
# under any identity but their policy's).
bh_policy_identity() {
	bh_policy_copy
	sed -i -e "/^\[identity\]/,/^\[/{s/^user *=.*/user = $2/;s/^group *=.*/group = $3/;s/^supplementary_groups *=.*/supplementary_groups = ${4:-}/}" \
		"$T/policy/$1.policy"
}

# bh_agent_policy GROUP [ACTION...]: in the copy, the root agent's socket group and every
# service user of its [callers] (user:blockhost-prov, -engine, -wizard) become GROUP
# (tests cannot create those accounts; test_agent_callers.sh checks the per-user rules
# with uid: principals), its [libvirt] user becomes nobody:nogroup (the tests' session
# hypervisor owner), and each test ACTION gets a line "ACTION = user:root, group:GROUP".
bh_agent_policy() {
	bh_policy_copy
	local f="$T/policy/blockhost-root-agent.policy" g=$1 a; shift
	sed -i -e "s/^group = blockhost\$/group = $g/" -e "s/group:blockhost/group:$g/g" \
		-e "s/user:blockhost-\(prov\|engine\|wizard\)\b/group:$g/g" "$f"
	bh_agent_libvirt_user nobody nogroup
	for a in "$@"; do echo "$a = user:root, group:$g" >> "$f"; done
}
# bh_agent_libvirt_user USER GROUP [SUPPLEMENTARY]: the [libvirt] user of the copy.
bh_agent_libvirt_user() {
	bh_policy_copy
	sed -i -e "/^\[libvirt\]/,/^\[/{s/^user *=.*/user = $1/;s/^group *=.*/group = $2/;s/^supplementary_groups *=.*/supplementary_groups = ${3:-}/}" \
		"$T/policy/blockhost-root-agent.policy"
}
# bh_agent_socket_mode MODE: the root agent's [socket] mode in the copy.
bh_agent_socket_mode() { sed -i "s/^mode = 0[0-7]*\$/mode = $1/" "$T/policy/blockhost-root-agent.policy"; }

# Remember a PID to stop at exit.
bh_track() { _bh_pids+=("$1"); }

# `cmd | grepq PATTERN`: like grep -q but reads all of its input, so under pipefail the
# writer is never killed by SIGPIPE when the match comes early (a source of flaky fails).
grepq() { grep "$@" > /dev/null; }

skip() { echo "$*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok()   { echo "ok - $*"; }

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# Wait until a TCP port accepts connections (max ~10 s).
wait_port() {
	local port=$1 i
	for i in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Start anvil on a free port; sets ANVIL_PORT, RPC_URL, ANVIL_PID.
ANVIL_BIN="$JS/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
start_anvil() {
	[ -x "$ANVIL_BIN" ] || fail "anvil missing: run 'make deps'"
	ANVIL_PORT=$(free_port)
	"$ANVIL_BIN" --host 127.0.0.1 --port "$ANVIL_PORT" --chain-id "${ANVIL_CHAIN_ID:-31337}" \
		--silent "$@" > "$T/anvil.log" 2>&1 &
	ANVIL_PID=$!; bh_track "$ANVIL_PID"
	wait_port "$ANVIL_PORT" || fail "anvil did not start"
	RPC_URL="http://127.0.0.1:$ANVIL_PORT"
	export RPC_URL ANVIL_PORT
}

# JSON-RPC call: rpc METHOD PARAMS_JSON -> prints the "result" (jq-free, via node).
rpc() {
	curl -s -X POST -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL" |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.error){console.error(JSON.stringify(j.error));process.exit(1)}console.log(typeof j.result==="string"?j.result:JSON.stringify(j.result))})'
}

# Start swtpm (TCP) on free ports; sets TPM_TCTI (= TPM2TOOLS_TCTI), SWTPM_PORT, SWTPM_PID.
start_swtpm() {
	command -v swtpm >/dev/null || fail "swtpm missing: run 'make deps'"
	local port ctrl i
	for i in $(seq 20); do  # the tss2 swtpm TCTI derives the control port as port+1
		port=$(free_port); ctrl=$((port + 1))
		python3 -c 'import socket,sys;s=socket.socket();s.bind(("127.0.0.1",int(sys.argv[1])))' "$ctrl" 2>/dev/null && break
	done
	mkdir -p "$T/swtpm"
	swtpm socket --tpm2 --tpmstate dir="$T/swtpm" \
		--server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port="$ctrl",bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear --log file="$T/swtpm.log",level=1 </dev/null &
	SWTPM_PID=$!; bh_track "$SWTPM_PID"
	wait_port "$port" || fail "swtpm did not start"
	wait_port "$ctrl" || fail "swtpm control port did not open"
	SWTPM_PORT=$port
	TPM_TCTI="swtpm:host=127.0.0.1,port=$port"
	TPM2TOOLS_TCTI=$TPM_TCTI
	export TPM_TCTI TPM2TOOLS_TCTI SWTPM_PORT
}
