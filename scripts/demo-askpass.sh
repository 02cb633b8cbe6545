#!/bin/bash
# SSH_ASKPASS for scripts/demo.sh: answers pam_web3's keyboard-interactive prompt like a
# wallet would.  ssh passes the prompt as $1 (pam_web3's info block + the prompt line).
#   DEMO_ASKPASS_MODE paste (default): the block's "Message: " line (machine, one-time code,
#                     nonce, expiry) is signed whole (EIP-191 personal_sign) with the buyer's
#                     key file and the 0x... signature is the answer
#                     browser: the block's "Sign at: " URL is opened in headless Chromium
#                     (tests/js/pam-browser.js: an injected wallet holding the buyer's key
#                     signs on the VM's page, which posts the signature to the VM); once the
#                     page says "Press Enter", the answer is an empty line (Enter)
#   DEMO_BHCRYPT     path of bhcrypt
#   DEMO_BUYER_KEY   the buyer's private key file (0600; never on a command line)
#   DEMO_ASKPASS_LOG file the prompt and what was done are appended to (optional)
set -u
prompt=$1
msg=$(printf '%s' "$prompt" | sed -n 's/^Message: \(Authenticate to .*\)$/\1/p')
url=$(printf '%s' "$prompt" | sed -n 's/^Sign at: \(https\{0,1\}:\/\/[^ ]*\)$/\1/p')
log=${DEMO_ASKPASS_LOG:-/dev/null}
printf -- '--- prompt ---\n%s\n' "$prompt" >> "$log"
if [ "${DEMO_ASKPASS_MODE:-paste}" = browser ]; then
	case $url in
	*'?session='*) ;;
	*) echo "demo-askpass: no 'Sign at: ...?session=' URL in the prompt" >> "$log"; echo ""; exit 0 ;;
	esac
	printf 'browser: %s\n' "$url" >> "$log"
	node "$(dirname "$0")/../tests/js/pam-browser.js" "$url" --key-file "$DEMO_BUYER_KEY" >> "$log" 2>&1 ||
		echo "demo-askpass: the browser did not get the signature accepted" >> "$log"
	echo ""
	exit 0
fi
if [ -z "$msg" ]; then
	echo "demo-askpass: no 'Message:' line in the prompt" >> "$log"
	echo ""
	exit 0
fi
printf 'signing: %s\n' "$msg" >> "$log"
"$DEMO_BHCRYPT" sign --private-key-file "$DEMO_BUYER_KEY" --message "$msg"
