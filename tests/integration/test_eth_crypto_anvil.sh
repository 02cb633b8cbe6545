#!/usr/bin/env bash
# Live oracle: anvil's personal_sign and eth_sign for its dev account must equal
# `bhcrypt sign` byte for byte (RFC 6979 makes ECDSA deterministic), and
# `bhcrypt recover` must give back the dev account for anvil's signatures.
source "$(dirname "$0")/../lib.sh"

BHCRYPT="$BIN/bhcrypt"
[ -x "$BHCRYPT" ] || fail "bhcrypt not built ($BHCRYPT)"
command -v node >/dev/null || skip "node missing"
command -v curl >/dev/null || skip "curl missing"

start_anvil
# anvil's first dev account (mnemonic "test test ... junk"), components.md §1
KEY=ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ADDR=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
umask 077
printf '%s\n' "$KEY" > "$T/dev.key"

accounts=$(rpc eth_accounts '[]')
case $accounts in *"$(echo "$ADDR" | tr A-F a-f)"*|*"$ADDR"*) ok "anvil dev account present" ;;
	*) fail "anvil accounts $accounts lack $ADDR" ;; esac

tohex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

n=0
for msg in "hello" "blockhost-access" "Authenticate to blockhost-001 with code: 123456" \
	"" "multi
line message" "unicode é 日本 😀" \
	"$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
	"$(head -c 300 /dev/urandom | base64 -w0)"; do
	h=0x$(tohex "$msg")
	ours=$("$BHCRYPT" sign --private-key-file "$T/dev.key" --message "$msg")
	ps=$(rpc personal_sign "[\"$h\",\"$ADDR\"]")
	es=$(rpc eth_sign "[\"$ADDR\",\"$h\"]")
	[ "$ours" = "$ps" ] || fail "personal_sign differs for '$msg': anvil $ps ours $ours"
	[ "$ours" = "$es" ] || fail "eth_sign differs for '$msg': anvil $es ours $ours"
	rec=$("$BHCRYPT" recover --message "$msg" --signature "$ps")
	[ "$rec" = "$ADDR" ] || fail "recover of anvil's signature gave $rec"
	"$BHCRYPT" verify --message "$msg" --signature "$ps" --address "$ADDR" ||
		fail "verify rejected anvil's signature"
	n=$((n + 1))
done
ok "$n messages: anvil personal_sign == eth_sign == bhcrypt sign, recover/verify agree"

# the famous vector from components.md §1
[ "$("$BHCRYPT" sign --private-key-file "$T/dev.key" --message hello)" = \
  0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c ] ||
	fail "personal_sign(hello) vector"
ok "personal_sign(hello) matches the recorded anvil vector"
