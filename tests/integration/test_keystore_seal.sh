#!/usr/bin/env bash
# Keystore CLI against a swtpm: init seals three keys to PCR 16, unseal round trip
# (address / export-pubkey), recovery file written once, status names a changed PCR,
# unseal refused with the PCR named, wrong passphrase refused, recover + reseal
# restore the same keys, no key bytes anywhere in the tree, missing blob / no TPM /
# non-loopback TCTI are distinct errors.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
command -v tpm2_pcrextend >/dev/null || skip "tpm2-tools missing"
ks_start_swtpm
ks_setup
KSDIR=$BLOCKHOST_ROOT/var/lib/blockhost/keystore
PASS="correct horse battery staple"

# init with a recovery file (passphrase on an fd, never argv)
addr=$(printf '%s\n' "$PASS" | "$KS" init --recovery "$T/recovery.bhkr" --passphrase-fd 0 \
	--kdf interactive)
[[ $addr =~ ^0x[0-9a-fA-F]{40}$ ]] || fail "init printed '$addr'"
for k in wallet server-ecies tls; do
	[ "$(stat -c %a "$KSDIR/$k.blob")" = 600 ] || fail "$k.blob not 0600"
done
[ "$(stat -c %a "$KSDIR")" = 700 ] || fail "keystore dir not 0700"
[ "$(stat -c %a "$T/recovery.bhkr")" = 600 ] || fail "recovery file not 0600"
ok "init sealed three keys (0600) and wrote the recovery file"

ks_expect_fail 1 "already exist" "$KS" init
ok "init refuses to replace existing keys"
rm -rf "$T/other"; mkdir "$T/other"
printf '%s\n' "$PASS" > "$T/pass"
BLOCKHOST_ROOT=$T/other ks_expect_fail 1 "written once" "$KS" --tcti "$TPM_TCTI" init --recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/pass"
ok "recovery file is never overwritten"

# round trip: the address derived from the unsealed key equals init's
[ "$("$KS" address)" = "$addr" ] || fail "address after unseal differs"
pub=$("$KS" export-pubkey)
[[ $pub =~ ^04[0-9a-f]{128}$ ]] || fail "export-pubkey printed '$pub'"
tpub=$("$KS" export-pubkey --tls)
[[ $tpub =~ ^04[0-9a-f]{128}$ ]] && [ "$tpub" != "$pub" ] || fail "export-pubkey --tls '$tpub'"
ok "unseal round trip: address $addr, ECIES and TLS public keys"

"$KS" status > "$T/status" || fail "status exit $?"
grep -q "key wallet        bound to PCR 16: ok" "$T/status" || fail "status: $(cat "$T/status")"
"$KS" status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(!j.ok||j.keys.length!==3||j.keys[0].pcrs[0]!==16)process.exit(1)})' ||
	fail "status --json"
ok "status: bound to PCR 16, all match"

# no key bytes or hex anywhere under the test root (blobs, recovery, config, swtpm state)
"$BIN/../tests/helpers/keystore_dumpkeys" "$TPM_TCTI" "$KSDIR" > "$T/keys.hex.secret" ||
	fail "dumpkeys"
python3 - "$T" <<'PY' || fail "key material found in the tree"
import os, sys
root = sys.argv[1]
keys = [bytes.fromhex(l.strip()) for l in open(os.path.join(root, "keys.hex.secret"))]
pats = []
for k in keys:
    pats += [k, k.hex().encode(), k.hex().upper().encode()]
bad = 0
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if f == "keys.hex.secret" or os.path.islink(p) or not os.path.isfile(p):
            continue
        data = open(p, "rb").read()
        for pat in pats:
            if pat in data:
                print("key material in", p); bad = 1
sys.exit(bad)
PY
rm -f "$T/keys.hex.secret"
ok "no raw key bytes or their hex in any file under the test root"

# PCR 16 changes: status names it, unseal refuses naming it (exit 3)
tpm2_pcrextend 16:sha256=0000000000000000000000000000000000000000000000000000000000000001
rc=0; "$KS" status > "$T/status" || rc=$?
[ $rc = 3 ] || fail "status exit $rc after PCR change"
grep -q "PCR 16 changed since sealing" "$T/status" || fail "status: $(cat "$T/status")"
grep -q "PCR 16: current .*CHANGED" "$T/status" || fail "status lacks current value"
ok "status names PCR 16 as changed"
ks_expect_fail 3 "PCR 16 changed" "$KS" address
ok "unseal refused with PCR 16 named (exit 3)"

# recover: wrong passphrase refused; right one reseals to the new value
printf 'wrong passphrase\n' > "$T/wrong"
ks_expect_fail 1 "wrong passphrase" "$KS" recover --recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/wrong"
ok "recover with a wrong passphrase refused"
out=$("$KS" recover --recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/pass")
[ "$out" = "$addr" ] || fail "recover restored $out, expected $addr"
[ "$("$KS" address)" = "$addr" ] || fail "address after recover"
[ "$("$KS" export-pubkey)" = "$pub" ] || fail "ECIES key after recover"
ok "recover restores the same keys, sealed to the new PCR value"

# reseal to another PCR set, then status shows both
[ "$("$KS" reseal --pcrs 7,16)" = "$addr" ] || fail "reseal"
"$KS" status | grepq "bound to PCR 7,16: ok" || fail "status after reseal"
ok "reseal re-binds to PCR 7,16"

# tampered recovery file refused
cp "$T/recovery.bhkr" "$T/tampered"
printf '\x01' | dd of="$T/tampered" bs=1 seek=100 conv=notrunc 2>/dev/null
ks_expect_fail 1 "wrong passphrase or the file was modified" \
	"$KS" recover --recovery "$T/tampered" --passphrase-fd 3 3<"$T/pass"
ok "tampered recovery file refused"

# distinct errors: missing blob (6, path named), no TPM (4), non-loopback TCTI
mv "$KSDIR/tls.blob" "$T/tls.blob"
ks_expect_fail 6 "$KSDIR/tls.blob" "$KS" address
mv "$T/tls.blob" "$KSDIR/tls.blob"
ok "missing blob: exit 6 naming the path"
cp "$KSDIR/wallet.blob" "$T/w"; cp "$KSDIR/tls.blob" "$KSDIR/wallet.blob"
ks_expect_fail 1 "holds key 'tls'" "$KS" address
cp "$T/w" "$KSDIR/wallet.blob"
ok "a blob copied over another key's file is refused"
dead=$(free_port)
ks_expect_fail 4 "no TPM reachable" "$KS" --tcti "swtpm:host=127.0.0.1,port=$dead" address
ok "no TPM: exit 4 with a clear message"
ks_expect_fail 1 "loopback" "$KS" --tcti "swtpm:host=192.0.2.1,port=2321" status
ok "a TCTI off loopback is refused"
for c in init status address export-pubkey recover reseal serve request; do
	"$KS" "$c" --help | grepq "usage: blockhost-keystore" || fail "$c --help"
done
ok "every command has --help"

# The keystore directory sits in a directory the blockhost user can write: whatever is
# planted at its name must not redirect root (init, recover, reseal, status, address).
E=$T/evil; EKS=$E/var/lib/blockhost/keystore
mkdir -p "$E/etc/blockhost" "$E/var/lib/blockhost" "$T/target"
cp "$BLOCKHOST_ROOT/etc/blockhost/keystore.json" "$E/etc/blockhost/"
chmod 700 "$T/target"
ln -s "$T/target" "$EKS"
BLOCKHOST_ROOT=$E ks_expect_fail 1 "is a symbolic link, not a directory (refused); the keystore directory must be" "$KS" init
BLOCKHOST_ROOT=$E ks_expect_fail 1 "is a symbolic link, not a directory (refused); the keystore directory must be" "$KS" recover \
	--recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/pass"
BLOCKHOST_ROOT=$E ks_expect_fail 1 "symbolic link" "$KS" reseal
BLOCKHOST_ROOT=$E ks_expect_fail 1 "symbolic link" "$KS" status
[ -z "$(ls -A "$T/target")" ] || fail "something was written through the symlink: $(ls -A "$T/target")"
ok "a symlink planted at the keystore directory: init/recover/reseal/status refuse, nothing written"
rm "$EKS"; mkdir -m 700 "$EKS"; chown 4242:4242 "$EKS"
BLOCKHOST_ROOT=$E ks_expect_fail 1 "owned by uid 4242 (group 4242); it must be owned by root" "$KS" init
chown root:root "$EKS"; chmod 755 "$EKS"
BLOCKHOST_ROOT=$E ks_expect_fail 1 "mode 0700: refused" "$KS" recover \
	--recovery "$T/recovery.bhkr" --passphrase-fd 3 3<"$T/pass"
[ -z "$(ls -A "$EKS")" ] || fail "written into an untrusted keystore directory"
ok "a keystore directory owned by another user, or with group/other access, is refused"
# symlinks planted at the blob names inside a good directory are replaced, not followed
chmod 700 "$EKS"
echo outside > "$T/target/outside"
for k in wallet server-ecies tls; do ln -s "$T/target/outside" "$EKS/$k.blob"; done
BLOCKHOST_ROOT=$E "$KS" --tcti "$TPM_TCTI" recover --recovery "$T/recovery.bhkr" \
	--passphrase-fd 3 3<"$T/pass" > /dev/null 2>&1 || fail "recover over planted symlinks"
[ "$(cat "$T/target/outside")" = outside ] || fail "a blob was written through a symlink"
for k in wallet server-ecies tls; do
	[ -f "$EKS/$k.blob" ] && [ ! -L "$EKS/$k.blob" ] || fail "$k.blob still a symlink"
done
[ "$(BLOCKHOST_ROOT=$E "$KS" --tcti "$TPM_TCTI" address)" = "$addr" ] || fail "address after recover"
ok "symlinks at the blob names are replaced (renameat), never written through"

# DA lockout: put the TPM into dictionary-attack lockout with a DA-protected object
# and a wrong password; the keystore's objects are noDA, so it keeps working (and a
# lockout on another path is reported as BH_ERR_TPM_LOCKOUT: see test_rc_map).
(
	cd "$T"
	tpm2_dictionarylockout -s -n 1 -t 600 -l 600 >/dev/null
	tpm2_createprimary -C o -c p.ctx -Q && tpm2_flushcontext -t
	printf secret > s.bin
	tpm2_create -C p.ctx -i s.bin -u k.pub -r k.priv -p goodpw -Q && tpm2_flushcontext -t
	tpm2_load -C p.ctx -u k.pub -r k.priv -c k.ctx -Q && tpm2_flushcontext -t
	tpm2_unseal -c k.ctx -p badpw >/dev/null 2>&1 || true; tpm2_flushcontext -t
	tpm2_unseal -c k.ctx -p goodpw > lock.out 2>&1 || true; tpm2_flushcontext -t
	grep -q "0x921" lock.out
) || fail "could not put the swtpm into DA lockout"
tpm2_getcap properties-variable > "$T/getcap.out" 2>&1 || true
grep -q "inLockout:[[:space:]]*1" "$T/getcap.out" || { cat "$T/getcap.out" "$T/lock.out"; fail "TPM not in lockout"; }
[ "$("$KS" address)" = "$addr" ] || fail "keystore locked out by DA lockout"
ok "TPM in dictionary-attack lockout: the keystore (noDA objects) still unseals"
