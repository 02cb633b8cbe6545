#!/usr/bin/env bash
# make demo: a BlockHost host on this machine, driven by a real on-chain purchase:
#   1. chain + TPM + keystore: anvil (a block every second), swtpm, `blockhost-keystore init`
#      + `serve` (as nobody); the host wallet is funded and one keystore-signed transfer mined
#   2. the root agent with the provisioner's signed domain-* plugins (test signing key of
#      this build) and a qemu:///session libvirt owned by nobody
#   3. the VM template (built once with pam_web3 and web3-auth-svc inside; cached under
#      /var/tmp/blockhost-demo as blockhost-base-<key>.qcow2, the key a content hash of
#      what goes into it: scripts/demo-template.sh --key)
#   4. the contracts: the keystore's deployment gate opened (docs/keystore.md),
#      blockhost-deploy-contracts --test-stablecoin, gate shut; setPrimaryStablecoin and
#      createPlan("Basic VM", 50 cents/day) signed by the keystore (sign_tx)
#   5. blockhost-engine run (as nobody, sandboxed) with the real provisioner (SSH forwarded
#      from 127.0.0.1, libvirt.json "user_net_ssh"); $DEMO_DIR/demo.json for other buyers
#   6. a buyer wallet (ethers + noble, scripts/demo-buyer.js) mints test stablecoin, approves
#      and calls buySubscription with the upstream ECIES payload; the engine creates the VM
#      and mints the NFT (each journal step printed as it happens)
#   7. the buyer decrypts the NFT's connection details with its own signature
#   8. a wallet-signature SSH login to the host:port of those details (pam_web3 in the VM),
#      the signature pasted; then a second one the browser way: headless Chromium with an
#      injected wallet opens the prompt's Sign at: URL (the VM's web3-auth-svc through the
#      forward 127.0.0.1:63108 → guest :63108), signs, and the prompt is answered with Enter
#   9. wait for Ctrl-C (unless DEMO_EXIT=1), then stop everything it started, by PID.
# Everything lives in a private tree: BLOCKHOST_ROOT=$DEMO_DIR/root, with a private copy of
# policy/ whose [identity] sections name the users the demo runs its services as (nobody).
# The daemons run in their own sessions (setsid), so a Ctrl-C reaches this script only and
# the trap can stop the engine and destroy the VMs through the CLI before stopping the rest.
#
# Environment: BUILD (build dir, default build), DEMO_DIR (default: a new /tmp dir),
# DEMO_EXIT=1 (stop after the flow), DEMO_REBUILD_TEMPLATE=1, DEMO_TEMPLATE (cached image
# path; default keyed by content), DEMO_ACCEL=auto|kvm|tcg (auto: KVM if /dev/kvm exists, TCG if that VM fails),
# DEMO_NET=dhcp|static (static: db.json pools inside slirp's nets, 10.0.2.15 and fec0::15,
# so the seed's network-config is static; default dhcp: no pools).
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; case $BUILD in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BIN="$BUILD/bin"
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/blockhost-demo.XXXXXX)}
mkdir -p "$DEMO_DIR"; DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
LOGS="$DEMO_DIR/logs"; mkdir -p "$LOGS"
R="$DEMO_DIR/root"
export BLOCKHOST_ROOT="$R"
# the policy and seccomp files where the programs look without an override
# ($BLOCKHOST_ROOT/usr/share/blockhost/{policy,seccomp}): the engine gives the provisioner
# CLIs it runs only PATH, LANG and BLOCKHOST_ROOT
export BLOCKHOST_POLICY_DIR="$R/usr/share/blockhost/policy" BLOCKHOST_SECCOMP_DIR="$R/usr/share/blockhost/seccomp"
NODE_MODULES="$TOP/tests/js/node_modules"
DEMO_JSON="$DEMO_DIR/demo.json"
PUBLIC_SECRET=blockhost-access   # upstream's default public_secret (upstream.md §3.4, §5.8)
TEMPLATE_DIR=/var/tmp/blockhost-demo
SIGNING_PORT=63108   # the signing page's port (web3-auth-svc, pam_web3: 1024 + crc32("evm") % 64511)
ANVIL="$TOP/tests/js/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
VMNAME=
mkdir -p "$R"

bold=$'\033[1m' red=$'\033[31m' green=$'\033[32m' off=$'\033[0m'
[ -t 1 ] || { bold='' red='' green='' off=''; }
say()  { printf '%s[demo]%s %s\n' "$bold" "$off" "$*"; }
good() { printf '%s[demo]%s %s%s%s\n' "$bold" "$off" "$green" "$*" "$off"; }
bad()  { printf '%s[demo]%s %s%s%s\n' "$bold" "$off" "$red" "$*" "$off" >&2; }
now_ms() { date +%s%3N; }
DEMO_T0=$(now_ms); STEP_T0=$DEMO_T0
secs() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $(((d % 1000) / 100)); }
# step TITLE: a heading with the time since the demo started; step times are since here
step() { STEP_T0=$(now_ms); printf '\n%s[demo] ==== %s ==== (at +%s s)%s\n' "$bold" "$*" "$(secs "$DEMO_T0")" "$off"; }
results=()
# failed STEP WHAT LOG: record and print a step failure
nfailed=0
failed() { bad "step $1 FAILED after $(secs "$STEP_T0") s: $2 (log: $3)"; results+=("step $1: FAILED ($(secs "$STEP_T0") s) — $2 (log: $3)"); nfailed=$((nfailed + 1)); }
passed() { good "step $1 ok in $(secs "$STEP_T0") s"; results+=("step $1: ok ($(secs "$STEP_T0") s) — $2"); }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() {   # wait_port PORT [tenths]
	local i
	for i in $(seq "${2:-100}"); do
		python3 -c 'import socket,sys;socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' \
			"$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
json_get() {   # json_get JSON KEY...
	python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]: v = v[k]
print(v)' "$@"
}
rpc() {   # rpc METHOD PARAMS_JSON → the result (string, or JSON)
	curl -s -X POST -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL" |
		python3 -c 'import json,sys; j=json.load(sys.stdin)
if "error" in j: sys.exit("rpc error: " + json.dumps(j["error"]))
r=j["result"]; print(r if isinstance(r,str) else json.dumps(r))'
}

# wait_receipt HASH [seconds]: the receipt JSON once mined (anvil mines a block a second)
wait_receipt() {
	local i r
	for i in $(seq $(( ${2:-30} * 5 ))); do
		r=$(rpc eth_getTransactionReceipt "[\"$1\"]" 2>/dev/null) && [ "$r" != None ] && [ "$r" != null ] &&
			{ echo "$r"; return 0; }
		sleep 0.2
	done
	return 1
}
# ks_send TO DATA: a call from the host wallet, signed by the keystore (sign_tx: its policy
# checks chain id, allow_to and the caps), sent, mined; sets TX_HASH TX_BLOCK; 0 on status 1
ks_send() {
	local nonce gas blk req resp raw rcpt
	nonce=$(rpc eth_getTransactionCount "[\"$HOST_ADDR\",\"pending\"]") &&
		gas=$(rpc eth_estimateGas "[{\"from\":\"$HOST_ADDR\",\"to\":\"$1\",\"data\":\"$2\"}]") &&
		blk=$(rpc eth_getBlockByNumber '["latest",false]') || return 1
	req=$(python3 -c 'import json,sys
n, gas, blk, to, data = sys.argv[1:6]
base = int(json.loads(blk)["baseFeePerGas"], 16); tip = 10**9
print(json.dumps({"op": "sign_tx", "chainId": 31337, "nonce": n, "maxPriorityFeePerGas": hex(tip),
  "maxFeePerGas": hex(2 * base + tip), "gas": int(gas, 16) * 6 // 5, "to": to, "value": "0", "data": data}))' \
		"$nonce" "$gas" "$blk" "$1" "$2") || return 1
	resp=$("$KS" request "$req" 2>> "$LOGS/keystore-client.log") || { bad "keystore refused: $resp"; return 1; }
	raw=$(json_get "$resp" raw) && TX_HASH=$(rpc eth_sendRawTransaction "[\"$raw\"]" 2>> "$LOGS/anvil-client.log") &&
		rcpt=$(wait_receipt "$TX_HASH") || return 1
	TX_BLOCK=$(( $(json_get "$rcpt" blockNumber) ))
	[ "$(json_get "$rcpt" status)" = 0x1 ]
}
buyer_js() { node "$TOP/scripts/demo-buyer.js" "$@"; }

# ---------------------------------------------------------------- cleanup (always runs)
PIDS=() PNAMES=()
track() { PIDS+=("$1"); PNAMES+=("$2"); }
ENGINE_PID=
cleanup() {
	trap - EXIT INT TERM
	step "stopping everything the demo started"
	if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		# first, so it starts nothing new; SIGTERM lets it finish the step in progress (a
		# create can take minutes under TCG): after 20 s its session (spawners, CLIs) is killed
		say "stopping blockhost-engine (pid $ENGINE_PID, SIGTERM)"
		kill "$ENGINE_PID" 2>/dev/null || true
		for _ in $(seq 200); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$ENGINE_PID" 2>/dev/null; then
			say "the engine is still in a step after 20 s: SIGKILL to its session (pgid $ENGINE_PID)"
			kill -9 -- "-$ENGINE_PID" 2>/dev/null || true
		fi
	fi
	# every VM the engine made (vms.json), destroyed through the CLI and the root agent
	if [ -f "$R/var/lib/blockhost/vms.json" ] && [ -n "${LIBVIRTD_PID:-}" ]; then
		local v
		for v in $(python3 -c 'import json,sys
for n, r in sorted(json.load(open(sys.argv[1])).get("vms", {}).items()):
    if r.get("status") != "destroyed": print(n)' "$R/var/lib/blockhost/vms.json" 2>/dev/null); do
			say "destroying VM $v (blockhost-vm-destroy, through the root agent)"
			vm destroy "$v" >> "$LOGS/vm-destroy.log" 2>&1 ||
				bad "blockhost-vm-destroy $v failed (log: $LOGS/vm-destroy.log)"
		done
	fi
	if [ -n "${LIBVIRTD_PID:-}" ] && kill -0 "$LIBVIRTD_PID" 2>/dev/null; then
		local d
		for d in $(virsh_u list --name 2>/dev/null); do
			say "powering off leftover domain $d"; virsh_u destroy "$d" > /dev/null 2>&1 || true
		done
	fi
	local i p
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		p=${PIDS[i]}
		kill -0 "$p" 2>/dev/null || continue
		say "stopping ${PNAMES[i]} (pid $p)"
		kill "$p" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$p" 2>/dev/null && { kill -9 "$p" 2>/dev/null || true; }
	done
	[ -n "${VHOME_TMP:-}" ] && rm -rf "$VHOME_TMP"
	say "stopped.  Logs and the private tree stay in $DEMO_DIR (remove it when done)."
}
trap cleanup EXIT
trap 'echo; exit 130' INT TERM

# ---------------------------------------------------------------- preparation
step "BlockHost demo — private tree $DEMO_DIR"
say "BLOCKHOST_ROOT=$R (nothing outside it is touched except the template cache ${DEMO_TEMPLATE:-$TEMPLATE_DIR})"
say "logs: $LOGS"
IS_ROOT=; [ "$(id -u)" = 0 ] && IS_ROOT=1
[ -n "$IS_ROOT" ] || bad "not root: the keystore runs as you, and steps 2-8 (root agent, libvirt as nobody, template, contracts, engine, purchase, login) are skipped"
for c in bhcrypt blockhost-keystore blockhost-root-agent blockhost-vm blockhost-vm-create \
	blockhost-build-template blockhost-vmdb blockhost-engine blockhost-deploy-contracts; do
	[ -x "$BIN/$c" ] || { bad "$BIN/$c is not built: run 'make BUILD=$BUILD all' first"; exit 1; }
done
# the template cache is keyed by what goes into it (binaries, PAM module, unit files,
# policy, pages, the builder): a change to any of them builds a new one beside the old
TEMPLATE_KEY=$("$TOP/scripts/demo-template.sh" --key "$BIN" "$BUILD/lib") || exit 1
TEMPLATE_CACHE=${DEMO_TEMPLATE:-$TEMPLATE_DIR/blockhost-base-$TEMPLATE_KEY.qcow2}
# the signed plugins and the agent's test key are CHECK_DEPS targets, not 'all'
SIGS=()
for a in define destroy guest-exec shutdown start throttle undefine update-gecos; do
	SIGS+=("$BUILD/prov-actions/domain-$a.sig")
done
for a in bridge-port-isolate ip6-route-add ip6-route-del; do SIGS+=("$BUILD/agent-actions/$a.sig"); done
command -v node > /dev/null && [ -d "$NODE_MODULES/ethers" ] ||
	{ bad "node and tests/js/node_modules (ethers, noble, solc, anvil) are needed: run 'make deps'"; exit 1; }
say "building the signed root-agent plugins and the contracts (make ${SIGS[*]##*/} contracts)"
if ! make -C "$TOP" --no-print-directory BUILD="$BUILD" "${SIGS[@]}" "$BUILD/contracts/build-info.json" \
	> "$LOGS/make-plugins.log" 2>&1; then
	bad "building the signed plugins / the contracts failed (log: $LOGS/make-plugins.log)"; exit 1
fi
# The private policy copy: root-owned, not group/world-writable (the sandbox requires it).
# Production names its own users (blockhost-engine, blockhost-prov, blockhost-libvirt,
# blockhost-keystore: policy/README.md "Users"); here the keystore runs as nobody, and the
# engine, the provisioner CLIs and the libvirt session (the agent's [libvirt] user) as
# nobody with the root agent's group ("users": the agent's socket group, and its [callers]
# users become it).
AGENT_GROUP=users
mkdir -p "$R/usr/share/blockhost"
rm -rf "$BLOCKHOST_POLICY_DIR" "$BLOCKHOST_SECCOMP_DIR"
cp -r "$TOP/policy" "$BLOCKHOST_POLICY_DIR"; cp -r "$TOP/seccomp" "$BLOCKHOST_SECCOMP_DIR"
chmod -R go-w "$BLOCKHOST_POLICY_DIR" "$BLOCKHOST_SECCOMP_DIR"
policy_identity() {   # SERVICE USER GROUP [SUPPLEMENTARY]
	sed -i -e "/^\[identity\]/,/^\[/{s/^user *=.*/user = $2/;s/^group *=.*/group = $3/;s/^supplementary_groups *=.*/supplementary_groups = ${4:-}/}" \
		"$BLOCKHOST_POLICY_DIR/$1.policy"
}
policy_identity blockhost-keystore nobody nogroup
policy_identity blockhost-engine nobody nogroup "$AGENT_GROUP"
policy_identity blockhost-provisioner nobody nogroup "$AGENT_GROUP"
sed -i -e "s/^group = blockhost\$/group = $AGENT_GROUP/" -e "s/group:blockhost/group:$AGENT_GROUP/g" \
	-e "s/user:blockhost-\(prov\|engine\|wizard\)\b/group:$AGENT_GROUP/g" \
	-e "/^\[libvirt\]/,/^\[/{s/^user *=.*/user = nobody/;s/^group *=.*/group = nogroup/}" \
	"$BLOCKHOST_POLICY_DIR/blockhost-root-agent.policy"
say "policy: a private copy in $BLOCKHOST_POLICY_DIR ([identity]: keystore nobody; engine and provisioner nobody + group $AGENT_GROUP; root agent's group $AGENT_GROUP)"

# ================================================================ 1. chain, TPM, keystore
step "1. chain (anvil), TPM (swtpm), keystore (TPM-sealed host key)"
STEP1=ok
if [ ! -x "$ANVIL" ]; then
	failed 1 "anvil missing ($ANVIL): run 'make deps'" "-"; STEP1=
fi
if [ -n "$STEP1" ]; then
	aport=$(free_port)
	setsid "$ANVIL" --host 127.0.0.1 --port "$aport" --chain-id 31337 --block-time 1 --silent > "$LOGS/anvil.log" 2>&1 &
	track $! anvil
	export RPC_URL="http://127.0.0.1:$aport"
	if wait_port "$aport" 100; then say "anvil chain on $RPC_URL (chain id 31337, a block every second)"
	else failed 1 "anvil did not start" "$LOGS/anvil.log"; STEP1=; fi
fi
if [ -n "$STEP1" ]; then
	# the tss2 "swtpm:" TCTI derives the control port as server port + 1
	for _ in $(seq 20); do
		tport=$(free_port)
		python3 -c 'import socket,sys;s=socket.socket();s.bind(("127.0.0.1",int(sys.argv[1])+1))' \
			"$tport" 2>/dev/null && break
	done
	mkdir -p "$DEMO_DIR/swtpm"
	setsid swtpm socket --tpm2 --tpmstate dir="$DEMO_DIR/swtpm" \
		--server type=tcp,port="$tport",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port="$((tport + 1))",bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear --log file="$LOGS/swtpm.log",level=1 </dev/null \
		>> "$LOGS/swtpm.log" 2>&1 &
	track $! swtpm
	export TPM_TCTI="swtpm:host=127.0.0.1,port=$tport"
	if wait_port "$tport" && wait_port "$((tport + 1))"; then say "swtpm TPM 2.0 on $TPM_TCTI (control port $((tport + 1)))"
	else failed 1 "swtpm did not start" "$LOGS/swtpm.log"; STEP1=; fi
fi
KS="$BIN/blockhost-keystore"
if [ -n "$STEP1" ]; then
	chmod 0755 "$DEMO_DIR" "$R"
	mkdir -p "$R/etc/blockhost" "$R/var/lib/blockhost" "$R/run/blockhost"
	# PCR 16 (debug, resettable) as in the tests: swtpm has no measured boot to bind to
	printf '{"tcti": "%s", "pcrs": [16]}\n' "$TPM_TCTI" > "$R/etc/blockhost/keystore.json"
	chmod 0644 "$R/etc/blockhost/keystore.json"
	HOST_ADDR=$("$KS" init 2> "$LOGS/keystore-init.log")
	if [ -z "$HOST_ADDR" ]; then failed 1 "blockhost-keystore init" "$LOGS/keystore-init.log"; STEP1=
	else good "keystore init: host wallet $HOST_ADDR (key sealed to the TPM, PCR 16)"; fi
fi
BURN_TO=0x70997970C51812dc3A010C7d01b50e0d17dc79C8   # anvil's account #1
if [ -n "$STEP1" ]; then
	# the contracts' addresses are the host wallet's CREATE addresses for nonces 1, 2, 3
	# (nonce 0: the transfer below; deployment order NFT, subscriptions, stablecoin): the
	# site policy names them in allow_to (the wizard writes them the same way)
	read -r NFT SUBS STABLE < <(NODE_PATH="$NODE_MODULES" node -e '
const { getCreateAddress } = require("ethers");
console.log([1, 2, 3].map(n => getCreateAddress({ from: process.argv[1], nonce: n })).join(" "));' "$HOST_ADDR")
	[ -n "$STABLE" ] || { failed 1 "predicting the contract addresses (node + ethers)" "-"; STEP1=; }
fi
if [ -n "$STEP1" ]; then
	# allow_deploy = yes: a contract creation is still signed only while the root-owned flag
	# /etc/blockhost/finalization-open exists (step 4 opens and shuts it)
	cat > "$R/etc/blockhost/keystore.policy" <<P
[socket]
mode = 0666
allow = uid:0 address, pubkeys, sign_tx, personal_sign, ecies_decrypt
allow = user:nobody address, pubkeys, sign_tx, personal_sign, ecies_decrypt
[transactions]
chain_id = 31337
allow_to = $BURN_TO, $NFT, $SUBS, $STABLE
max_value_per_tx = 1000000000000000000
max_value_per_day = 2000000000000000000
allow_deploy = yes
P
	chmod 0644 "$R/etc/blockhost/keystore.policy"
	[ -z "$IS_ROOT" ] || chown -R nobody:nogroup "$R/var/lib/blockhost/keystore" "$R/run/blockhost"
	rm -f "$R/run/blockhost/keystore.sock"
	if [ -n "$IS_ROOT" ]; then
		say "keystore daemon: blockhost-keystore serve --no-setid, as user nobody (its own user)"
		setsid setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" serve --no-setid \
			>> "$LOGS/keystored.log" 2>&1 &
	else
		setsid "$KS" serve --no-setid >> "$LOGS/keystored.log" 2>&1 &
	fi
	KS_PID=$!; track "$KS_PID" "keystore daemon"
	up=
	for _ in $(seq 100); do
		[ -S "$R/run/blockhost/keystore.sock" ] && "$KS" request '{"op":"address"}' > /dev/null 2>&1 && { up=1; break; }
		kill -0 "$KS_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$up" ]; then failed 1 "keystore daemon did not start" "$LOGS/keystored.log"; STEP1=
	else
		a=$("$KS" request '{"op":"address"}')
		say "keystore daemon up (pid $KS_PID): $a"
	fi
fi
if [ -n "$STEP1" ]; then
	rpc anvil_setBalance "[\"$HOST_ADDR\",\"0x56BC75E2D63100000\"]" > /dev/null
	bal=$(rpc eth_getBalance "[\"$HOST_ADDR\",\"latest\"]")
	say "funded the host wallet on anvil: balance $(python3 -c "print(int('$bal',16)/10**18)") ETH"
	nonce=$(rpc eth_getTransactionCount "[\"$HOST_ADDR\",\"latest\"]")
	req="{\"op\":\"sign_tx\",\"chainId\":31337,\"nonce\":\"$nonce\",\"maxPriorityFeePerGas\":\"0x3b9aca00\",\"maxFeePerGas\":\"0x77359400\",\"gas\":21000,\"to\":\"$BURN_TO\",\"value\":\"1000000000000000\",\"data\":\"0x\"}"
	say "asking the keystore to sign an EIP-1559 transfer of 0.001 ETH to $BURN_TO (policy: allow_to, limits)"
	if ! resp=$("$KS" request "$req" 2>> "$LOGS/keystore-client.log"); then
		failed 1 "keystore refused sign_tx: $resp" "$LOGS/keystored.log"; STEP1=
	else
		raw=$(json_get "$resp" raw)
		if ! hash=$(rpc eth_sendRawTransaction "[\"$raw\"]" 2>> "$LOGS/anvil-client.log"); then
			failed 1 "anvil rejected the keystore-signed transaction" "$LOGS/anvil-client.log"; STEP1=
		else
			rcpt=$(wait_receipt "$hash") || rcpt='{"status":"none","from":"none","blockNumber":"0x0"}'
			st=$(json_get "$rcpt" status); from=$(json_get "$rcpt" from); blk=$(json_get "$rcpt" blockNumber)
			if [ "$st" = 0x1 ] && [ "${from,,}" = "${HOST_ADDR,,}" ]; then
				good "anvil mined the keystore-signed transaction $hash (block $((blk)), status 1, from $from)"
				passed 1 "host wallet $HOST_ADDR (TPM-sealed), signed tx $hash mined"
			else
				failed 1 "receipt status $st, from $from (expected $HOST_ADDR)" "$LOGS/anvil.log"; STEP1=
			fi
		fi
	fi
fi

# ================================================================ 2. root agent + libvirt
VM_OK=
if [ -z "$IS_ROOT" ]; then
	results+=("steps 2-8: skipped (not root)")
else
	VM_OK=1
	step "2. root agent (signed domain-* plugins) and qemu:///session libvirt for user nobody"
	PUID=65534 PGID=65534
	AGID=$(getent group "$AGENT_GROUP" | cut -d: -f3)
	ACT="$R/usr/share/blockhost/root-agent-actions"
	KEYS="$DEMO_DIR/plugin-keys"
	SOCK="$R/run/blockhost/root-agent.sock"
	STATE="$R/var/lib/blockhost"
	# the session user's home: libvirt's guest-agent channel sockets live under it and
	# must fit in sun_path (108 bytes): <home>/.config/libvirt/qemu/channel/target/
	# domain-<id>-blockhost-NNN/org.qemu.guest_agent.0 is the home + 83 bytes, so a home
	# longer than 20 bytes (the default DEMO_DIR's is 29) is a short /tmp directory instead
	VHOME="$DEMO_DIR/vh"
	if [ ${#VHOME} -gt 20 ]; then VHOME_TMP=$(mktemp -d /tmp/bhv.XXXXXX); VHOME=$VHOME_TMP; fi
	chmod 0755 "$DEMO_DIR" "$R"
	mkdir -p "$ACT" "$KEYS" "$R/run/blockhost" "$R/etc/blockhost" "$STATE/vms" "$STATE/cloud-init" \
		"$STATE/templates" "$VHOME/run" "$R/usr/share/blockhost/vm"
	chown -R "$PUID:$PGID" "$STATE" "$VHOME"
	chmod 0700 "$VHOME/run"
	chgrp "$AGID" "$R/run/blockhost"; chmod 2775 "$R/run/blockhost"
	cp "$BUILD"/agent-test-key/pub/*.pub "$KEYS/"
	say "plugin keys: the public half of this build's test key ($BUILD/agent-test-key) — a demo key, not a release key"
	for f in "$BUILD"/prov-actions/domain-*; do
		case $f in *.manifest|*.sig) install -m 0644 "$f" "$ACT/" ;; *) install -m 0755 "$f" "$ACT/" ;; esac
	done
	for a in bridge-port-isolate ip6-route-add ip6-route-del; do
		install -m 0755 "$BUILD/agent-actions/$a" "$ACT/"
		install -m 0644 "$BUILD/agent-actions/$a.manifest" "$BUILD/agent-actions/$a.sig" "$ACT/"
	done
	for f in pam.d-sshd 50-blockhost.conf; do
		[ -f "$TOP/src/pam/vm/$f" ] && cp "$TOP/src/pam/vm/$f" "$R/usr/share/blockhost/vm/"
	done
	say "actions installed in $ACT: $(cd "$ACT" && ls | grep -v '\.' | tr '\n' ' ')"

	# KVM when /dev/kvm is there (DEMO_ACCEL=auto, the default), with one TCG retry if the
	# KVM domain does not come up (nested KVM often cannot run it); DEMO_ACCEL=tcg|kvm forces
	ACCEL=${DEMO_ACCEL:-auto}
	KVM_GROUPS=
	if [ "$ACCEL" != tcg ] && [ -c /dev/kvm ] && getent group kvm > /dev/null; then
		DTYPE=kvm; KVM_GROUPS=",$(getent group kvm | cut -d: -f3)"
	else
		[ "$ACCEL" = kvm ] && bad "DEMO_ACCEL=kvm but /dev/kvm is missing: using TCG"
		DTYPE=qemu; ACCEL=tcg
	fi
	sport=$(free_port); smax=$((sport + 63)); [ $smax -le 65535 ] || smax=65535
	# the signing page's forward: the host's 127.0.0.1:63108, the port pam_web3's URL names
	SIGN_FWD= SIGN_JSON=
	if python3 -c 'import socket,sys;s=socket.socket();s.bind(("127.0.0.1",int(sys.argv[1])))' "$SIGNING_PORT" 2>/dev/null &&
		{ [ "$SIGNING_PORT" -lt "$sport" ] || [ "$SIGNING_PORT" -gt "$smax" ]; }; then
		SIGN_FWD=1 SIGN_JSON=", \"signing_port\": $SIGNING_PORT"
	else
		bad "127.0.0.1:$SIGNING_PORT is in use on this host: the VM's signing page is not forwarded (paste login only)"
	fi
	# write_libvirt_json TYPE GA_TIMEOUT
	write_libvirt_json() {
		cat > "$R/etc/blockhost/libvirt.json" <<JSON
{ "uri": "qemu:///session", "domain_type": "$1", "guest_agent_timeout": $2,
  "template": "/var/lib/blockhost/templates/blockhost-base.qcow2",
  "storage_path": "/var/lib/blockhost/vms",
  "cloud_init_dir": "/var/lib/blockhost/cloud-init",
  "session_user": { "uid": $PUID, "gid": $PGID, "home": "$VHOME", "runtime_dir": "$VHOME/run" },
  "user_net_ssh": { "port_min": $sport, "port_max": $smax$SIGN_JSON } }
JSON
		chmod 0644 "$R/etc/blockhost/libvirt.json"
	}
	if [ "$DTYPE" = kvm ]; then write_libvirt_json kvm 240; else write_libvirt_json qemu 540; fi
	if [ "${DEMO_NET:-dhcp}" = static ]; then
		# pools of one address each, slirp's own guest address (the SSH forward goes to
		# 10.0.2.15) and IPv6 net: the seed's network-config is static, no DHCP
		cat > "$R/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json", "default_expiry_days": 30, "gc_grace_days": 7,
  "ip_pool": { "network": "10.0.2.0/24", "start": 15, "end": 15, "gateway": "10.0.2.2" },
  "ipv6_pool": { "prefix": "fec0::/64", "start": 21, "end": 21 } }
JSON
	else
		# no ip_pool: under user-mode networking the guest takes slirp's DHCP address
		cat > "$R/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json", "default_expiry_days": 30, "gc_grace_days": 7 }
JSON
	fi
	chmod 0644 "$R/etc/blockhost/db.json"
	say "libvirt.json: qemu:///session as uid $PUID, domain type $DTYPE, SSH forward from 127.0.0.1:$sport..$smax${SIGN_FWD:+, signing page 127.0.0.1:$SIGNING_PORT → guest :$SIGNING_PORT}"

	# the CLIs (and the engine) as nobody + the agent's group, exactly their policy's
	# [identity]; the session daemons also get the kvm group
	as_user() {
		setpriv --reuid=$PUID --regid=$PGID --groups="$AGID" --inh-caps=-all \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$VHOME" XDG_RUNTIME_DIR="$VHOME/run" \
			BLOCKHOST_ROOT="$R" BLOCKHOST_POLICY_DIR="$BLOCKHOST_POLICY_DIR" \
			BLOCKHOST_SECCOMP_DIR="$BLOCKHOST_SECCOMP_DIR" "$@"
	}
	as_user_exec() {
		exec setsid setpriv --reuid=$PUID --regid=$PGID --groups="$AGID$KVM_GROUPS" --inh-caps=-all \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$VHOME" XDG_RUNTIME_DIR="$VHOME/run" \
			BLOCKHOST_ROOT="$R" "$@"
	}
	vm() { local v=$1; shift; as_user "$BIN/blockhost-vm-$v" "$@"; }
	virsh_u() { as_user virsh -c qemu:///session "$@"; }

	setsid "$BIN/blockhost-root-agent" --keys-dir "$KEYS" > "$LOGS/agent.log" 2>&1 &
	AGENT_PID=$!; track "$AGENT_PID" "root agent"
	up=
	for _ in $(seq 200); do grep -q 'actions verified' "$LOGS/agent.log" && { up=1; break; }; sleep 0.05; done
	if [ -n "$up" ]; then say "root agent up (pid $AGENT_PID): $(grep -m1 'actions verified' "$LOGS/agent.log")"
	else failed 2 "root agent did not start" "$LOGS/agent.log"; VM_OK=; fi

	if [ -n "$VM_OK" ]; then
		(as_user_exec /usr/sbin/virtlogd) > "$LOGS/virtlogd.log" 2>&1 &
		track $! "virtlogd (session)"
		(as_user_exec /usr/sbin/libvirtd) > "$LOGS/libvirtd.log" 2>&1 &
		LIBVIRTD_PID=$!; track "$LIBVIRTD_PID" "libvirtd (session)"
		up=
		for _ in $(seq 150); do
			[ -S "$VHOME/run/libvirt/libvirt-sock" ] && virsh_u list > /dev/null 2>&1 && { up=1; break; }
			sleep 0.1
		done
		if [ -n "$up" ]; then
			say "libvirtd qemu:///session for uid $PUID up (pid $LIBVIRTD_PID, socket $VHOME/run/libvirt/libvirt-sock)"
			passed 2 "root agent + signed plugins, session libvirt as nobody"
		else failed 2 "session libvirtd did not start" "$LOGS/libvirtd.log"; VM_OK=; fi
	fi
fi

# ================================================================ 3. template
if [ -n "$VM_OK" ]; then
	step "3. VM template (Debian 12 + cloud-init + qemu-guest-agent + sshd + pam_web3 + web3-auth-svc)"
	if [ -f "$TEMPLATE_CACHE" ] && [ "${DEMO_REBUILD_TEMPLATE:-}" != 1 ]; then
		say "using the cached template $TEMPLATE_CACHE ($(du -h "$TEMPLATE_CACHE" | cut -f1); key $TEMPLATE_KEY = the content hash of its inputs; DEMO_REBUILD_TEMPLATE=1 rebuilds)"
		touch "$TEMPLATE_CACHE"   # recently used: kept by the pruning below
	else
		say "building the template into $TEMPLATE_CACHE (key $TEMPLATE_KEY: the content hash of the binaries, pam_web3.so, unit files, policy, pages and builder; debootstrap: several minutes; log $LOGS/template.log)"
		TWORK="$(dirname "$TEMPLATE_CACHE")/work-$TEMPLATE_KEY"
		rm -rf "$TWORK"; mkdir -p "$TWORK"
		if "$TOP/scripts/demo-template.sh" "$BIN" "$BUILD/lib" "$TEMPLATE_CACHE" "$TWORK" 2>&1 |
			tee "$LOGS/template.log" | sed -u 's/^/[demo]   template: /'; [ "${PIPESTATUS[0]}" = 0 ]; then
			rm -rf "$TWORK"
			# keyed templates pile up as the tree changes: keep the four most recently
			# used (never the unkeyed blockhost-base.qcow2 of older demos)
			ls -1t "$TEMPLATE_DIR"/blockhost-base-????????????????.qcow2 2>/dev/null | tail -n +5 |
				while read -r old; do say "removing the old keyed template $old"; rm -f "$old"; done
		else
			failed 3 "the template build failed; the chain/TPM part above still ran" "$LOGS/template.log"
			VM_OK=
		fi
	fi
	if [ -n "$VM_OK" ]; then
		say "copying the template into the private tree"
		install -o "$PUID" -g "$PGID" -m 0644 "$TEMPLATE_CACHE" "$STATE/templates/blockhost-base.qcow2"
		passed 3 "template $TEMPLATE_CACHE"
	fi
fi

# ================================================================ 4. contracts, plan, stablecoin
if [ -n "$VM_OK" ] && [ -z "$STEP1" ]; then VM_OK=; results+=("steps 4-8: skipped (step 1 failed)"); fi
CHAIN_OK=
if [ -n "$VM_OK" ]; then
	step "4. contracts: deployed through the keystore's deployment gate; stablecoin and plan set"
	CHAIN_OK=1
	FLAG="$R/etc/blockhost/finalization-open"
	install -m 0644 -o root -g root /dev/null "$FLAG"
	say "deployment gate opened: root-owned $FLAG + allow_deploy = yes in the site policy (docs/keystore.md)"
	t0=$(now_ms)
	if "$BIN/blockhost-deploy-contracts" --test-stablecoin --json --rpc-url "$RPC_URL" --chain-id 31337 \
		--artifacts "$BUILD/contracts" --keystore-socket "$R/run/blockhost/keystore.sock" \
		> "$LOGS/deploy.json" 2> "$LOGS/deploy.log"; then
		rm -f "$FLAG"
		say "blockhost-deploy-contracts --test-stablecoin: $(secs "$t0") s; deployment gate shut (flag removed)"
		read -r dn ds dt < <(python3 -c 'import json,sys
c = json.load(open(sys.argv[1]))["contracts"]
print(*(c[k]["address"] for k in ("AccessCredentialNFT", "BlockhostSubscriptions", "TestStablecoin")))' "$LOGS/deploy.json")
		for k in "AccessCredentialNFT:$dn:$NFT" "BlockhostSubscriptions:$ds:$SUBS" "TestStablecoin:$dt:$STABLE"; do
			IFS=: read -r name got want <<< "$k"
			if [ "${got,,}" = "${want,,}" ]; then say "  $name at $got"
			else failed 4 "$name deployed at $got, not at the predicted $want (keystore allow_to)" "$LOGS/deploy.json"; CHAIN_OK=; fi
		done
	else
		rm -f "$FLAG"
		failed 4 "blockhost-deploy-contracts: $(tail -n 1 "$LOGS/deploy.log")" "$LOGS/deploy.log"; CHAIN_OK=
	fi
fi
PLAN_ID=
if [ -n "$CHAIN_OK" ]; then
	# no admin CLI for these two owner calls yet: the call data is encoded with ethers, the
	# transaction signed by the keystore (sign_tx, its policy's allow_to) like the engine's own
	t0=$(now_ms)
	if ks_send "$SUBS" "$(buyer_js calldata 'function setPrimaryStablecoin(address)' "$STABLE")"; then
		say "setPrimaryStablecoin($STABLE) signed by the keystore: tx $TX_HASH, block $TX_BLOCK ($(secs "$t0") s)"
	else failed 4 "setPrimaryStablecoin" "$LOGS/keystore-client.log, $LOGS/anvil-client.log"; CHAIN_OK=; fi
fi
if [ -n "$CHAIN_OK" ]; then
	t0=$(now_ms)
	if ks_send "$SUBS" "$(buyer_js calldata 'function createPlan(string,uint256)' 'Basic VM' 50)"; then
		PLAN_ID=$(buyer_js call "$RPC_URL" "$SUBS" 'function getTotalPlanCount() view returns (uint256)')
		say "createPlan(\"Basic VM\", 50 cents/day) signed by the keystore: plan $PLAN_ID, tx $TX_HASH, block $TX_BLOCK ($(secs "$t0") s)"
		passed 4 "contracts NFT $NFT, subscriptions $SUBS, stablecoin $STABLE; plan $PLAN_ID (50 cents/day)"
	else failed 4 "createPlan" "$LOGS/keystore-client.log, $LOGS/anvil-client.log"; CHAIN_OK=; fi
fi

# ================================================================ 5. the engine
if [ -n "$CHAIN_OK" ]; then
	step "5. blockhost-engine run (as nobody, sandboxed) with the real provisioner"
	# web3-defaults.json (upstream.md §3.3, in JSON) names the chain and the contracts; the
	# provisioner's manifest names the CLIs by absolute path (this build, not installed)
	cat > "$R/etc/blockhost/web3-defaults.json" <<J
{ "blockchain": { "chain_id": 31337, "rpc_url": "$RPC_URL", "nft_contract": "$NFT",
  "subscription_contract": "$SUBS" } }
J
	python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
m["commands"] = {k: sys.argv[2] + "/" + v for k, v in m["commands"].items()}
json.dump(m, open(sys.argv[3], "w"), indent=1)' "$TOP/src/prov/provisioner.json" "$BIN" "$R/usr/share/blockhost/provisioner.json"
	chmod 0644 "$R/etc/blockhost/web3-defaults.json" "$R/usr/share/blockhost/provisioner.json"
	SERVER_PUB=$("$KS" request '{"op":"pubkeys"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["ecies_pubkey"])')
	START_BLOCK=$(( $(rpc eth_blockNumber '[]') ))
	ESTATE="$STATE/engine"
	say "blockhost-engine run --confirmations 2 --poll-ms 500 --retry-ms 2000 --start-block $START_BLOCK"
	say "  (web3-defaults.json: $RPC_URL, NFT $NFT, subscriptions $SUBS; provisioner.json: $BIN/blockhost-vm-*)"
	setsid setpriv --reuid=$PUID --regid=$PGID --groups="$AGID" --inh-caps=-all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin BLOCKHOST_ROOT="$R" \
		"$BIN/blockhost-engine" run --confirmations 2 --poll-ms 500 --retry-ms 2000 \
		--start-block "$START_BLOCK" > "$LOGS/engine.log" 2>&1 &
	ENGINE_PID=$!; track "$ENGINE_PID" "blockhost-engine"
	up=
	for _ in $(seq 100); do
		grep -q 'started: chain' "$LOGS/engine.log" && { up=1; break; }
		kill -0 "$ENGINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$up" ]; then
		say "engine up (pid $ENGINE_PID): $(grep -m1 -o 'started: .*' "$LOGS/engine.log")"
		python3 - "$DEMO_JSON" <<PY
import json, sys
json.dump({"rpc_url": "$RPC_URL", "chain_id": 31337, "subscriptions": "$SUBS", "nft": "$NFT",
           "stablecoin": "$STABLE", "plan_id": int("$PLAN_ID"), "server_public_key": "$SERVER_PUB",
           "public_secret": "$PUBLIC_SECRET"}, open(sys.argv[1], "w"), indent=1)
PY
		chmod 0644 "$DEMO_JSON"
		say "wrote $DEMO_JSON (rpc_url, chain_id, contracts, plan_id, server_public_key, public_secret \"$PUBLIC_SECRET\")"
		passed 5 "engine pid $ENGINE_PID, $DEMO_JSON"
	else
		failed 5 "blockhost-engine did not start: $(tail -n 1 "$LOGS/engine.log")" "$LOGS/engine.log"; CHAIN_OK=
	fi
fi

# ================================================================ 6. the purchase
# sub_field ID KEY: a field of the engine's journal record of subscription ID ("" if none)
sub_field() {
	python3 -c 'import json,sys
try: v = json.load(open(sys.argv[1])).get(sys.argv[2])
except Exception: v = None
print("" if v is None else v if isinstance(v, (str, int)) else json.dumps(v))' "$ESTATE/subs/$1.json" "$2" 2>/dev/null
}
SUB_DONE=
if [ -n "$CHAIN_OK" ]; then
	step "6. a buyer (ethers + noble) buys a subscription; the engine creates the VM and mints the NFT"
	BUYER_KEY="$DEMO_DIR/buyer.key"
	(umask 077; "$BIN/bhcrypt" generate-keypair > "$BUYER_KEY")
	BUYER=$("$BIN/bhcrypt" key-to-address --key-file "$BUYER_KEY")
	good "buyer wallet $BUYER (private key in $BUYER_KEY, mode $(stat -c %a "$BUYER_KEY"))"
	T_BUY=$(now_ms)
	if buy=$(buyer_js buy "$DEMO_JSON" "$BUYER_KEY" 30 2> >(tee "$LOGS/buyer.log" | sed -u 's/^/[demo]   /' >&2)); then
		SUB_ID=$(json_get "$buy" subscription_id)
		good "purchase mined: subscription $SUB_ID in block $(json_get "$buy" block) ($(secs "$T_BUY") s)"
	else
		sleep 0.2; failed 6 "the purchase failed: $(tail -n 1 "$LOGS/buyer.log")" "$LOGS/buyer.log"; CHAIN_OK=
	fi
fi
if [ -n "$CHAIN_OK" ]; then
	say "the engine's journal ($ESTATE/subs/$SUB_ID.json), as it happens (times since the purchase):"
	T_SUB=$(now_ms); last= fell_back= err_seen=
	deadline=$(( $(date +%s) + 1800 ))   # 30 min: a KVM attempt that times out, then a TCG boot
	while [ "$(date +%s)" -lt "$deadline" ]; do
		st=$(sub_field "$SUB_ID" state)
		if [ -n "$st" ] && [ "$st" != "$last" ]; then
			case $st in
			seen) extra="SubscriptionCreated journaled (after 2 confirmations)" ;;
			decrypted) extra="payload decrypted by the keystore: a wallet signature; provisioner create $(sub_field "$SUB_ID" vm) --apply ($DTYPE)" ;;
			created) extra="VM $(sub_field "$SUB_ID" vm) created: $(sub_field "$SUB_ID" create)" ;;
			minting) extra="mint(buyer, details encrypted with keccak256(signature)) signed by the keystore and journaled" ;;
			minted) extra="NFT $(sub_field "$SUB_ID" token_id) minted (CredentialMinted)" ;;
			gecos) extra="vms.json nft_token_id set; update-gecos next" ;;
			done) extra="update-gecos $(sub_field "$SUB_ID" vm) $BUYER --nft-id $(sub_field "$SUB_ID" token_id): done" ;;
			*) extra="$(sub_field "$SUB_ID" refusal)" ;;
			esac
			say "  +$(secs "$T_SUB") s  $st: $extra"
			last=$st
		fi
		case $st in done|refused|cancelled|reverted) break ;; esac
		e=$(sub_field "$SUB_ID" last_error)
		if [ -n "$e" ] && [ "$e" != "$err_seen" ]; then
			err_seen=$e
			bad "  +$(secs "$T_SUB") s  attempt $(sub_field "$SUB_ID" attempts) failed: ${e:0:240} (the engine retries)"
			if [ "$st" = decrypted ] && [ "$DTYPE" = kvm ] && [ "$ACCEL" = auto ] && [ -z "$fell_back" ]; then
				say "  the KVM domain did not come up: libvirt.json → TCG (software emulation), the engine's retry uses it"
				DTYPE=qemu; fell_back=1; write_libvirt_json qemu 540
			fi
		fi
		kill -0 "$ENGINE_PID" 2>/dev/null || { bad "the engine exited"; break; }
		sleep 0.25
	done
	if [ "$st" = done ]; then
		VMNAME=$(sub_field "$SUB_ID" vm); TOKEN_ID=$(sub_field "$SUB_ID" token_id)
		SUB_DONE=1
		passed 6 "subscription $SUB_ID → VM $VMNAME and NFT $TOKEN_ID by the engine ($(secs "$T_BUY") s from the purchase)"
	else
		failed 6 "subscription $SUB_ID ended in '${st:-no record}': $(sub_field "$SUB_ID" last_error)$(sub_field "$SUB_ID" refusal)" "$LOGS/engine.log"
	fi
fi

# ================================================================ 7. the NFT's details
SSH_HOST= SSH_PORT= SSH_USER=
if [ -n "$SUB_DONE" ]; then
	step "7. the buyer decrypts its NFT's connection details with its own signature"
	if det=$(buyer_js details "$DEMO_JSON" "$BUYER_KEY" 60 2> >(tee "$LOGS/buyer-details.log" | sed -u 's/^/[demo]   /' >&2)); then
		SSH_HOST=$(json_get "$det" hostname); SSH_PORT=$(json_get "$det" port); SSH_USER=$(json_get "$det" username)
		rec_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vms"][sys.argv[2]].get("ssh_port"))' \
			"$STATE/vms.json" "$VMNAME" 2>/dev/null)
		if [ "$SSH_HOST" = 127.0.0.1 ] && [ "$SSH_PORT" = "$rec_port" ]; then
			passed 7 "NFT $(json_get "$det" token_id): $SSH_USER@$SSH_HOST port $SSH_PORT (the VM's forward, vms.json ssh_port)"
		else
			failed 7 "details name $SSH_HOST:$SSH_PORT, expected 127.0.0.1:$rec_port" "$LOGS/buyer-details.log"; SSH_PORT=
		fi
	else
		sleep 0.2; failed 7 "decrypting the NFT's details: $(tail -n 1 "$LOGS/buyer-details.log")" "$LOGS/buyer-details.log"
	fi
fi

# ================================================================ 8. wallet-signature login
if [ -n "$SSH_PORT" ]; then
	step "8. SSH login by wallet signature to $SSH_USER@$SSH_HOST:$SSH_PORT (pam_web3 in the VM)"
	if vm guest-exec "$VMNAME" "getent passwd $SSH_USER" > "$LOGS/guest-exec.out" 2>&1; then
		say "inside the VM (guest agent): $(cat "$LOGS/guest-exec.out")"
	fi
	vm guest-exec "$VMNAME" 'ip -br addr; ip route; ip -6 route; cat /etc/network/interfaces.d/50-cloud-init' \
		> "$LOGS/guest-net.log" 2>&1 || true
	say "waiting for sshd in the VM"
	up=
	for _ in $(seq 120); do
		b=$(timeout 5 python3 -c 'import socket,sys;s=socket.create_connection((sys.argv[1],int(sys.argv[2])),4);s.settimeout(4);print(s.recv(64).decode(errors="replace").strip())' "$SSH_HOST" "$SSH_PORT" 2>/dev/null)
		case $b in SSH-2.0*) up=1; break ;; esac
		sleep 2
	done
	[ -n "$up" ] && say "sshd answers on $SSH_HOST:$SSH_PORT: $b"
	# demo_ssh MODE LOG: one keyboard-interactive login answered by scripts/demo-askpass.sh
	# in MODE (paste | browser); prints the remote command's output
	demo_ssh() {
		DEMO_ASKPASS_MODE=$1 DEMO_BHCRYPT="$BIN/bhcrypt" DEMO_BUYER_KEY="$BUYER_KEY" \
			DEMO_ASKPASS_LOG="$LOGS/askpass-$1.log" NODE_PATH="$NODE_MODULES" \
			SSH_ASKPASS="$TOP/scripts/demo-askpass.sh" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
			timeout 150 setsid -w ssh -p "$SSH_PORT" -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile="$DEMO_DIR/known_hosts" -o PreferredAuthentications=keyboard-interactive \
			-o NumberOfPasswordPrompts=1 -o LogLevel=ERROR "$SSH_USER@$SSH_HOST" \
			'echo "logged in as $(id -un) (uid $(id -u)) on $(hostname); GECOS: $(getent passwd $(id -un) | cut -d: -f5)"' \
			</dev/null 2> "$2" && return 0
		local rc=$?
		# sshd in the VM restarted under us (cloud-init's last stage restarts it): once more
		if grep -qE 'kex_exchange_identification|Connection (reset|refused|closed)' "$2"; then
			say "sshd in the VM dropped the connection ($(tail -n 1 "$2")): waiting 5 s and trying again"
			sleep 5
			[ "${3:-1}" -lt 4 ] && { demo_ssh "$1" "$2" $(( ${3:-1} + 1 )); return; }
		fi
		return $rc
	}
	# cloud-init's last stage restarts sshd: let it finish first (the guest agent answers)
	vm guest-exec "$VMNAME" 'cloud-init status --wait > /dev/null; cloud-init status' > "$LOGS/cloud-init-status.log" 2>&1 &&
		say "cloud-init in the VM: $(tail -n 1 "$LOGS/cloud-init-status.log")"
	say "signing automatically once: SSH_ASKPASS=scripts/demo-askpass.sh signs the Message: line of"
	say "pam_web3's prompt and answers with 'bhcrypt sign --private-key-file $BUYER_KEY --message ...'"
	: > "$LOGS/askpass-paste.log"; : > "$LOGS/askpass-browser.log"
	SIGN_URL= TLS_FP= LOGIN_OK=
	if [ -z "$up" ]; then
		failed 8 "sshd in the VM did not answer on $SSH_HOST:$SSH_PORT" "$LOGS/guest-net.log"
	elif out=$(demo_ssh paste "$LOGS/ssh.log"); then
		sed -n 's/^signing: /[demo]   askpass signed: /p' "$LOGS/askpass-paste.log"
		good "SSH login OK (signature pasted): $out"
		LOGIN_OK=1
	else
		cat "$LOGS/ssh.log" >&2
		failed 8 "SSH login by signature failed" "$LOGS/ssh.log, $LOGS/askpass-paste.log"
	fi
	# what the prompt showed: the signing page's URL and its certificate's fingerprint
	SIGN_URL=$(sed -n 's/^Sign at: \(https\{0,1\}:\/\/[^ ?]*\).*$/\1/p' "$LOGS/askpass-paste.log" | tail -n 1)
	TLS_FP=$(sed -n 's/^TLS SHA-256: \([0-9A-Fa-f:]*\)$/\1/p' "$LOGS/askpass-paste.log" | tail -n 1)
	if [ -n "$LOGIN_OK" ] && [ -z "$SIGN_FWD" ]; then
		passed 8 "wallet-signature SSH login into $VMNAME (pasted): $out; the browser way not tried (127.0.0.1:$SIGNING_PORT was in use)"
	elif [ -n "$LOGIN_OK" ]; then
		say "the prompt's signing page: $SIGN_URL?session=…; certificate SHA-256 ${TLS_FP:-(none shown)}"
		# the forward reaches the VM's own web3-auth-svc: the certificate it serves on the
		# host's 127.0.0.1:63108 is the one whose fingerprint the VM's prompt showed
		served=
		for _ in $(seq 15); do
			served=$(timeout 20 openssl s_client -connect "127.0.0.1:$SIGNING_PORT" </dev/null 2>> "$LOGS/signing-page.log" |
				openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=//')
			[ -n "$served" ] && break
			sleep 2
		done
		if [ -z "$TLS_FP" ] || [ "${served^^}" != "${TLS_FP^^}" ]; then
			failed 8 "the page on 127.0.0.1:$SIGNING_PORT serves certificate '${served:-none}', the prompt showed '${TLS_FP:-none}'" "$LOGS/signing-page.log, $LOGS/guest-signing.log"
			vm guest-exec "$VMNAME" 'systemctl status web3-auth-svc --no-pager; journalctl -u web3-auth-svc -n 40 --no-pager; ss -ltnp; ls -la /run/libpam-web3 /run/libpam-web3/pending /etc/libpam-web3/tls' \
				> "$LOGS/guest-signing.log" 2>&1 || true
		else
			say "127.0.0.1:$SIGNING_PORT serves the VM's certificate (SHA-256 matches the prompt's)"
			say "second login, the browser way: headless Chromium (tests/js/pam-browser.js) opens the"
			say "prompt's Sign at: URL, an injected wallet with the buyer's key signs on the VM's page,"
			say "the page posts the signature to the VM, askpass presses Enter"
			t0=$(now_ms)
			if bout=$(demo_ssh browser "$LOGS/ssh-browser.log"); then
				sed -n 's/^pam-browser: /[demo]   the page said: /p' "$LOGS/askpass-browser.log"
				good "SSH login OK (signed on the VM's page in Chromium, $(secs "$t0") s): $bout"
				passed 8 "wallet-signature SSH logins into $VMNAME, pasted and by the browser: $out"
			else
				cat "$LOGS/ssh-browser.log" "$LOGS/askpass-browser.log" >&2
				failed 8 "SSH login the browser way failed" "$LOGS/ssh-browser.log, $LOGS/askpass-browser.log"
			fi
		fi
	fi
	cat <<EOT

${bold}Log in yourself${off} (either way; the challenge is valid for the seconds the prompt shows):
    ssh -p $SSH_PORT -o UserKnownHostsFile=$DEMO_DIR/known_hosts $SSH_USER@$SSH_HOST
  pam_web3 shows a "Message: Authenticate to $VMNAME with code: … nonce: … expires: …" line
  and a "Sign at: ${SIGN_URL:-https://127.0.0.1:$SIGNING_PORT}?session=…" address.
  ${bold}Paste:${off} sign that whole line (after "Message: ") with the buyer's key
    $BIN/bhcrypt sign --private-key-file $BUYER_KEY --message "<the Message: text>"
  and paste the 0x… signature at the prompt.
EOT
	if [ -n "$SIGN_FWD" ]; then
		cat <<EOT
  ${bold}Browser:${off} open the printed ${SIGN_URL:-https://127.0.0.1:$SIGNING_PORT}?session=… address in a browser with
  a wallet holding the buyer's key (import $BUYER_KEY), press "Connect wallet and sign", and when the
  page says "Signature accepted", press Enter at the prompt.  The page's certificate is the
  VM's own, self-signed: the browser warns once; check that its SHA-256 fingerprint is the
  one the prompt shows${TLS_FP:+ (this VM: $TLS_FP)}.
EOT
	fi
fi
if [ -n "$ENGINE_PID" ] && [ -f "$DEMO_JSON" ]; then
	cat <<EOT

${bold}Buy a VM yourself${off} (any wallet; the engine runs until Ctrl-C; $DEMO_JSON has the chain,
contracts, plan, server key and public secret):
    (umask 077; $BIN/bhcrypt generate-keypair > my.key)
    node $TOP/scripts/demo-buyer.js buy $DEMO_JSON my.key
    node $TOP/scripts/demo-buyer.js details $DEMO_JSON my.key 1200
  then log in as above with the host and port it prints and "--private-key-file my.key".
  The engine's state: $BIN/blockhost-engine status (BLOCKHOST_ROOT=$R), log $LOGS/engine.log
EOT
fi

# ================================================================ summary
step "summary"
for l in "${results[@]}"; do say "$l"; done
say "total: $(secs "$DEMO_T0") s"
say "not in this demo: the signup page, the reconciler (NFT transfers → GECOS); the owner calls of"
say "step 4 have no admin CLI yet (ethers encodes the call data, the keystore signs)."
if [ "${DEMO_EXIT:-}" != 1 ]; then
	say "running; press Ctrl-C to stop everything"
	sleep infinity &
	wait $! || true
fi
# make demo's exit status says whether every step worked
[ "$nfailed" -eq 0 ] || { bad "$nfailed step(s) failed"; exit 1; }
