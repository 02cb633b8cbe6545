# Sourced by tests/integration/test_keystore_*.sh after tests/lib.sh.
#
# ks_start_swtpm: tests/lib.sh's start_swtpm (control port = server port + 1, as the
# tss2 "swtpm:" TCTI requires).  Sets TPM_TCTI, TPM2TOOLS_TCTI, SWTPM_PID, SWTPM_PORT.
KS="$BIN/blockhost-keystore"
ks_start_swtpm() { start_swtpm; }

# The keystore tree and config under $BLOCKHOST_ROOT (PCR 16: resettable, for tests).
ks_setup() {
	[ -x "$KS" ] || fail "$KS not built"
	# the daemon runs as nobody here: its policy's [identity] in a private copy says so
	bh_policy_identity blockhost-keystore nobody nogroup
	mkdir -p "$BLOCKHOST_ROOT/etc/blockhost" "$BLOCKHOST_ROOT/var/lib/blockhost" \
		"$BLOCKHOST_ROOT/run/blockhost"
	printf '{"tcti": "%s", "pcrs": [%s]}\n' "$TPM_TCTI" "${KS_PCRS:-16}" \
		> "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
}

# Expect a command to fail with exit code $1 and its stderr to contain $2.
ks_expect_fail() {
	local code=$1 pat=$2 rc=0; shift 2
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" = "$code" ] || { cat "$T/err" >&2; fail "$* exited $rc, expected $code"; }
	grep -q -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "$*: stderr lacks '$pat'"; }
}

# The daemon as user nobody (its "own user" in tests: blobs and state chowned to it).
# ks_serve [BINARY [ARGS...]]: starts it, waits for the socket; sets KS_PID.
KS_SOCK="$BLOCKHOST_ROOT/run/blockhost/keystore.sock"
ks_serve() {
	local bin=${1:-$KS}; shift || true
	chmod 755 "$T"
	chown -R nobody:nogroup "$BLOCKHOST_ROOT/var/lib/blockhost/keystore" "$BLOCKHOST_ROOT/run/blockhost"
	rm -f "$KS_SOCK"
	# LeakSanitizer needs ptrace, which a non-dumpable process forbids: in a sanitizer
	# build the daemon runs with leak detection off (unit tests and the fuzz replay
	# cover the same code for leaks in-process).
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" serve --no-setid "$@" \
		2>> "$T/keystored.log" &
	KS_PID=$!; bh_track "$KS_PID"
	local i
	for i in $(seq 100); do
		[ -S "$KS_SOCK" ] && "$KS" request '{"op":"address"}' >/dev/null 2>&1 && return 0
		kill -0 "$KS_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Site policy for tests (replaces [socket]/[transactions] of policy/blockhost-keystore.policy).
ks_site_policy() {
	cat > "$BLOCKHOST_ROOT/etc/blockhost/keystore.policy"
	chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.policy"
}

# Send a request as uid $1 (numeric), print the response.
ks_request_as() {
	local uid=$1; shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups "$KS" request --socket "$KS_SOCK" "$@"
}
