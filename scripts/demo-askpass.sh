#!/bin/bash
# SSH_ASKPASS for scripts/demo.sh: answers pam_web3's keyboard-interactive prompt like a
# wallet would.  ssh passes the prompt as $1 (pam_web3's info block + "Paste signature: ");
# the block's "Message: " line (machine, one-time code, nonce, expiry) is signed whole
# (EIP-191 personal_sign) with the buyer's key file — the key never appears on a command line.
#   DEMO_BHCRYPT     path of bhcrypt
#   DEMO_BUYER_KEY   the buyer's private key file (0600)
#   DEMO_ASKPASS_LOG file the prompt and the signed message are appended to (optional)
set -u
prompt=$1
msg=$(printf '%s' "$prompt" | sed -n 's/^Message: \(Authenticate to .*\)$/\1/p')
log=${DEMO_ASKPASS_LOG:-/dev/null}
printf -- '--- prompt ---\n%s\n' "$prompt" >> "$log"
if [ -z "$msg" ]; then
	echo "demo-askpass: no 'Message:' line in the prompt" >> "$log"
	echo ""
	exit 0
fi
printf 'signing: %s\n' "$msg" >> "$log"
"$DEMO_BHCRYPT" sign --private-key-file "$DEMO_BUYER_KEY" --message "$msg"
