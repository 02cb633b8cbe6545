#!/bin/bash
# SSH_ASKPASS for scripts/demo.sh: answers pam_web3's keyboard-interactive prompt like a
# wallet would.  ssh passes the prompt as $1 (pam_web3's info block + "Paste signature: ");
# the machine name and the one-time code are taken from it and signed (EIP-191
# personal_sign) with the buyer's key file — the key never appears on a command line.
#   DEMO_BHCRYPT     path of bhcrypt
#   DEMO_BUYER_KEY   the buyer's private key file (0600)
#   DEMO_ASKPASS_LOG file the prompt and the signed message are appended to (optional)
set -u
prompt=$1
code=$(printf '%s' "$prompt" | sed -n 's/^Code: \([0-9]*\)$/\1/p')
machine=$(printf '%s' "$prompt" | sed -n 's/^Machine: \(.*\)$/\1/p')
log=${DEMO_ASKPASS_LOG:-/dev/null}
printf -- '--- prompt ---\n%s\n' "$prompt" >> "$log"
if [ -z "$code" ] || [ -z "$machine" ]; then
	echo "demo-askpass: no 'Machine:'/'Code:' lines in the prompt" >> "$log"
	echo ""
	exit 0
fi
msg="Authenticate to $machine with code: $code"
printf 'signing: %s\n' "$msg" >> "$log"
"$DEMO_BHCRYPT" sign --private-key-file "$DEMO_BUYER_KEY" --message "$msg"
