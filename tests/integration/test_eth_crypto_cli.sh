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

# --signature-file / --plaintext-file (path or '-' = stdin): no argv exposure, no warning;
# the argv forms still work (upstream) but warn like --private-key
pt='{"hostname":"h","port":22,"username":"u"}'
printf '%s\n' "$sig" > "$T/sig.txt"
printf '%s' "$pt" > "$T/pt.txt"
"$B" encrypt-symmetric --signature-file "$T/sig.txt" --plaintext-file "$T/pt.txt" > "$T/s2" 2> "$T/err" ||
	fail "encrypt-symmetric with files: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "file forms warned: $(cat "$T/err")"
[ "$("$B" decrypt-symmetric --signature-file "$T/sig.txt" --ciphertext "$(cat "$T/s2")" 2> "$T/err")" = "$pt" ] ||
	fail "decrypt-symmetric --signature-file"
[ ! -s "$T/err" ] || fail "--signature-file warned"
# stdin: signature from '-', plaintext from a file, and the other way round
"$B" encrypt-symmetric --signature-file - --plaintext-file "$T/pt.txt" < "$T/sig.txt" > "$T/s3" ||
	fail "--signature-file -"
[ "$("$B" decrypt-symmetric --signature-file - --ciphertext "$(cat "$T/s3")" < "$T/sig.txt")" = "$pt" ] ||
	fail "decrypt-symmetric --signature-file -"
printf '%s' "$pt" | "$B" encrypt-symmetric --signature-file "$T/sig.txt" --plaintext-file - > "$T/s4" ||
	fail "--plaintext-file -"
[ "$("$B" decrypt-symmetric --signature-file "$T/sig.txt" --ciphertext "$(cat "$T/s4")")" = "$pt" ] ||
	fail "round trip through --plaintext-file -"
"$B" encrypt-symmetric --signature-file - --plaintext-file - < "$T/sig.txt" 2> "$T/err" &&
	fail "two inputs from stdin accepted"
grep -q "only one input" "$T/err" || fail "two-stdin message"
# the plaintext file is taken byte for byte (trailing newline, NUL kept)
printf 'a\0b\n' > "$T/ptnul"
"$B" encrypt-symmetric --signature-file "$T/sig.txt" --plaintext-file "$T/ptnul" > "$T/s5"
"$B" decrypt-symmetric --signature-file "$T/sig.txt" --ciphertext "$(cat "$T/s5")" > "$T/ptnul.out"
cmp -s "$T/ptnul" "$T/ptnul.out" || fail "--plaintext-file not byte-exact"
# ECIES encrypt --plaintext-file
"$B" encrypt --pubkey "$pub" --plaintext-file "$T/pt.txt" > "$T/e2" 2> "$T/err"
[ ! -s "$T/err" ] || fail "encrypt --plaintext-file warned"
[ "$("$B" decrypt --private-key-file "$T/priv.key" --ciphertext "$(cat "$T/e2")")" = "$pt" ] ||
	fail "encrypt --plaintext-file round trip"
# argv forms warn
"$B" encrypt-symmetric --signature "$sig" --plaintext-file "$T/pt.txt" > /dev/null 2> "$T/err"
grep -q -- "--signature puts the key material in argv" "$T/err" || fail "no --signature warning"
"$B" encrypt-symmetric --signature-file "$T/sig.txt" --plaintext x > /dev/null 2> "$T/err"
grep -q -- "--plaintext puts the secret in argv" "$T/err" || fail "no --plaintext warning"
"$B" decrypt-symmetric --signature "$sig" --ciphertext "$(cat "$T/s2")" > /dev/null 2> "$T/err"
grep -q "visible in the process list" "$T/err" || fail "no decrypt-symmetric --signature warning"
# both forms at once, or neither, is a usage error
"$B" encrypt-symmetric --signature "$sig" --signature-file "$T/sig.txt" --plaintext x 2> "$T/err" &&
	fail "--signature and --signature-file accepted together"
grep -q "not both" "$T/err" || fail "both-forms message"
"$B" encrypt-symmetric --plaintext-file "$T/pt.txt" 2> "$T/err" && fail "missing signature accepted"
grep -q -- "--signature-file" "$T/err" || fail "missing-signature message"
# recover / verify accept --signature-file (a public signature: no warning)
addr=$(cat "$T/a")
[ "$("$B" recover --message blockhost-access --signature-file "$T/sig.txt" 2> "$T/err")" = "$addr" ] ||
	fail "recover --signature-file"
[ ! -s "$T/err" ] || fail "recover warned"
"$B" verify --message blockhost-access --signature-file - --address "$addr" < "$T/sig.txt" ||
	fail "verify --signature-file -"
ok "--signature-file / --plaintext-file (files and stdin), argv forms warn"

# the argv strings are wiped after parsing: /proc/<pid>/cmdline no longer holds them
# (bhcrypt blocks reading the plaintext from stdin, a FIFO we hold open, while we look)
mkfifo "$T/fifo"
"$B" encrypt-symmetric --signature "$sig" --plaintext-file - < "$T/fifo" > /dev/null 2>&1 &
bpid=$!
exec 7> "$T/fifo"
for _ in $(seq 50); do
	[ "$(tr -d '\0' < "/proc/$bpid/cmdline" 2> /dev/null)" = "" ] && break
	grep -q "${sig#0x}" "/proc/$bpid/cmdline" 2> /dev/null || break
	sleep 0.05
done
tr '\0' ' ' < "/proc/$bpid/cmdline" > "$T/cmdline"
exec 7>&-
wait "$bpid" || true
grep -q -- "--signature" "$T/cmdline" || fail "cmdline not read: $(cat "$T/cmdline")"
grep -q "${sig#0x}" "$T/cmdline" && fail "--signature still in /proc/<pid>/cmdline"
ok "--signature argv string wiped after parsing"

# key and signature files: group/world-writable refused, world-readable key warns
cp "$T/priv.key" "$T/ww.key"; chmod 0666 "$T/ww.key"
"$B" derive-pubkey --private-key-file "$T/ww.key" > "$T/o" 2> "$T/err" && fail "0666 key file accepted"
[ ! -s "$T/o" ] && grep -q "group-writable, world-writable" "$T/err" && grep -q "ww.key" "$T/err" ||
	fail "0666 key file message: $(cat "$T/err")"
chmod 0620 "$T/ww.key"
"$B" key-to-address --key-file "$T/ww.key" 2> "$T/err" && fail "group-writable key file accepted"
cp "$T/priv.key" "$T/wr.key"; chmod 0644 "$T/wr.key"
[ "$("$B" derive-pubkey --private-key-file "$T/wr.key" 2> "$T/err")" = "$pub" ] ||
	fail "0644 key file refused"
grep -q "readable by every user" "$T/err" || fail "no world-readable warning: $(cat "$T/err")"
"$B" derive-pubkey --private-key-file "$T/priv.key" > /dev/null 2> "$T/err"
[ ! -s "$T/err" ] || fail "0600 key file warned: $(cat "$T/err")"
cp "$T/sig.txt" "$T/ww.sig"; chmod 0666 "$T/ww.sig"
"$B" encrypt-symmetric --signature-file "$T/ww.sig" --plaintext-file "$T/pt.txt" 2> "$T/err" &&
	fail "0666 signature file accepted"
grep -q "group-writable, world-writable" "$T/err" || fail "0666 signature file message"
ln -s "$T/sig.txt" "$T/link.sig"
"$B" decrypt-symmetric --signature-file "$T/link.sig" --ciphertext "$(cat "$T/s2")" 2> /dev/null &&
	fail "symlinked signature file accepted"
ok "key/signature file modes"

# --help for every subcommand (exit 0, usage on stdout); unknown command -> 2
for c in generate-keypair derive-pubkey key-to-address encrypt-symmetric decrypt-symmetric \
	encrypt decrypt keccak sign recover verify checksum; do
	"$B" "$c" --help | grepq "^usage: bhcrypt $c" || fail "$c --help"
done
"$B" help | grepq checksum || fail "bhcrypt help"
"$B" nosuch 2> /dev/null && fail "unknown command accepted"
"$B" 2> /dev/null && fail "no command accepted"
ok "--help everywhere, unknown commands rejected"
