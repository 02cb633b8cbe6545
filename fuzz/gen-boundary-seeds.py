#!/usr/bin/env python3
"""Boundary seeds (issue 20) for the rlp, tx, abi and frame corpora: sizes at
cap-1/cap/cap+1, v/chain_id extremes, nesting at the RLP depth limit.
Caps from the headers: BH_RLP_MAX_DEPTH 16, BH_RLP_MAX_ITEMS 2^17 (eth/rlp.h),
BH_TX_MAX_RAW 256 KiB (eth/tx.h), BH_ABI_MAX_DATA 1 MiB (eth/abi.h).
Run from the top directory: fuzz/gen-boundary-seeds.py
"""
import json, os, struct

def be(n):
    return n.to_bytes((n.bit_length() + 7) // 8, 'big') if n else b''

def rlp(x):
    if isinstance(x, int):
        x = be(x)
    if isinstance(x, bytes):
        if len(x) == 1 and x[0] < 0x80:
            return x
        return hdr(0x80, len(x)) + x
    body = b''.join(rlp(i) for i in x)
    return hdr(0xc0, len(body)) + body

def hdr(base, n):
    if n <= 55:
        return bytes([base + n])
    b = be(n)
    return bytes([base + 55 + len(b)]) + b

def put(target, name, data):
    d = 'fuzz/corpus/%s' % target
    os.makedirs(d, exist_ok=True)
    with open('%s/%s' % (d, name), 'wb') as f:
        f.write(data)

# ---- rlp: depth (outer list is depth 0; a list at depth 16 is refused)
def nest(d):
    x = []
    for _ in range(d - 1):
        x = [x]
    return rlp(x)
put('rlp', 'depth-16-at-limit', nest(16))
put('rlp', 'depth-17-over-limit', nest(17))
put('rlp', 'str-55-short-form', rlp(b'a' * 55))
put('rlp', 'str-56-long-form', rlp(b'a' * 56))
put('rlp', 'list-55-short-form', rlp([b'a' * 53]))
put('rlp', 'list-56-long-form', rlp([b'a' * 54]))
put('rlp', 'uint64-max', rlp([2**64 - 1, 2**64, 2**256 - 1]))
put('rlp', 'u256-33-bytes', rlp([b'\x01' * 33]))
# items: the outer list counts, so N-1 elements is the cap and N is one over
N = 1 << 17
put('rlp', 'items-at-cap', rlp([b'\x00'] * (N - 1)))
put('rlp', 'items-over-cap', rlp([b'\x00'] * N))

# ---- tx: raw size at cap-1/cap/cap+1 (signed legacy, r = s = 1), v / chain_id extremes
TO = bytes.fromhex('11' * 20)
CAP = 256 * 1024
def legacy(data, v=27, r=1, s=1):
    return rlp([1, 1, 21000, TO, 0, data, v, r, s])
base = len(legacy(b''))
for name, want in (('raw-cap-minus-1', CAP - 1), ('raw-at-cap', CAP), ('raw-cap-plus-1', CAP + 1)):
    n = want - base
    while len(legacy(b'\xaa' * n)) > want:
        n -= 1
    t = legacy(b'\xaa' * n)
    k = 0
    while len(t) < want:           # pad with the nonce's width
        k += 1
        t = rlp([256 ** k - 1, 1, 21000, TO, 0, b'\xaa' * n, 27, 1, 1])
        if len(t) > want:
            n -= 1; k = 0; t = legacy(b'\xaa' * n)
    assert len(t) == want, (name, len(t), want)
    put('tx', name, t)
for name, v in (('legacy-v-0', 0), ('legacy-v-26', 26), ('legacy-v-27', 27), ('legacy-v-28', 28),
                ('legacy-v-29', 29), ('legacy-v-35-chain0', 35), ('legacy-v-36-chain0', 36),
                ('legacy-v-2p64', 2**64), ('legacy-v-2p64-minus-2', 2**64 - 2)):
    put('tx', name, legacy(b'', v=v))
def t1559(chain, parity=0):
    return b'\x02' + rlp([chain, 0, 1, 2, 21000, TO, 0, b'', [], parity, 1, 1])
for name, c in (('1559-chain-0', 0), ('1559-chain-1', 1), ('1559-chain-2p64-minus-1', 2**64 - 1),
                ('1559-chain-2p64', 2**64)):
    put('tx', name, t1559(c))
put('tx', '1559-parity-2', t1559(1, 2))
j = {"chainId": "0x7a69", "nonce": 3, "maxPriorityFeePerGas": "1000000000",
     "maxFeePerGas": "20000000000", "gasLimit": 21000,
     "to": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "value": "1", "data": "0x"}
for name, c in (('json-chain-0', '0x0'), ('json-chain-2p64-minus-1', '0xffffffffffffffff'),
                ('json-chain-2p64', '0x10000000000000000')):
    put('tx', name, json.dumps(dict(j, chainId=c)).encode())

# ---- abi: selector 12 = "string" (fuzz_abi.c types[]); encoded size at the 1 MiB cap and
# one word over (ABI lengths are multiples of 32, so cap-1 is the ordinary malformed case)
ACAP = 1024 * 1024
def abi_string(total):
    n = total - 64
    return bytes([12]) + (32).to_bytes(32, 'big') + n.to_bytes(32, 'big') + b'a' * n
put('abi', 'string-data-at-cap', abi_string(ACAP))
put('abi', 'string-data-over-cap', abi_string(ACAP + 32))
