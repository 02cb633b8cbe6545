#!/usr/bin/env bash
# bhcrypt's upstream-compatible output shapes (upstream.md §1.3): exact bytes, trailing
# newlines only where upstream has them, exit 0/1, errors on stderr, --help everywhere.
source "$(dirname "$0")/../lib.sh"

B="$BIN/bhcrypt"
[ -x "$B" ] || fail "bhcrypt not built ($B)"
umask 077

# generate-keypair: 64 hex, no newline; --show-pubkey: newline + 04 + 128 hex, no newline
"$B" generate-keypair > "$T/k"
[ "$(wc -c < "$T/k")" = 64 ] && grep -Eq '^[0-9a-f]{64}$' "$T/k" || fail "generate-keypair shape"
"$B" generate-keypair --show-pubkey > "$T/kp"
[ "$(wc -c < "$T/kp")" = $((64 + 1 + 130)) ] || fail "generate-keypair --show-pubkey length"
priv=$(head -n1 "$T/kp"); pub=$(tail -n1 "$T/kp")
case $pub in 04*) ;; *) fail "pubkey not uncompressed" ;; esac
head -n1 "$T/kp" | tr -d '\n' > "$T/priv.key"
"$B" derive-pubkey --private-key-file "$T/priv.key" > "$T/dp"
[ "$(cat "$T/dp")" = "$pub" ] && [ "$(wc -c < "$T/dp")" = 130 ] || fail "derive-pubkey"
[ "$("$B" derive-pubkey --private-key "$priv" 2> "$T/err")" = "$pub" ] || fail "derive-pubkey --private-key"
grep -q "visible in the process list" "$T/err" || fail "no argv warning for --private-key"
ok "generate-keypair / derive-pubkey shapes"

# key-to-address: EIP-55 + newline
"$B" key-to-address --key-file "$T/priv.key" > "$T/a"
[ "$(wc -c < "$T/a")" = 43 ] && [ "$(tail -c1 "$T/a" | od -An -c | tr -d ' ')" = '\n' ] ||
	fail "key-to-address shape"
ok "key-to-address shape"

# symmetric: 0x + hex, no newline; round trip; < 28 bytes and bad tag -> exit 1, stdout empty
sig=$("$B" sign --private-key-file "$T/priv.key" --message blockhost-access)
"$B" encrypt-symmetric --signature "$sig" --plaintext '{"hostname":"h","port":22,"username":"u"}' > "$T/s"
grep -Eq '^0x[0-9a-f]+$' "$T/s" && [ "$(tail -c1 "$T/s")" != "" ] || fail "encrypt-symmetric shape"
[ "$(wc -c < "$T/s")" = $((2 + 2 * (12 + 41 + 16))) ] || fail "encrypt-symmetric length"
[ "$("$B" decrypt-symmetric --signature "$sig" --ciphertext "$(cat "$T/s")")" = \
  '{"hostname":"h","port":22,"username":"u"}' ] || fail "decrypt-symmetric"
out=$("$B" decrypt-symmetric --signature "$sig" --ciphertext "0x$(printf '%054d' 0)" 2> "$T/err") &&
	fail "27-byte blob accepted"
[ -z "$out" ] && grep -q "decryption failed" "$T/err" || fail "short symmetric blob message"
bad=$(sed 's/.$/0/' "$T/s"); [ "$bad" = "$(cat "$T/s")" ] && bad=$(sed 's/.$/1/' "$T/s")
"$B" decrypt-symmetric --signature "$sig" --ciphertext "$bad" > "$T/o" 2> "$T/err" && fail "bad tag accepted"
[ ! -s "$T/o" ] && grep -q "decryption failed" "$T/err" || fail "bad tag message"
ok "encrypt-symmetric / decrypt-symmetric"

# ECIES: empty plaintext is allowed (93-byte blob); 92 bytes rejected
"$B" encrypt --pubkey "$pub" --plaintext "" > "$T/e"
[ "$(wc -c < "$T/e")" = $((2 + 2 * 93)) ] || fail "empty-plaintext ECIES length"
[ -z "$("$B" decrypt --private-key-file "$T/priv.key" --ciphertext "$(cat "$T/e")")" ] ||
	fail "empty-plaintext ECIES decrypt"
"$B" decrypt --private-key-file "$T/priv.key" --ciphertext "$(head -c 186 "$T/e")" 2> "$T/err" &&
	fail "92-byte ECIES accepted"
grep -q "shorter than 93" "$T/err" || fail "short ECIES message: $(cat "$T/err")"
ok "ECIES lengths"

# key files: symlinks and directories are refused; whitespace/0x tolerated
ln -s "$T/priv.key" "$T/link.key"
"$B" derive-pubkey --private-key-file "$T/link.key" 2> "$T/err" && fail "symlinked key file accepted"
grep -q "link.key" "$T/err" || fail "key-file error does not name the file"
printf '  0x%s\n\n' "$priv" > "$T/ws.key"
[ "$("$B" derive-pubkey --private-key-file "$T/ws.key")" = "$pub" ] || fail "0x/whitespace key file"
ok "key files"

# --help for every subcommand (exit 0, usage on stdout); unknown command -> 1
for c in generate-keypair derive-pubkey key-to-address encrypt-symmetric decrypt-symmetric \
	encrypt decrypt keccak sign recover verify checksum; do
	"$B" "$c" --help | grepq "^usage: bhcrypt $c" || fail "$c --help"
done
"$B" help | grepq checksum || fail "bhcrypt help"
"$B" nosuch 2> /dev/null && fail "unknown command accepted"
"$B" 2> /dev/null && fail "no command accepted"
ok "--help everywhere, unknown commands rejected"
