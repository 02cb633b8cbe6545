# Sourced by tests/integration/test_signup_*.sh after tests/lib.sh and keystore_lib.sh.
# A real keystore (swtpm), anvil with one deployed contract, a test CA and a certificate
# for the keystore's TLS key, and blockhost-signup as user daemon under its policy and
# seccomp filter on a free port of 127.0.0.1.
SU="$BIN/blockhost-signup"
SU_TESTD="$BUILD/tests/helpers/blockhost-signup-testd"
SU_USER=daemon

# su_setup: keystore + anvil + contracts + CA + certificate; sets SU_CONTRACT (reverts with
# 0xdeadbeef), SU_BIG (returns 2048 bytes), SU_DIR.
su_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root to run the keystore and the server as other users"
	[ -x "$SU" ] || fail "$SU not built"
	ks_start_swtpm
	ks_setup
	chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
	start_anvil
	"$KS" init > /dev/null
	ks_site_policy <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, tls_sign
allow = user:$SU_USER pubkeys, tls_sign
P
	ks_serve || { cat "$T/keystored.log"; fail "keystore did not start"; }
	bh_policy_identity blockhost-signup "$SU_USER" "$SU_USER"
	SU_DIR="$T/signup"; mkdir -p "$SU_DIR"; chmod 755 "$T" "$SU_DIR"
	# a contract whose every call reverts with the custom error 0xdeadbeef
	local from hash
	from=$(rpc eth_accounts '[]' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0]))')
	hash=$(rpc eth_sendTransaction "[{\"from\":\"$from\",\"data\":\"0x600d80600b6000396000f363deadbeef6000526004601cfd\"}]") ||
		fail "deploying the test contract"
	SU_CONTRACT=$(rpc eth_getTransactionReceipt "[\"$hash\"]" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).contractAddress))')
	[ -n "$SU_CONTRACT" ] || fail "no contract address"
	# and one whose every call returns 2048 zero bytes (an answer over a small cap)
	hash=$(rpc eth_sendTransaction "[{\"from\":\"$from\",\"data\":\"0x600680600b6000396000f36108006000f3\"}]") ||
		fail "deploying the second test contract"
	SU_BIG=$(rpc eth_getTransactionReceipt "[\"$hash\"]" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).contractAddress))')
	# the test CA (OpenSSL, independent of GnuTLS) and a certificate it issues for the keystore's key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=signup test CA" \
		-keyout "$SU_DIR/ca.key" -out "$SU_DIR/ca.pem" 2> /dev/null || fail "test CA"
	"$SU" make-cert --hostname 127.0.0.1 --days 2 --ca-cert "$SU_DIR/ca.pem" --ca-key "$SU_DIR/ca.key" \
		--out "$SU_DIR/cert.pem" --socket "$KS_SOCK" 2> "$T/make-cert.err" || { cat "$T/make-cert.err"; fail "make-cert"; }
}

# su_config FILE [EXTRA_JSON_MEMBERS]: a configuration for port $SU_PORT.
su_config() {
	SU_PORT=${SU_PORT:-$(free_port)}
	cat > "$1" <<J
{
  "listen": "127.0.0.1", "port": $SU_PORT,
  "keystore_socket": "$KS_SOCK",
  "rpc_url": "$RPC_URL",
  "chain_id": 31337, "chain_name": "Anvil",
  "contracts": { "subscriptions": "$SU_CONTRACT", "nft": "${SU_NFT:-0x00000000000000000000000000000000000000b1}" },
  "payment_tokens": [ { "address": "0x00000000000000000000000000000000000000c1", "symbol": "USDC", "decimals": 6 } ],
  "www": "$BUILD/share/blockhost/signup",
  "cert": "${SU_CERT:-$SU_DIR/cert.pem}"${2:+,
  $2}
}
J
	chmod 644 "$1"
}

# su_start [BINARY]: the server as $SU_USER (no capabilities); sets SU_PID, SU_URL.
su_start() {
	local bin=${1:-$SU}
	setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups --inh-caps=-all --bounding-set=-all \
		"$bin" --config "$SU_DIR/signup.json" >> "$T/signup.log" 2>&1 &
	SU_PID=$!; bh_track "$SU_PID"
	wait_port "$SU_PORT" || { cat "$T/signup.log"; fail "blockhost-signup did not start"; }
	for _ in $(seq 50); do grepq '(sandboxed' "$T/signup.log" && break; sleep 0.05; done
	grepq '(sandboxed' "$T/signup.log" || { cat "$T/signup.log"; fail "blockhost-signup is not sandboxed"; }
	SU_URL="https://127.0.0.1:$SU_PORT"
}

# su_curl ARGS...: curl verifying the chain against the test CA.
su_curl() { curl -sS --cacert "$SU_DIR/ca.pem" "$@"; }
# su_rpc BODY: POST /rpc, prints the answer
su_rpc() { su_curl -X POST -H 'content-type: application/json' --data-binary "$1" "$SU_URL/rpc"; }
