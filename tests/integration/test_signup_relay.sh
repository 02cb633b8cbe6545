#!/usr/bin/env bash
# blockhost-signup's read-only chain relay and static files against real components
# (keystore on swtpm, anvil with a contract): the five relayed methods answer as anvil does
# (revert data included); every refusal is a JSON-RPC error naming what was refused
# (method outside the list, address outside the host's contracts, block range, oversize
# request, batch too large, flood -> 429) and the server keeps serving; hostile paths
# (traversal, encoded dots, NUL, overlong, hidden files, symlinks) get 404.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
source "$TOP/tests/helpers/signup_lib.sh"
su_setup
SU_NFT=$SU_BIG su_config "$SU_DIR/signup.json" '"relay": { "requests_per_minute": 60, "burst": 40, "max_log_blocks": 1000, "max_answer_bytes": 4096 }'
su_start

# jget JSON PATH: a member of a JSON document (node)
jget() { node -e 'let v=JSON.parse(process.argv[1]);for(const k of process.argv[2].split(".").filter(Boolean))v=v[k];console.log(typeof v==="string"?v:JSON.stringify(v))' "$1" "$2"; }
# expect_refusal BODY CODE TEXT: a JSON-RPC error with that code and message text
expect_refusal() {
	local a; a=$(su_rpc "$1") || fail "POST /rpc $1"
	[ "$(jget "$a" error.code)" = "$2" ] || fail "$1: expected error $2, got $a"
	grepq -F -- "$3" <<< "$(jget "$a" error.message)" || fail "$1: message lacks '$3': $a"
	echo "    refused: $(jget "$a" error.message)"
}
C=$(tr A-F a-f <<< "$SU_CONTRACT")
OTHER=0x70997970c51812dc3a010c7d01b50e0d17dc79c8

# ---- relayed: the same answers as anvil
a=$(su_rpc '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}')
[ "$(jget "$a" result)" = 0x7a69 ] || fail "eth_chainId: $a"
a=$(su_rpc '{"jsonrpc":"2.0","id":"b","method":"eth_blockNumber"}')
[ "$(jget "$a" id)" = b ] && [ "$(jget "$a" result)" = "$(rpc eth_blockNumber '[]')" ] || fail "eth_blockNumber: $a"
a=$(su_rpc "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_call\",\"params\":[{\"to\":\"$SU_CONTRACT\",\"data\":\"0x12345678\"},\"latest\"]}")
[ "$(jget "$a" error.data)" = 0xdeadbeef ] || fail "eth_call revert data not relayed: $a"
hash=$(rpc eth_getBlockByNumber '["0x1",false]' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).transactions[0]))')
a=$(su_rpc "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"eth_getTransactionReceipt\",\"params\":[\"$hash\"]}")
[ "$(jget "$a" result.contractAddress)" = "$C" ] || fail "eth_getTransactionReceipt: $a"
a=$(su_rpc "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"eth_getLogs\",\"params\":[{\"address\":\"$SU_CONTRACT\",\"fromBlock\":\"0x0\",\"toBlock\":\"0x3e7\"}]}")
[ "$(jget "$a" result)" = '[]' ] || fail "eth_getLogs: $a"
a=$(su_rpc "[{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"eth_chainId\"},{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x00\"]}]")
[ "$(jget "$a" 0.result)" = 0x7a69 ] && [ "$(jget "$a" 1.error.code)" = -32601 ] || fail "batch: $a"
a=$(su_rpc "{\"jsonrpc\":\"2.0\",\"id\":\"big\",\"method\":\"eth_call\",\"params\":[{\"to\":\"$SU_BIG\"}]}")
[ "$(jget "$a" error.code)" = -32005 ] && grepq -F "eth_call: the provider's answer is over the relay's limit of 4096 bytes" <<< "$a" ||
	fail "an answer over max_answer_bytes: $a"
echo "    refused: $(jget "$a" error.message)"
ok "relayed as anvil answers: eth_chainId, eth_blockNumber, eth_call (revert data 0xdeadbeef for the page to decode), eth_getTransactionReceipt, eth_getLogs, a batch with one refusal; an answer over max_answer_bytes is a -32005 error"

# ---- refusals, each a clear JSON-RPC error
expect_refusal '{"jsonrpc":"2.0","id":7,"method":"eth_sendRawTransaction","params":["0x02"]}' -32601 \
	"method eth_sendRawTransaction is not relayed: the page sends transactions through your wallet"
expect_refusal '{"jsonrpc":"2.0","id":8,"method":"debug_traceCall","params":[]}' -32601 "method debug_traceCall is not relayed"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"eth_call\",\"params\":[{\"to\":\"$OTHER\",\"data\":\"0x\"}]}" -32602 \
	"eth_call to $OTHER is not relayed: only the host's own contracts"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"eth_call\",\"params\":[{\"to\":\"$SU_CONTRACT\",\"value\":\"0x1\"}]}" -32602 \
	"field 'value' is not relayed"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"eth_call\",\"params\":[{\"to\":\"$SU_CONTRACT\"},\"latest\",{}]}" -32602 "no state overrides"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"eth_getLogs\",\"params\":[{\"address\":[\"$SU_CONTRACT\",\"$OTHER\"],\"fromBlock\":\"0x0\",\"toBlock\":\"0x1\"}]}" -32602 \
	"eth_getLogs of $OTHER is not relayed"
expect_refusal '{"jsonrpc":"2.0","id":13,"method":"eth_getLogs","params":[{"fromBlock":"0x0","toBlock":"0x1"}]}' -32602 "'address' is required"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"eth_getLogs\",\"params\":[{\"address\":\"$SU_CONTRACT\",\"fromBlock\":\"0x0\",\"toBlock\":\"0x3e8\"}]}" -32005 \
	"eth_getLogs over 1001 blocks is not relayed: at most 1000 blocks per query"
expect_refusal "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"eth_getLogs\",\"params\":[{\"address\":\"$SU_CONTRACT\",\"fromBlock\":\"earliest\",\"toBlock\":\"latest\"}]}" -32602 \
	"fromBlock and toBlock must be block numbers"
expect_refusal 'not json' -32700 "not a JSON-RPC object or batch"
expect_refusal '[]' -32600 "empty batch"
batch=$(node -e 'console.log(JSON.stringify(Array.from({length:17},(_,i)=>({jsonrpc:"2.0",id:i,method:"eth_chainId"}))))')
expect_refusal "$batch" -32005 "batch of 17 calls is over the relay's limit of 16 per request"
expect_refusal '{"jsonrpc":"2.0","id":16,"method":"eth_chainId","params":[],"extra":1}' -32600 "unknown member 'extra'"
expect_refusal '{"jsonrpc":"1.0","id":17,"method":"eth_chainId"}' -32600 "'jsonrpc' must be \"2.0\""
expect_refusal '{"jsonrpc":"2.0","method":"eth_chainId"}' -32600 "'id' must be an integer or a string"
# oversize: 413 with a JSON-RPC error
big=$(python3 -c 'print("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":[{\"to\":\"0x\",\"data\":\"0x" + "00"*10000 + "\"}]}")')
code=$(su_curl -o "$T/big.out" -w '%{http_code}' -X POST --data-binary "$big" "$SU_URL/rpc")
[ "$code" = 413 ] || fail "oversize request: HTTP $code"
grepq -F "request over the relay's limit of 16384 bytes" "$T/big.out" || fail "oversize: $(cat "$T/big.out")"
# a declared 1 GiB body is answered at once, without reading it
python3 - "$SU_PORT" "$SU_DIR/ca.pem" <<'PY' || fail "a declared 1 GiB body was not answered 413 before the body"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5), server_hostname="127.0.0.1")
s.sendall(b"POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
head = s.recv(4096).decode()
sys.exit(0 if head.startswith("HTTP/1.1 413") else print(head) or 1)
PY
[ "$(su_curl -o /dev/null -w '%{http_code}' "$SU_URL/rpc")" = 405 ] || fail "GET /rpc is not 405"
kill -0 "$SU_PID" || fail "the server died"
a=$(su_rpc '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')
[ "$(jget "$a" result)" = 0x7a69 ] || fail "not serving after the refusals: $a"
ok "refusals (method, address, field, state override, range, tags, parse, empty and oversize batch, members, version, id, oversize body 413, a declared 1 GiB body 413 before it is sent, GET /rpc 405) each a clear JSON-RPC error; the server keeps serving"

# ---- static files: hostile paths are 404, nothing outside www
ln -sf /etc/passwd "$T/passwd-link"
for p in '/../../../etc/passwd' '/assets/../../../etc/passwd' '/assets/%2e%2e/%2e%2e/etc/passwd' '/assets/..%2f..%2fetc%2fpasswd' \
	'/%2e%2e/etc/passwd' '/assets/signup.css%00.html' '/assets/signup.css%00' '/assets/.hidden' '/assets/' '/assets' \
	'/index.html/' '//assets/signup.css' '/assets//signup.css' '/assets/sub/signup.css' "/assets/$(printf 'a%.0s' $(seq 200))" \
	'/ASSETS/signup.css' '/assets/signup.css?x=../../etc/passwd/../' '/assets/%73ignup.css' '/etc/passwd' '/assets/\\..\\..\\etc\\passwd'; do
	code=$(su_curl --path-as-is -o "$T/p.out" -w '%{http_code}' "$SU_URL$p")
	case $p in '/assets/signup.css?x='*) want=200 ;; *) want=404 ;; esac
	[ "$code" = "$want" ] || fail "GET $p: HTTP $code, expected $want"
	[ "$want" = 200 ] || ! grepq root: "$T/p.out" || fail "GET $p served /etc/passwd"
done
code=$(su_curl -o /dev/null -w '%{http_code}' -X PUT --data x "$SU_URL/")
[ "$code" = 405 ] || fail "PUT /: HTTP $code"
ok "hostile paths (traversal, encoded dots and slashes, NUL, hidden, empty, doubled slashes, subdirectories, overlong, case, encoded letters) are 404; PUT is 405"
# a symlink among the page's files: refused at start, naming it
mkdir -p "$SU_DIR/www/assets"; cp "$BUILD/share/blockhost/signup/index.html" "$SU_DIR/www/"
ln -s /etc/passwd "$SU_DIR/www/assets/passwd.txt"
sed "s|\"www\": \"[^\"]*\"|\"www\": \"$SU_DIR/www\"|" "$SU_DIR/signup.json" > "$SU_DIR/www.json"; chmod 644 "$SU_DIR/www.json"
rc=0; setpriv --reuid="$SU_USER" --regid="$SU_USER" --clear-groups "$SU" --config "$SU_DIR/www.json" 2> "$T/www.err" || rc=$?
[ "$rc" = 1 ] && grepq "assets/passwd.txt: is a symbolic link" "$T/www.err" || { cat "$T/www.err"; fail "a symlinked asset was not refused (exit $rc)"; }
ok "a symlink among the page's files is refused at start: $(grep -o 'page files.*' "$T/www.err" | head -c 160)"

# ---- flood: 429 once the client's budget is spent, then the server keeps serving
n429=0 n200=0
for i in $(seq 60); do
	code=$(su_curl -o "$T/f.out" -w '%{http_code}' -X POST --data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}' "$SU_URL/rpc")
	case $code in 200) n200=$((n200 + 1)) ;; 429) n429=$((n429 + 1)); cp "$T/f.out" "$T/429.out" ;; *) fail "flood: HTTP $code" ;; esac
done
[ "$n429" -gt 0 ] || fail "60 requests in a row were never limited"
grepq -F '"code":-32005' "$T/429.out" && grepq -F "rate limit: at most 60 relayed calls per minute" "$T/429.out" || fail "429 body: $(cat "$T/429.out")"
[ "$(su_curl -o /dev/null -w '%{http_code}' "$SU_URL/")" = 200 ] || fail "GET / during the flood"
sleep 2
[ "$(su_curl -o /dev/null -w '%{http_code}' -X POST --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}' "$SU_URL/rpc")" = 200 ] ||
	fail "the relay did not recover after the flood"
kill -0 "$SU_PID" || fail "the server died"
ok "flood: $n200 relayed then $n429 answered 429 with a JSON-RPC error (-32005, names the budget); the page is still served and the relay recovers"
