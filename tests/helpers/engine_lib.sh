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
# the engine runs as root here, and so do its spawners and the provisioner CLIs they run
# (production: blockhost-engine and blockhost-prov, which the engine started as root
# switches to: policy/README.md "Users")
bh_policy_identity blockhost-engine root root
bh_policy_identity blockhost-provisioner root root

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
${ENG_SOCKET_EXTRA:-}
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

BUYER="$JS/engine-buyer.js"
REC=$BLOCKHOST_ROOT/rec-prov
ESTATE=$BLOCKHOST_ROOT/var/lib/blockhost/engine

# The recording provisioner (tests/helpers/recording-provisioner) under $REC with its own
# provisioner.json (absolute commands), and the VM database it and the engine share.
eng_prov_install() {
	mkdir -p "$REC" "$BLOCKHOST_ROOT/var/lib/blockhost"
	local v
	for v in create destroy resume update-gecos; do
		ln -sf "$TOP/tests/helpers/recording-provisioner" "$REC/blockhost-vm-$v"
	done
	ln -sf "$BIN/blockhost-vmdb" "$REC/blockhost-vmdb"
	cat > "$REC/provisioner.json" <<J
{"name": "recording", "version": "0.0.1", "display_name": "recording (tests)",
 "commands": {"create": "$REC/blockhost-vm-create", "destroy": "$REC/blockhost-vm-destroy",
  "resume": "$REC/blockhost-vm-resume", "update-gecos": "$REC/blockhost-vm-update-gecos"}}
J
	"$BIN/blockhost-vmdb" init > /dev/null
	: > "$REC/calls.jsonl"
}

# The server's ECIES public key (what the signup page publishes).
eng_server_pub() {
	"$KS" request '{"op":"pubkeys"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ecies_pubkey))'
}

# eng_engine_start [extra args]: the engine in the background (ENGINE_PID), log $T/engine.log
ENGINE_ARGS=()
eng_engine_start() {
	"$ENGINE" run --rpc-url "$RPC_URL" --subscriptions "$SUBS" --nft "$NFT" \
		--keystore-socket "$KS_SOCK" --provisioner-manifest "$REC/provisioner.json" \
		--poll-ms 100 --retry-ms 200 --start-block 0 "${ENGINE_ARGS[@]}" "$@" >> "$T/engine.log" 2>&1 &
	ENGINE_PID=$!; bh_track "$ENGINE_PID"
}
eng_engine_stop() {
	kill -TERM "$ENGINE_PID" 2>/dev/null || true
	local rc=0; wait "$ENGINE_PID" || rc=$?
	return $rc
}

# State of subscription $1 in the journal ("" if none).
eng_state() {
	[ -f "$ESTATE/subs/$1.json" ] || { echo ""; return; }
	node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).state)' "$ESTATE/subs/$1.json"
}
# Wait (max $3 s, default 60) until subscription $1 is in state $2.
eng_wait_state() {
	local i n=$(( ${3:-60} * 10 ))
	for i in $(seq "$n"); do
		[ "$(eng_state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "subscription $1 is '$(eng_state "$1")', expected '$2'" >&2
	tail -n 30 "$T/engine.log" >&2
	return 1
}
# Count of recorded provisioner calls: eng_calls VERB [VM]
eng_calls() {
	node -e '
const [f, verb, vm, res] = process.argv.slice(1);
const n = require("fs").readFileSync(f, "utf8").split("\n").filter(Boolean).map(JSON.parse)
  .filter(c => c.verb === verb && (!vm || c.args[0] === vm) && (!res || c.result === res)).length;
console.log(n);' "$REC/calls.jsonl" "$@"
}
