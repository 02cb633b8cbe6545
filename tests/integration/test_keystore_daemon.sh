#!/usr/bin/env bash
# The keystore daemon against a swtpm, running as its own (unprivileged) user:
# serves after a restart; non-dumpable, no capabilities, seccomp on; socket policy
# (unknown uid refused, operation not granted refused); frame edge cases over a raw
# socket (over-cap/zero length, split header, stalled client, 128 KiB, trailing bytes,
# caller not in the policy); over 100 stalled connections at once (caps, deadlines, a good
# request answered meanwhile); transaction policy (chain id,
# `to` allowlist, per-tx and per-day caps, deployment) refused with the rule named;
# PCR 16 extended -> refuses to start naming PCR 16; recover + reseal restore
# service; a syscall outside the filter kills it (test build of the daemon).
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
command -v tpm2_pcrextend >/dev/null || skip "tpm2-tools missing"
command -v setpriv >/dev/null || skip "setpriv missing"
[ "$(id -u)" = 0 ] || skip "needs root to run the daemon and clients as other uids"
TESTD="$BUILD/tests/helpers/keystore-testd"
[ -x "$TESTD" ] || fail "$TESTD not built"
ks_start_swtpm
ks_setup
chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
PASS="correct horse battery staple"
printf '%s\n' "$PASS" > "$T/pass"
addr=$("$KS" init --recovery "$T/recovery.bhkr" --passphrase-fd 3 --kdf interactive 3<"$T/pass")
ALLOWED=0x000000000000000000000000000000000000dEaD
ks_site_policy <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, sign_tx, personal_sign, ecies_decrypt, tls_sign
allow = uid:4242 address
allow = gid:4300 address
[transactions]
chain_id = 31337
allow_to = $ALLOWED
max_value_per_tx = 1000
max_value_per_day = 1500
allow_deploy = yes
P

ks_serve || { cat "$T/keystored.log"; fail "daemon did not start"; }
got=$("$KS" request '{"op":"address"}')
[[ $got == *"\"address\":\"$addr\""* ]] || fail "address: $got"
ok "daemon serves the wallet address"
grep -q 'sandbox: policy .*/blockhost-keystore.policy, seccomp .*/blockhost-keystore ([0-9]* rules[^)]*), enforcing: any other system call kills the process' "$T/keystored.log" ||
	{ cat "$T/keystored.log"; fail "no start-up line naming the policy and filter files and enforcement"; }

# hardening visible from /proc
# /proc/<pid>/status against the policy the daemon loaded (issue 19)
/usr/bin/python3 "$TOP/tests/helpers/proc_policy.py" "$KS_PID" "$BLOCKHOST_POLICY_DIR/blockhost-keystore.policy" ||
	fail "the running keystore differs from its policy"
st=/proc/$KS_PID/status
grep -q "^Uid:[[:space:]]*65534" "$st" || fail "daemon not running as nobody: $(grep Uid "$st")"
grep -q "^CapEff:[[:space:]]*0000000000000000" "$st" || fail "capabilities held"
grep -q "^NoNewPrivs:[[:space:]]*1" "$st" || fail "no_new_privs not set"
grep -q "^Seccomp:[[:space:]]*2" "$st" || fail "seccomp filter not active"
# non-dumpable: /proc/<pid>/ files of a non-dumpable process belong to root, not to its uid
[ "$(stat -c %u "/proc/$KS_PID/environ")" = 0 ] || fail "daemon is dumpable"
# (AddressSanitizer turns mlock into a no-op: the check needs a normal build)
if ldd "$KS" | grepq libasan; then
	echo "# sanitizer build: mlock is a no-op under ASan, VmLck not checked"
else
	grep -q "^VmLck:[[:space:]]*[1-9]" "$st" || fail "no locked memory (keys not mlock'd)"
fi
ok "daemon: uid nobody, no capabilities, no_new_privs, seccomp filter, non-dumpable, keys mlock'd"

# socket policy
rc=0; out=$(ks_request_as 12345 '{"op":"address"}') || rc=$?
[ $rc = 7 ] && [[ $out == *'"rule":"socket"'* ]] && [[ $out == *"uid 12345"* ]] ||
	fail "unknown uid not refused: rc=$rc $out"
ok "a peer uid not in the policy is refused (rule socket)"
ks_request_as 4242 '{"op":"address"}' > /dev/null || fail "uid 4242 address"
rc=0; out=$(ks_request_as 4242 '{"op":"personal_sign","message":"x"}') || rc=$?
[ $rc = 7 ] && [[ $out == *"operation personal_sign is not granted to uid 4242"* ]] ||
	fail "ungranted op: rc=$rc $out"
ok "an operation not granted to the uid is refused"

# framing edge cases over a raw socket (docs/PROTOCOL.keystore: 512 KiB cap, 2 s to
# complete a frame, 0 or over-cap lengths and late frames closed without a response,
# bytes after the frame ignored); the daemon keeps serving after each
EDGE() { python3 "$TOP/tests/helpers/keystore_edge.py" "$KS_SOCK" "$@"; }
EDGE overcap || fail "over-cap length"
ok "a length over the 512 KiB cap (and 2^32-1) is closed without a response; daemon keeps serving"
EDGE zero || fail "zero length"
ok "a zero length is closed without a response; daemon keeps serving"
EDGE split || fail "split header"
ok "a header sent in 1-byte pieces with delays is still served"
EDGE stall || fail "stalled client"
ok "a client stalling mid-frame is closed after its time limit; another client is answered (within 10 s)"
EDGE large || fail "128 KiB request"
ok "a 128 KiB request (64 KiB message_hex) is served"
EDGE trailing || fail "bytes after the frame"
ok "bytes after the request frame are ignored (one response, daemon keeps serving)"
# (/usr/bin/python3: a python3 found first in root's PATH may not be usable by nobody)
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 "$TOP/tests/helpers/keystore_edge.py" \
	"$KS_SOCK" stranger || fail "uid 65534 not refused"
# many connections at once (PROTOCOL.keystore "Connections"): stalled ones from allowed
# uids (gid 4300) up to the caps, more beyond them and from strangers (uid 65534)
EDGE flood || fail "flood of stalled connections"
ok "over 100 stalled connections: a good request is answered at once, before any stalled one is cut"
ok "connections over the per-uid cap (and into the slots kept for other uids) are refused at accept with error busy"
ok "each stalled connection is cut at its own deadline while the others are served"
EDGE unread "$ALLOWED" || fail "a client not reading its response"
ok "a client that does not read its (260 KiB) response is cut at its write deadline; others are served meanwhile"
EDGE served || fail "daemon stopped serving after the edge cases"
kill -0 "$KS_PID" || fail "daemon died during the edge cases"
ok "a raw-socket caller not in the policy (uid 65534) is refused (rule socket)"

# transaction policy
tx() { # chain to value [nonce [maxFeePerGas [gas]]]: fee-free unless given (the caps count fees)
	local to=""; [ "$2" = none ] || to=",\"to\":\"$2\""
	echo "{\"op\":\"sign_tx\",\"chainId\":$1,\"nonce\":${4:-0},\"maxPriorityFeePerGas\":\"0x0\",\"maxFeePerGas\":\"${5:-0}\",\"gas\":${6:-21000}$to,\"value\":\"$3\"}"
}
expect_rule() { # rule request
	local rc=0 out; out=$("$KS" request "$2") || rc=$?
	[ $rc = 7 ] && [[ $out == *"\"rule\":\"$1\""* ]] || fail "expected rule $1: rc=$rc $out"
}
expect_rule chain_id "$(tx 1 $ALLOWED 1)"
ok "wrong chain id refused (rule chain_id)"
expect_rule to_allowlist "$(tx 31337 0x000000000000000000000000000000000000bEEF 1)"
ok "to outside the allowlist refused (rule to_allowlist)"
expect_rule max_value_per_tx "$(tx 31337 $ALLOWED 1001)"
ok "value over the per-transaction cap refused (rule max_value_per_tx)"
expect_rule max_value_per_tx "$(tx 31337 $ALLOWED 1 0 0x3b9aca00 21000)"
expect_rule max_value_per_tx "$(tx 31337 $ALLOWED 0 0 1 '"18446744073709551615"')"
ok "1 wei of value with 21000 gas at 1 gwei (or 2^64-1 gas) refused: fees count (rule max_value_per_tx)"
rc=0; out=$("$KS" request '{"op":"sign_tx","chainId":31337,"nonce":0,"maxPriorityFeePerGas":"2","maxFeePerGas":"1","gas":21000,"to":"'$ALLOWED'"}') || rc=$?
[ $rc = 1 ] && [[ $out == *bad_request* ]] && [[ $out == *"maxPriorityFeePerGas 2 wei exceeds maxFeePerGas 1 wei"* ]] ||
	fail "tip above the fee cap: rc=$rc $out"
ok "a tip (maxPriorityFeePerGas) above maxFeePerGas is refused naming both fields"
"$KS" request "$(tx 31337 $ALLOWED 1000)" > "$T/signed" || fail "sign_tx in policy: $(cat "$T/signed")"
grep -q '"raw":"0x02' "$T/signed" || fail "no raw type-2 transaction"
expect_rule max_value_per_day "$(tx 31337 $ALLOWED 600 1)"
ok "per-day cap enforced after 1000 of 1500 wei (rule max_value_per_day)"
expect_rule deployment "$(tx 31337 none 0)"
FLAG=$BLOCKHOST_ROOT/etc/blockhost/finalization-open
install -m 0644 -o root -g root /dev/null "$FLAG"
"$KS" request "$(tx 31337 none 0)" > /dev/null || fail "deployment while finalization open"
rm "$FLAG"
expect_rule deployment "$(tx 31337 none 0)"
ok "deployment only while finalization is open (rule deployment)"
# the engine's user cannot open the gate: a flag it owns, a writable flag, a symlink
# to a root-owned file, the old flag location in the state dir: all refused
install -m 0644 -o nobody -g nogroup /dev/null "$FLAG"
expect_rule deployment "$(tx 31337 none 0)"
chown root:root "$FLAG"; chmod 0664 "$FLAG"
expect_rule deployment "$(tx 31337 none 0)"
rm "$FLAG"; ln -s /etc/passwd "$FLAG"
expect_rule deployment "$(tx 31337 none 0)"
rm "$FLAG"; install -m 0644 -o root -g root /dev/null "$BLOCKHOST_ROOT/var/lib/blockhost/finalization-open"
expect_rule deployment "$(tx 31337 none 0)"
rm "$BLOCKHOST_ROOT/var/lib/blockhost/finalization-open"
grep -q "finalization-open ignored: not owned by root" "$T/keystored.log" ||
	fail "the refusal does not say why: $(tail -3 "$T/keystored.log")"
ok "a non-root-owned, group-writable or symlinked flag does not open the deployment gate"
"$KS" request '{"op":"personal_sign","message":"hello"}' | grepq '"signature":"0x' || fail personal_sign
"$KS" request '{"op":"tls_sign","digest":"0x'"$(printf 'ab%.0s' $(seq 32))"'"}' | grepq '"signature":"0x30' ||
	fail tls_sign
rc=0; out=$("$KS" request '{"op":"export_private_key"}') || rc=$?
[ $rc = 1 ] && [[ $out == *bad_request* ]] || fail "unknown op: $out"
ok "personal_sign and tls_sign work; unknown operations are rejected"
rc=0; out=$("$KS" request '{"op":"address","x\u001b[2J\nFAKE: forged line":1}') || rc=$?
[ $rc = 1 ] && [[ $out == *"unknown field 'x?[2J?FAKE: forged line'"* ]] || fail "unknown field: $out"
grep -q "unknown field 'x?\[2J?FAKE: forged line'" "$T/keystored.log" || fail "not logged sanitised"
! grep -q "^FAKE: forged line" "$T/keystored.log" && ! grep -q $'\x1b' "$T/keystored.log" ||
	fail "a control character from a request reached the daemon's log"
ok "a field name with control characters is logged and answered as printable ASCII"

# restart: serves again, the daily counter survived
# (SIGTERM: a clean exit 0 under the filter, the socket removed with unlinkat)
kill "$KS_PID"; rc=0; wait "$KS_PID" 2>/dev/null || rc=$?
[ $rc = 0 ] || fail "daemon exit $rc on SIGTERM (a syscall outside the filter at exit?)"
[ ! -e "$KS_SOCK" ] || fail "socket left behind at exit"
[ "$(stat -c %a "$BLOCKHOST_ROOT/var/lib/blockhost/keystore/daily-value.json")" = 600 ] ||
	fail "counter not written 0600 under the filter"
ks_serve || { tail "$T/keystored.log"; fail "daemon did not restart"; }
[[ $("$KS" request '{"op":"address"}') == *"$addr"* ]] || fail "address after restart"
expect_rule max_value_per_day "$(tx 31337 $ALLOWED 600 1)"
ok "daemon serves after a restart; the per-day counter persisted"
kill "$KS_PID"; wait "$KS_PID" 2>/dev/null || true

# the site policy must be root's and not group/world-writable
SITE=$BLOCKHOST_ROOT/etc/blockhost/keystore.policy
for how in "chown nobody" "chmod 664" "chmod 646"; do
	$how "$SITE"
	rc=0; setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" serve --no-setid \
		2> "$T/site.log" || rc=$?
	[ $rc != 0 ] && grep -q "keystore.policy: refused: the site policy must be a regular file owned by root" "$T/site.log" ||
		fail "site policy after '$how' not refused: rc=$rc $(cat "$T/site.log")"
	chown root:root "$SITE"; chmod 644 "$SITE"
done
mv "$SITE" "$SITE.real"; ln -s "$SITE.real" "$SITE"
rc=0; setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" serve --no-setid 2> "$T/site.log" || rc=$?
[ $rc != 0 ] && grep -q "keystore.policy: is a symbolic link" "$T/site.log" || fail "symlinked site policy: $(cat "$T/site.log")"
rm "$SITE"; mv "$SITE.real" "$SITE"
ok "a site policy owned by another user, group/world-writable or a symlink is refused at start"

# PCR 16 extended: the daemon refuses to start and names PCR 16
tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001
: > "$T/keystored.log"
rc=0; setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" serve --no-setid \
	2> "$T/keystored.log" || rc=$?
[ $rc = 3 ] || { cat "$T/keystored.log"; fail "daemon exit $rc with PCR 16 changed"; }
grep -q "PCR 16 changed since sealing" "$T/keystored.log" || fail "PCR 16 not named: $(cat "$T/keystored.log")"
ok "PCR 16 extended: daemon refuses to start and names PCR 16"

# recover + reseal restore service
chown -R root:root "$BLOCKHOST_ROOT/var/lib/blockhost/keystore"
"$KS" recover --recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/pass" > /dev/null || fail recover
"$KS" reseal --owner nobody > /dev/null || fail reseal
[ "$(stat -c %U "$BLOCKHOST_ROOT/var/lib/blockhost/keystore/wallet.blob")" = nobody ] &&
[ "$(stat -c %U "$BLOCKHOST_ROOT/var/lib/blockhost/keystore")" = nobody ] || fail "reseal --owner"
ks_serve || { cat "$T/keystored.log"; fail "daemon did not start after recover"; }
[[ $("$KS" request '{"op":"address"}') == *"$addr"* ]] || fail "address after recover"
ok "recover + reseal restore service with the same wallet"
kill "$KS_PID"; wait "$KS_PID" 2>/dev/null || true

# a syscall outside the filter kills the daemon (test build: --test-forbidden-syscall)
chown -R nobody:nogroup "$BLOCKHOST_ROOT/var/lib/blockhost/keystore"
rc=0; setpriv --reuid=nobody --regid=nogroup --clear-groups "$TESTD" serve --no-setid --test-forbidden-syscall 2> "$T/testd.log" || rc=$?
[ $rc = 159 ] || { cat "$T/testd.log"; fail "forbidden syscall: exit $rc, expected 159 (SIGSYS)"; }
grep -q "calling socket(AF_INET) under the filter" "$T/testd.log" || fail "hook did not run"
! grep -q "did not kill us" "$T/testd.log" || fail "filter did not kill"
ok "socket(AF_INET) after sandboxing kills the daemon with SIGSYS"
# under an identity other than its policy's [identity] it refuses to start, naming both
cp -r "$BLOCKHOST_POLICY_DIR" "$T/policy-wrong"
sed -i '/^\[identity\]/,/^\[/{s/^user = .*/user = daemon/;s/^group = .*/group = daemon/}' "$T/policy-wrong/blockhost-keystore.policy"
chown -R nobody:nogroup "$BLOCKHOST_ROOT/var/lib/blockhost/keystore"
rc=0; BLOCKHOST_POLICY_DIR="$T/policy-wrong" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$KS" serve --no-setid > /dev/null 2> "$T/wrong-id.log" || rc=$?
[ $rc != 0 ] && grep -q "identity: running as uid 65534 gid 65534 groups \[\], but .*blockhost-keystore.policy \[identity\] says user daemon" "$T/wrong-id.log" ||
	fail "keystore under the wrong identity: rc $rc $(cat "$T/wrong-id.log")"
ok "the keystore refuses an identity other than its policy's"
"$KS" serve --help | grepq test-forbidden && fail "production binary has the test hook"
ok "the production binary has no test hook"
