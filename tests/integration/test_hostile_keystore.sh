#!/usr/bin/env bash
# The keystore socket's catalogue of hostile requests (tests/hostile_keystore.tsv, issue
# 11 item 9), against the real daemon on a swtpm, running as its own user: every row is
# answered with its documented error (or closed without a response), the message says
# what was wrong, and the daemon serves a plain request after each row.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
command -v setpriv >/dev/null || skip "setpriv missing"
[ "$(id -u)" = 0 ] || skip "needs root to run the daemon as its own user"
ks_start_swtpm
ks_setup
chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
printf 'correct horse battery staple\n' > "$T/pass"
"$KS" init --recovery "$T/recovery.bhkr" --passphrase-fd 3 --kdf interactive 3<"$T/pass" > /dev/null
ALLOWED=0x000000000000000000000000000000000000dEaD
OTHER=0x000000000000000000000000000000000000bEEF
ks_site_policy <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, sign_tx, personal_sign, ecies_decrypt, tls_sign
allow = uid:4242 address
[transactions]
chain_id = 31337
allow_to = $ALLOWED
max_value_per_tx = 1000
max_value_per_day = 1500
max_fee_per_gas = 1000000000000
allow_deploy = no
P
ks_serve || { cat "$T/keystored.log"; fail "daemon did not start"; }

NOFEE='"chainId":31337,"nonce":0,"gas":21000,"to":"'$ALLOWED'"'
TX='"chainId":31337,"nonce":0,"maxPriorityFeePerGas":0,"maxFeePerGas":0,"gas":21000,"to":"'$ALLOWED'"'
python3 "$TOP/tests/helpers/keystore_edge.py" "$KS_SOCK" table "$TOP/tests/hostile_keystore.tsv" \
	"TXNOFEE=$NOFEE" "TX=$TX" "TO=$ALLOWED" "OTHER=$OTHER" ||
	{ tail -n 20 "$T/keystored.log"; fail "hostile keystore rows"; }
ok "every row of tests/hostile_keystore.tsv answered as documented; daemon served after each"
kill -0 "$KS_PID" || fail "daemon died"
[ "$(ls /proc/$KS_PID/fd | wc -l)" -lt 32 ] || fail "fd leak: $(ls /proc/$KS_PID/fd | wc -l) open"
ok "daemon alive, $(ls /proc/$KS_PID/fd | wc -l) fds open"
