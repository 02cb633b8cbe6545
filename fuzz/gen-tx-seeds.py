#!/usr/bin/env python3
"""Structure seeds for fuzz/corpus/tx (the decoder's and the JSON parser's refusals):
data as a list, access lists that are not lists, with a short address, a short key, one
entry over BH_TX_MAX_ACCESS (4096), entries plus keys over it; JSON requests of type 0
whose chainId is too large to sign (v = 2 chainId + 36 must fit 64 bits), accessList
not an array, a storage key that is not 32 bytes.  Signatures are r = s = 1 (the decoder
does not recover; the harness's sender checks skip what does not recover).
Run from the top directory: fuzz/gen-tx-seeds.py
"""
import json
# the RLP helpers only (the boundary generator writes its files when imported: avoid it)
src = open('fuzz/gen-boundary-seeds.py').read().split('def put(')[0]
ns = {}
exec(src, ns)
rlp = ns['rlp']
TO = bytes.fromhex('11' * 20)
def put(name, data):
    with open('fuzz/corpus/tx/%s' % name, 'wb') as f:
        f.write(data)
def t1559(data=b'', access=None):
    return b'\x02' + rlp([1, 0, 1, 2, 21000, TO, 0, data, [] if access is None else access, 0, 1, 1])
put('struct-data-list', t1559(data=[b'\x01']))
put('struct-access-not-list', t1559(access=b'\x01'))
put('struct-access-short-address', t1559(access=[[b'\x11' * 19, []]]))
put('struct-access-key-short', t1559(access=[[TO, [b'\x22' * 31]]]))
put('struct-access-key-list', t1559(access=[[TO, [[b'\x22']]]]))
put('struct-access-good', t1559(access=[[TO, [b'\x22' * 32, b'\x33' * 32]], [TO, []]]))
put('struct-access-4097-entries', t1559(access=[[TO, []]] * 4097))
put('struct-access-keys-over', t1559(access=[[TO, [b'\x22' * 32] * 4096]]))
j = {"type": 0, "chainId": "1", "nonce": 0, "gasPrice": "1", "gasLimit": 21000,
     "to": "0x1111111111111111111111111111111111111111", "value": "0", "data": "0x"}
put('json-legacy-chain-too-large', json.dumps(dict(j, chainId=str(2**63))).encode())
put('json-legacy-chain-max-signable', json.dumps(dict(j, chainId=str((2**64 - 1 - 36) // 2))).encode())
k = {"chainId": "1", "nonce": 0, "maxPriorityFeePerGas": "1", "maxFeePerGas": "2",
     "gasLimit": 21000, "to": None, "value": "0x10", "data": "0x6000"}
put('json-access-not-array', json.dumps(dict(k, accessList={})).encode())
put('json-access-key-short', json.dumps(dict(k, accessList=[
    {"address": "0x1111111111111111111111111111111111111111", "storageKeys": ["0x22"]}])).encode())
put('json-access-good', json.dumps(dict(k, accessList=[
    {"address": "0x1111111111111111111111111111111111111111", "storageKeys": ["0x" + "22" * 32]}])).encode())
put('json-access-entry-bad', json.dumps(dict(k, accessList=[{"address": "0x11"}])).encode())
put('json-negative-nonce', json.dumps(dict(k, nonce=-1)).encode())
