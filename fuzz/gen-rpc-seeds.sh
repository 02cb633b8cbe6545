#!/usr/bin/env bash
# Regenerate the seed corpora of fuzz/fuzz_rpc_{reply,logs,block,receipt}.c from real anvil
# replies (plus a few hand-made provider errors).  Usage: BUILD=build fuzz/gen-rpc-seeds.sh
# Needs `make contracts` (TestStablecoin is deployed to get a receipt with a log).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
ANVIL="$TOP/tests/js/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
C="$TOP/fuzz/corpus"
mkdir -p "$C/rpc_reply" "$C/rpc_logs" "$C/rpc_block" "$C/rpc_receipt"
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$ANVIL" --host 127.0.0.1 --port "$port" --silent & pid=$!
trap 'kill $pid' EXIT
for i in $(seq 50); do curl -s "http://127.0.0.1:$port" >/dev/null && break; sleep 0.1; done
raw() { curl -s -X POST -H 'content-type: application/json' \
	--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "http://127.0.0.1:$port"; }
res() { raw "$@" | python3 -c 'import json,sys;r=json.load(sys.stdin)["result"];print(r if isinstance(r,str) else json.dumps(r))'; }
A0=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266
raw eth_blockNumber '[]' > "$C/rpc_reply/blocknumber"
raw eth_chainId '[]' > "$C/rpc_reply/chainid"
raw eth_gasPrice '[]' > "$C/rpc_reply/gasprice"
raw eth_getBlockByNumber '["latest",false]' > "$C/rpc_block/latest"
raw eth_getBlockByNumber '["0x0",false]' > "$C/rpc_block/genesis"
raw eth_getBlockByNumber '["0x999",false]' > "$C/rpc_block/null"
code=$(node -e 'console.log(require(process.argv[1]).bytecode)' "$TOP/$BUILD/contracts/TestStablecoin.json")
h=$(res eth_sendTransaction "[{\"from\":\"$A0\",\"data\":\"$code\"}]")
raw eth_getTransactionReceipt "[\"$h\"]" > "$C/rpc_receipt/deploy"
tok=$(res eth_getTransactionReceipt "[\"$h\"]" | python3 -c 'import json,sys;print(json.load(sys.stdin)["contractAddress"])')
data="0x40c10f19000000000000000000000000${A0#0x}00000000000000000000000000000000000000000000000000000000000f4240"
h=$(res eth_sendTransaction "[{\"from\":\"$A0\",\"to\":\"$tok\",\"data\":\"$data\"}]")
raw eth_getTransactionReceipt "[\"$h\"]" > "$C/rpc_receipt/mint"
raw eth_getTransactionReceipt '["0x0000000000000000000000000000000000000000000000000000000000000001"]' > "$C/rpc_receipt/null"
raw eth_getLogs "[{\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"address\":\"$tok\"}]" > "$C/rpc_logs/transfer"
raw eth_getLogs '[{"fromBlock":"0x0","toBlock":"0x0"}]' > "$C/rpc_logs/empty"
# transferFrom without allowance: a revert with custom-error data
data="0x23b872dd000000000000000000000000${A0#0x}000000000000000000000000${A0#0x}0000000000000000000000000000000000000000000000000000000000000001"
raw eth_call "[{\"from\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"to\":\"$tok\",\"data\":\"$data\"},\"latest\"]" > "$C/rpc_reply/revert"
raw eth_sendRawTransaction '["0x02"]' > "$C/rpc_reply/error-decode"
# provider errors seen in the wild (hand-made)
printf '{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results"}}' > "$C/rpc_logs/limit"
printf '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}' > "$C/rpc_reply/null-id"
printf '{"jsonrpc":"2.0","id":1,"result":"0x1","result":"0x2"}' > "$C/rpc_reply/dup"
printf '{"jsonrpc":"2.0","id":2,"result":"0x1"}' > "$C/rpc_reply/wrong-id"
printf '{"jsonrpc":"2.0","id":1,"result":"0x01"}' > "$C/rpc_reply/leading-zero"
printf '{"jsonrpc":"2.0","id":1,"result":"0x' > "$C/rpc_reply/truncated"
printf '{"jsonrpc":"2.0","id":1,"result":"0xffffffffffffffffff"}' > "$C/rpc_reply/big"
echo "seeds written under $C/rpc_*"
