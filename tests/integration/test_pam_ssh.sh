#!/usr/bin/env bash
# pam_web3 through a real sshd (pam_wrapper + nss_wrapper) and the ssh client answering
# with SSH_ASKPASS; signatures come from ethers (tests/helpers/pam_sign.js), not our code.
# The PAM stack is the VM's (src/pam/vm/pam.d-sshd) and the sshd options are the VM's
# drop-in (src/pam/vm/50-blockhost.conf).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/pam_lib.sh"
pw3_prereqs
pw3_config
pw3_start_sshd
export PW3_LOG="$T/prompts"

# the right wallet: logged in, the command runs; several encodings of the same signature
expect_login sign;   ok "right wallet (ethers signMessage, v=27/28) -> logged in, command ran"
expect_login v0;     ok "v as 0/1"
expect_login no0x;   ok "no 0x prefix"
expect_login upper;  ok "upper-case hex"
grep -q "Accepted keyboard-interactive/pam for $PW3_USER" "$SSHD_LOG" || fail "sshd did not log the login"
grep -q "pam_web3: user '$PW3_USER': authenticated by pasted wallet signature" "$SSHD_LOG" ||
	fail "pam_web3 success line missing"

# the prompt ssh showed is byte-exact upstream: info block + "Paste signature: "
host=$(hostname)
python3 - "$PW3_LOG" "$host" "$PW3_MACHINE" <<'PY' || fail "prompt text differs from upstream"
import re, sys
text = open(sys.argv[1]).read().split("\n--END--\n")[0]
want = re.compile(r"^\(w3user@127\.0\.0\.1\) \n=== Web3 Authentication ===\nCode: [0-9]{6}\nMachine: "
                  + re.escape(sys.argv[3]) + r"\nSign at: https://" + re.escape(sys.argv[2])
                  + r":63108\n\nPaste signature: $")  # sshd appends "\n" to each PAM_TEXT_INFO
sys.exit(0 if want.match(text) else print(repr(text)) or 1)
PY
ok "info block and prompt byte-exact (manual mode)"

# rejections, each with the reason in the log
expect_reject wrong-key "signer is not the user's wallet";         ok "wrong wallet rejected"
expect_reject wrong-code "signer is not the user's wallet";        ok "wrong OTP rejected"
expect_reject other-machine "signer is not the user's wallet";     ok "signature for another machine id rejected"
expect_reject high-s "signature s value too high";                 ok "high-S signature rejected"
PW3_FIXED=0x1234 expect_reject fixed "wrong length";               ok "malformed signature rejected"
expect_reject empty "empty answer and no callback session";        ok "empty answer without a session rejected"
expect_reject sign "" w3other
grep -q "pam_web3: user 'w3other'" "$SSHD_LOG" && fail "pam_web3 ran for a non-provisioned user"
ok "another user never reaches pam_web3 (pam_succeed_if guard -> pam_deny)"

# expired OTP: ttl 1 s, the client signs after 3 s
PW3_TTL=1 pw3_config
expect_reject sleep-sign "pasted signature rejected: expired";    ok "expired OTP rejected"

# no secret in the logs: no OTP line, no signature
if grep -E 'Code: |0x[0-9a-fA-F]{40,}' "$SSHD_LOG" | grepq pam_web3; then fail "secret material in the log"; fi
ok "logs carry no OTP or signature"
