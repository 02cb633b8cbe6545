# Sourced by tests/integration/test_pam_*.sh after tests/lib.sh.  A private sshd on
# 127.0.0.1:<free port> whose PAM stack (pam_wrapper) is the VM's auth section from
# src/pam/vm/pam.d-sshd with the built pam_web3.so, and a test user from nss_wrapper
# whose GECOS is wallet=<addr>,nft=7.  Nothing in /etc is touched.
PAM_SO="$BUILD/lib/pam_web3.so"
PW3_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
PW3_OTHER_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
PW3_USER=w3user
PW3_MACHINE=blockhost-042
PW3_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export PW3_KEY PW3_OTHER_KEY

pw3_prereqs() {
	[ "$(id -u)" = 0 ] || skip "needs root (sshd changes to the test user)"
	[ -x /usr/sbin/sshd ] || skip "openssh-server missing"
	[ -e /usr/lib/x86_64-linux-gnu/libpam_wrapper.so ] || skip "libpam-wrapper missing"
	[ -e /usr/lib/x86_64-linux-gnu/libnss_wrapper.so ] || skip "libnss-wrapper missing"
	[ -f "$PAM_SO" ] || fail "$PAM_SO not built"
	[ -d "$JS/node_modules/ethers" ] || skip "ethers missing: make deps"
}

# pw3_config [extra [auth] lines]; otp_ttl_seconds from $PW3_TTL (default 90, the module's)
pw3_config() {
	mkdir -p "$BLOCKHOST_ROOT/etc/pam_web3"
	local f="$BLOCKHOST_ROOT/etc/pam_web3/config.toml"
	printf '[machine]\nid = "%s"\nsecret_key = "%s"\n\n[auth]\notp_length = 6\notp_ttl_seconds = %s\n%s\n' \
		"$PW3_MACHINE" "$PW3_SECRET" "${PW3_TTL:-90}" "${1:-}" > "$f"
	chmod 0640 "$f"
}

pw3_start_sshd() {
	local d="$T/sshd" addr
	mkdir -p "$d/pam" /run/sshd "$T/home" "$BLOCKHOST_ROOT/run/libpam-web3"
	chmod 755 "$T" "$T/home"
	addr=$(node "$TOP/tests/helpers/pam_sign.js" address "$PW3_KEY")
	PW3_ADDR=$addr
	cp /etc/passwd "$d/passwd"; cp /etc/group "$d/group"
	# the wallet in GECOS deliberately in lower case with capitals mixed in by the checksum
	echo "$PW3_USER:x:4242:4242:wallet=$addr,nft=7:$T/home:/bin/sh" >> "$d/passwd"
	echo "w3other:x:4243:4242:wallet=$addr,nft=8:$T/home:/bin/sh" >> "$d/passwd"
	echo "w3group:x:4242:" >> "$d/group"
	# the VM's auth section, with the module's absolute path and test arguments
	sed -e "s/@USERNAME@/$PW3_USER/" -e "s#pam_web3.so#$PAM_SO stderr config=$BLOCKHOST_ROOT/etc/pam_web3/config.toml run_dir=$BLOCKHOST_ROOT/run/libpam-web3#" \
		-e '/^account\|^session\|^@include\|^password/d' "$TOP/src/pam/vm/pam.d-sshd" > "$d/pam/sshd"
	printf 'account required pam_permit.so\nsession required pam_permit.so\n' >> "$d/pam/sshd"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' > "$d/pam/other"
	ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey"
	SSHD_PORT=$(free_port)
	{
		echo "Port $SSHD_PORT"; echo "ListenAddress 127.0.0.1"; echo "HostKey $d/hostkey"
		echo "PidFile $d/sshd.pid"; echo "StrictModes no"
		grep -v '^#' "$TOP/src/pam/vm/50-blockhost.conf" | grep .
	} > "$d/sshd_config"
	/usr/sbin/sshd -t -f "$d/sshd_config" || fail "sshd -t rejected the config"
	# a SANITIZE=1 module needs the ASan runtime first in sshd (which is not instrumented)
	local pre="libpam_wrapper.so libnss_wrapper.so" asan
	asan=$(ldd "$PAM_SO" | awk '/libasan/ {print $3}')
	[ -z "$asan" ] || pre="$asan $pre"
	env LD_PRELOAD="$pre" PAM_WRAPPER=1 NSS_WRAPPER_DISABLE_DEEPBIND=1 \
		ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		PAM_WRAPPER_SERVICE_DIR="$d/pam" NSS_WRAPPER_PASSWD="$d/passwd" NSS_WRAPPER_GROUP="$d/group" \
		BLOCKHOST_ROOT="$BLOCKHOST_ROOT" /usr/sbin/sshd -D -e -f "$d/sshd_config" > "$d/log" 2>&1 &
	SSHD_PID=$!; bh_track "$SSHD_PID"
	wait_port "$SSHD_PORT" || { cat "$d/log"; fail "sshd did not start"; }
	SSHD_LOG="$d/log"
}

# pw3_ssh MODE [user] -> runs `echo LOGIN-OK-$(id -u)` over ssh (no NSS for the session); prints ssh's output; rc of ssh
# LogLevel INFO: ssh prints what pam_web3 tells the user after a failed attempt (sshd sends the
# PAM_ERROR_MSG text as a keyboard-interactive request without prompts; ssh logs it at INFO).
# PW3_SAVED: where modes save/replay keep a signature.
pw3_ssh() {
	local mode=$1 user=${2:-$PW3_USER}
	PW3_MODE=$mode PW3_SAVED="$T/saved-sig" SSH_ASKPASS="$TOP/tests/helpers/pam_askpass.sh" \
		SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 60 setsid -w ssh -p "$SSHD_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		-o LogLevel=INFO "$user@127.0.0.1" 'echo LOGIN-OK-$(id -u)' </dev/null 2>&1
}

# the per-user failure backoff would stop a test's run of deliberate failures after 5;
# tests that are not about the backoff start each attempt with a clean record
pw3_clear_backoff() {
	rm -f "$BLOCKHOST_ROOT/run/libpam-web3/state"/f-*
}

# expect_login MODE [user]: must log in and run the command
expect_login() {
	local out
	out=$(pw3_ssh "$@") || { echo "$out"; tail -n 20 "$SSHD_LOG"; fail "login failed for mode $1"; }
	case $out in *"LOGIN-OK-4242"*) ;; *) echo "$out"; fail "command did not run ($1)";; esac
}

# expect_reject MODE LOGLINE [user] [SAYS]: must be refused, sshd's log must contain LOGLINE
# and what ssh showed the user must contain SAYS (ssh's output is left in $PW3_OUT)
expect_reject() {
	local mode=$1 want=$2 user=${3:-$PW3_USER} says=${4:-} out n0
	[ -n "${PW3_KEEP_BACKOFF:-}" ] || pw3_clear_backoff
	n0=$(wc -l < "$SSHD_LOG")
	if out=$(pw3_ssh "$mode" "$user"); then echo "$out"; fail "mode $mode logged in"; fi
	PW3_OUT=$out
	case $out in *LOGIN-OK*) fail "mode $mode ran the command";; esac
	[ -z "$says" ] || grepq -F -- "$says" <<< "$out" || { echo "$out"; fail "mode $mode: the user was not told '$says'"; }
	sleep 0.3
	tail -n +"$((n0 + 1))" "$SSHD_LOG" | grepq -F -- "$want" ||
		{ tail -n +"$((n0 + 1))" "$SSHD_LOG"; fail "mode $mode: log lacks '$want'"; }
}

# pw3_start_svc: web3-auth-svc as nobody (no capabilities, its seccomp filter) on a free
# port on 127.0.0.1; pending dir root:nogroup 0770 shared with pam_web3.
pw3_start_svc() {
	local run="$BLOCKHOST_ROOT/run/libpam-web3" tls="$BLOCKHOST_ROOT/etc/libpam-web3/tls"
	[ -x "$BIN/web3-auth-svc" ] || fail "$BIN/web3-auth-svc not built"
	mkdir -p "$run/pending" "$tls"
	chmod 755 "$T" "$BLOCKHOST_ROOT" "$BLOCKHOST_ROOT/run" "$run" "$BLOCKHOST_ROOT/etc" \
		"$BLOCKHOST_ROOT/etc/libpam-web3"
	chown root:nogroup "$run/pending"; chmod 0770 "$run/pending"
	chown nobody "$tls"
	SVC_PORT=$(free_port)
	bh_policy_identity web3-auth-svc nobody nogroup   # its [identity] in a test copy
	${PW3_SVC_WRAP:-} setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all \
		"$BIN/web3-auth-svc" --port "$SVC_PORT" --bind 127.0.0.1 --pages "$TOP/src/pam/pages" \
		> "$T/svc.log" 2>&1 &
	SVC_PID=$!; bh_track "$SVC_PID"
	wait_port "$SVC_PORT" || { cat "$T/svc.log"; fail "web3-auth-svc did not start"; }
	PW3_SVC="https://127.0.0.1:$SVC_PORT"; export PW3_SVC
	grep -q '(sandboxed)' "$T/svc.log" || { cat "$T/svc.log"; fail "web3-auth-svc is not sandboxed"; }
}
