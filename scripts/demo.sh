#!/usr/bin/env bash
# make demo: run the BlockHost host locally on embedded defaults.
# Starts the real components that exist (anvil chain, swtpm TPM, keystore, root agent,
# libvirt session, VM) in a private tree under $DEMO_DIR and names what is missing.
# Stop with Ctrl-C; everything started here is stopped by PID.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}; case $BUILD in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BIN="$BUILD/bin"
DEMO_DIR=${DEMO_DIR:-$(mktemp -d /tmp/blockhost-demo.XXXXXX)}
export BLOCKHOST_ROOT="$DEMO_DIR/root"
export BLOCKHOST_POLICY_DIR="$TOP/policy" BLOCKHOST_SECCOMP_DIR="$TOP/seccomp"
mkdir -p "$BLOCKHOST_ROOT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; echo "demo: stopped"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
missing=()
say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

say "private tree: $DEMO_DIR (BLOCKHOST_ROOT=$BLOCKHOST_ROOT)"

# 1. chain
ANVIL="$TOP/tests/js/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
port=$(free_port)
"$ANVIL" --host 127.0.0.1 --port "$port" --chain-id 31337 --silent > "$DEMO_DIR/anvil.log" 2>&1 &
pids+=($!)
export RPC_URL="http://127.0.0.1:$port"
say "anvil chain on $RPC_URL (chain id 31337)"

# 2. TPM
tport=$(free_port); cport=$(free_port); mkdir -p "$DEMO_DIR/swtpm"
swtpm socket --tpm2 --tpmstate dir="$DEMO_DIR/swtpm" --server type=tcp,port="$tport",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port="$cport",bindaddr=127.0.0.1 --flags not-need-init,startup-clear </dev/null \
	> "$DEMO_DIR/swtpm.log" 2>&1 &
pids+=($!)
export TPM_TCTI="swtpm:host=127.0.0.1,port=$tport"
say "swtpm TPM on $TPM_TCTI"

# 3. components that exist so far
for c in blockhost-vmdb bhcrypt blockhost-keystore blockhost-root-agent blockhost-engine blockhost-vm-create; do
	if [ -x "$BIN/$c" ]; then say "built: $c"; else missing+=("$c"); fi
done
if [ -x "$BIN/bhcrypt" ]; then
	key=$("$BIN/bhcrypt" generate-keypair)
	say "a fresh wallet for the demo: $("$BIN/bhcrypt" key-to-address --key "$key")"
	unset key
fi
if [ -x "$BIN/blockhost-vmdb" ]; then
	"$BIN/blockhost-vmdb" --help >/dev/null 2>&1 && say "vms.json database ready under $BLOCKHOST_ROOT/var/lib/blockhost"
fi

if ((${#missing[@]})); then
	say "not built yet (the end-to-end flow needs them): ${missing[*]}"
	say "the full flow (purchase → VM → NFT → wallet SSH login) runs once the engine and provisioner land."
fi
if [ -t 0 ] && [ -z "${DEMO_EXIT:-}" ]; then
	say "running; press Ctrl-C to stop"
	wait
fi
