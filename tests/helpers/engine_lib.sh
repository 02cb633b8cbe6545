# Sourced by tests/integration/test_engine_*.sh after tests/lib.sh: anvil + swtpm + the
# real keystore daemon whose site policy allows the host wallet to deploy the contracts
# and call them (their addresses are the wallet's CREATE addresses for nonces 0, 1, 2:
# AccessCredentialNFT, BlockhostSubscriptions, TestStablecoin, in deployment order).
source "$TOP/tests/helpers/keystore_lib.sh"
DEPLOY="$BIN/blockhost-deploy-contracts"
MINT="$BIN/blockhost-mint-nft"
ENGINE="$BIN/blockhost-engine"
ARTIFACTS="$BUILD/contracts"
export NODE_PATH="$JS/node_modules"

# eng_start: sets ADDR (host wallet), NFT, SUBS, STABLE (predicted), KS_SOCK, RPC_URL.
eng_start() {
	[ "$(id -u)" = 0 ] || skip "needs root to run the keystore as another uid"
	[ -f "$ARTIFACTS/AccessCredentialNFT.json" ] || fail "no artifacts: make contracts"
	ks_start_swtpm
	ks_setup
	chmod 644 "$BLOCKHOST_ROOT/etc/blockhost/keystore.json"
	chmod 755 "$BLOCKHOST_ROOT/etc/blockhost" "$BLOCKHOST_ROOT/etc" "$BLOCKHOST_ROOT"
	start_anvil "$@"
	ADDR=$("$KS" init)
	read -r NFT SUBS STABLE < <(node -e '
const { getCreateAddress } = require("ethers");
const a = process.argv[1];
console.log([0, 1, 2].map(n => getCreateAddress({ from: a, nonce: n })).join(" "));' "$ADDR")
	ks_site_policy <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, sign_tx, personal_sign, ecies_decrypt
allow = user:nobody address, pubkeys, sign_tx, personal_sign, ecies_decrypt
[transactions]
chain_id = 31337
allow_to = $NFT, $SUBS, $STABLE
max_value_per_tx = 10000000000000000000
max_value_per_day = 1000000000000000000000
allow_deploy = yes
P
	ks_serve || { cat "$T/keystored.log"; fail "keystore did not start"; }
	rpc anvil_setBalance "[\"$ADDR\",\"0x56BC75E2D63100000\"]" > /dev/null
	export ADDR NFT SUBS STABLE
}

# The deployment gate (docs/keystore.md): a root-owned flag in /etc/blockhost.
eng_gate_open()  { install -m 0644 -o root -g root /dev/null "$BLOCKHOST_ROOT/etc/blockhost/finalization-open"; }
eng_gate_close() { rm -f "$BLOCKHOST_ROOT/etc/blockhost/finalization-open"; }

# eng_deploy: the three contracts through the gate; checks the predicted addresses.
eng_deploy() {
	eng_gate_open
	"$DEPLOY" --rpc-url "$RPC_URL" --artifacts "$ARTIFACTS" --keystore-socket "$KS_SOCK" \
		--test-stablecoin > "$T/deployed" 2> "$T/deploy.err" || { cat "$T/deploy.err"; fail "deploy"; }
	eng_gate_close
	[ "$(tr '\n' ' ' < "$T/deployed")" = "$NFT $SUBS $STABLE " ] ||
		fail "deployed at $(cat "$T/deployed"), expected $NFT $SUBS $STABLE"
}

# Nonce of an address (decimal).
eng_nonce() { printf '%d' "$(rpc eth_getTransactionCount "[\"$1\",\"latest\"]")"; }
