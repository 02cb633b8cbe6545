#!/bin/bash
# SSH_ASKPASS for the pam_web3 tests.  ssh passes the keyboard-interactive prompt as $1:
# "(user@host) " + pam_web3's info block + the prompt.  The text to sign is the info
# block's "Message: " line, taken whole (as any wallet tool would).  From the environment:
#   PW3_MODE   sign | other-machine | wrong-code | other-nonce | upstream | high-s | v0 |
#              no0x | upper | wrong-key | empty | fixed | callback | browser | sleep-sign |
#              save (sign and keep the answer in $PW3_SAVED) | replay (answer $PW3_SAVED)
#   PW3_KEY    the test wallet's private key; PW3_OTHER_KEY for wrong-key
#   PW3_FIXED  the answer for mode fixed
#   PW3_SVC    base URL of web3-auth-svc for mode callback
#   PW3_LOG    file to append the prompt to (for byte-exact checks)
set -u
prompt=$1
[ -n "${PW3_LOG:-}" ] && printf '%s\n--END--\n' "$prompt" >> "$PW3_LOG"
msg=$(printf '%s' "$prompt" | sed -n 's/^Message: \(.*\)$/\1/p')
sid=$(printf '%s' "$prompt" | sed -n 's/^Sign at: .*?session=\([0-9a-f]*\)$/\1/p')
here=$(dirname "$0")
case $PW3_MODE in
empty) echo "" ;;
fixed) printf '%s\n' "$PW3_FIXED" ;;
replay) cat "$PW3_SAVED" ;;
save) node "$here/pam_sign.js" sign "$PW3_KEY" "$msg" | tee "$PW3_SAVED" ;;
wrong-key) node "$here/pam_sign.js" sign "$PW3_OTHER_KEY" "$msg" ;;
sleep-sign) sleep 3; node "$here/pam_sign.js" sign "$PW3_KEY" "$msg" ;;
browser)
	# the signing URL the user would open, pointed at the test service's port
	node "$here/../js/pam-browser.js" "$PW3_SVC/?session=$sid" "$PW3_KEY" >> "${PW3_LOG:-/dev/null}" 2>&1
	echo "" ;;
callback)
	sig=$(node "$here/pam_sign.js" sign "$PW3_KEY" "$msg")
	curl -sk -X POST --data "$sig" "$PW3_SVC/auth/callback/$sid" >> "${PW3_LOG:-/dev/null}" 2>&1
	echo "" ;;
*) node "$here/pam_sign.js" "$PW3_MODE" "$PW3_KEY" "$msg" ;;
esac
