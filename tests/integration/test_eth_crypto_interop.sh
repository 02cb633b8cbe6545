#!/usr/bin/env bash
# Interop against independent implementations (ethers 6, @noble/curves 2, node AES-GCM):
#  1. fresh random vectors from tests/js/vectors-crypto.js are fed to the C unit tests
#     (BH_CRYPTO_VECTORS), which must reproduce ethers' addresses and signatures byte
#     for byte and decrypt noble's ECIES and node's symmetric blobs;
#  2. `vectors-crypto.js interop` drives bhcrypt: noble/node decrypt what bhcrypt
#     encrypted, bhcrypt decrypts theirs, signatures equal ethers', tampering fails.
source "$(dirname "$0")/../lib.sh"

BHCRYPT="$BIN/bhcrypt"
[ -x "$BHCRYPT" ] || fail "bhcrypt not built ($BHCRYPT)"
command -v node >/dev/null || skip "node missing"
[ -d "$JS/node_modules/ethers" ] && [ -d "$JS/node_modules/@noble/curves" ] ||
	skip "ethers/noble missing: run 'make deps'"

ROUNDS=${BH_INTEROP_ROUNDS:-20}
(cd "$JS" && node vectors-crypto.js generate "$ROUNDS") > "$T/fresh.json" ||
	fail "vector generation failed"
ok "generated fresh vectors ($(wc -c < "$T/fresh.json") bytes)"

ran=0
for t in test_eth test_ecies; do
	bin="$BUILD/tests/$t"
	if [ -x "$bin" ]; then
		(cd "$TOP" && BH_CRYPTO_VECTORS="$T/fresh.json" "$bin") > "$T/$t.log" 2>&1 ||
			{ tail -n 30 "$T/$t.log"; fail "$t on fresh vectors"; }
		ok "$t passes on fresh ethers/noble vectors"
		ran=$((ran + 1))
	fi
done
[ "$ran" -gt 0 ] || echo "note: unit-test binaries not built; only the bhcrypt interop runs"

(cd "$JS" && node vectors-crypto.js interop "$BHCRYPT" "$ROUNDS") > "$T/interop.log" 2>&1 ||
	{ grep -v '^ok' "$T/interop.log" | tail -n 30; fail "bhcrypt interop with ethers/noble"; }
ok "bhcrypt interop: $(grep -c '^ok' "$T/interop.log") checks against ethers/noble, 0 failures"

# hostile CLI input: every rejection exits 1 with a message and no stdout
(umask 077; printf '%064x' 7 > "$T/seven.key")   # 0600: a world-readable key file warns
sig=$("$BHCRYPT" sign --private-key-file "$T/seven.key" --message m)
for bad in "" "0x" "${sig}00" "${sig:0:131}" "${sig:0:130}zz" "${sig:0:130}1d" "${sig:0:130}22"; do
	out=$("$BHCRYPT" recover --message m --signature "$bad" 2> "$T/err") && fail "accepted '$bad'"
	[ -z "$out" ] && [ -s "$T/err" ] || fail "rejection of '$bad' not reported properly"
done
ok "bad signature texts rejected with a message"
printf '00' > "$T/zero.key"
"$BHCRYPT" derive-pubkey --private-key-file "$T/zero.key" 2> "$T/err" && fail "accepted a 1-byte key"
grep -q "64 hex digits" "$T/err" || fail "key-length error not named: $(cat "$T/err")"
"$BHCRYPT" checksum 0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266 2> "$T/err" && fail "bad checksum accepted"
grep -q "EIP-55" "$T/err" || fail "checksum error not named"
ok "bad keys and checksums rejected with a message"
