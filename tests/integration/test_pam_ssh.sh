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

# the prompt ssh showed: upstream's info block, then the whole text to sign on a line of its
# own ("Message: "), how long it is valid, what to do; then upstream's "Paste signature: "
host=$(hostname)
python3 - "$PW3_LOG" "$host" "$PW3_MACHINE" <<'PY' || fail "prompt text differs"
import re, sys, calendar, time
text = open(sys.argv[1]).read().split("\n--END--\n")[0]
want = re.compile(r"^\(w3user@127\.0\.0\.1\) \n=== Web3 Authentication ===\nCode: ([0-9]{6})\nMachine: "
                  + re.escape(sys.argv[3]) + r"\nSign at: https://" + re.escape(sys.argv[2])
                  + r":63108\nMessage: Authenticate to " + re.escape(sys.argv[3])
                  + r" with code: ([0-9]{6}) nonce: [0-9a-f]{32} expires: (\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)Z)\n"
                  r"Valid for 90 seconds, until (\d\d:\d\d:\d\d) UTC\.\n"
                  r"Sign the Message: line with your wallet \(personal_sign, or on the Sign at: page\)\n"
                  r"and paste the 0x\.\.\. signature\.\n"
                  r"\nPaste signature: $")  # sshd appends "\n" to each PAM_TEXT_INFO
m = want.match(text)
if not m:
    print(repr(text)); sys.exit(1)
exp = calendar.timegm(time.strptime(m.group(3), "%Y-%m-%dT%H:%M:%SZ"))
# same code in both places, the shown time is the message's, expiry = now + ttl (a few s slack)
sys.exit(0 if m.group(1) == m.group(2) and m.group(4) == m.group(5)
         and 80 <= exp - time.time() <= 91 else print(m.groups()) or 1)
PY
ok "info block: upstream's lines, Message: line, validity (90 s and the UTC time), what to do, prompt"
grepq -x 'LoginGraceTime 120' "$TOP/src/pam/vm/50-blockhost.conf" || fail "drop-in LoginGraceTime is not 120"
ok "sshd drop-in: LoginGraceTime 120 > otp_ttl 90 + callback grace 10"

# rejections, each with the reason in the log and in what ssh showed the user
wallet=$(node "$TOP/tests/helpers/pam_sign.js" address "$PW3_KEY")
other=$(node "$TOP/tests/helpers/pam_sign.js" address "$PW3_OTHER_KEY")
expect_reject wrong-key "signer is not the user's wallet" "" \
	"Signature rejected: it is from wallet $other, but this VM belongs to the wallet in its NFT, $wallet."
ok "wrong wallet rejected; the user is told both wallets"
expect_reject wrong-code "signer is not the user's wallet" "" "this VM belongs to the wallet in its NFT, $wallet"
ok "wrong OTP rejected"
expect_reject other-machine "signer is not the user's wallet" "" "Signature rejected: it is from wallet 0x"
ok "signature for another machine id rejected"
expect_reject other-nonce "signer is not the user's wallet" "" "Signature rejected: it is from wallet 0x"
ok "signature for another nonce rejected"
expect_reject upstream "signer is not the user's wallet" "" "Signature rejected: it is from wallet 0x"
ok "signature of upstream's message (same code and machine, no nonce) rejected"
expect_reject high-s "signature s value too high" "" "Signature rejected: malformed or truncated"
ok "high-S signature rejected"
PW3_FIXED=0x1234 expect_reject fixed "wrong length" "" \
	"Signature rejected: malformed or truncated (wrong length). Paste the whole 0x... signature (132 characters) on one line."
ok "malformed signature rejected; the user is told it is malformed or truncated"
expect_reject empty "empty answer and no callback session" "" "No signature was entered."
ok "empty answer without a session rejected"

# replay: a signature that logged in once never logs in again
expect_login save;  ok "a login whose signature is kept"
for i in 1 2 3; do
	expect_reject replay "pasted signature rejected: signer is not the user's wallet" "" \
		"but this VM belongs to the wallet in its NFT, $wallet"
done
ok "the accepted signature replayed in new logins is rejected every time"
# the failure backoff: five failures in a row, the sixth attempt is held back with a reason
pw3_clear_backoff
for i in 1 2 3 4 5; do PW3_KEEP_BACKOFF=1 expect_reject replay "signer is not the user's wallet"; done
PW3_KEEP_BACKOFF=1 expect_reject sign "too many failed attempts" "" \
	"Too many failed attempts for this account: try again in "
ok "after 5 failures even the right wallet waits (per-user backoff), and is told how long"
pw3_clear_backoff
expect_login sign;  ok "the right wallet logs in once the backoff is cleared"
expect_reject sign "" w3other
grep -q "pam_web3: user 'w3other'" "$SSHD_LOG" && fail "pam_web3 ran for a non-provisioned user"
ok "another user never reaches pam_web3 (pam_succeed_if guard -> pam_deny)"

# expired OTP: ttl 1 s, the client signs after 3 s
PW3_TTL=1 pw3_config
expect_reject sleep-sign "pasted signature rejected: expired" "" "Challenge expired at "
grepq -F "(it was valid for 1 seconds). Log in again to get a new one." <<< "$PW3_OUT" || { echo "$PW3_OUT"; fail "expired text"; }
ok "expired OTP rejected; the user is told it expired"

# no secret in the logs: no OTP line, no signature
if grep -E 'Code: |0x[0-9a-fA-F]{40,}' "$SSHD_LOG" | grepq pam_web3; then fail "secret material in the log"; fi
ok "logs carry no OTP or signature"
