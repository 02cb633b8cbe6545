#!/usr/bin/env python3
"""Regenerate the seed corpora of fuzz/fuzz_{header,receipts,trie,proof,txs}.c from the proof
fixtures and vectors (tests/fixtures/proof/mainnet-*.json: real mainnet replies;
tests/vectors/proof.json: receipts of every type with their ethers receipts root).
Run from the top directory: fuzz/gen-proof-seeds.py"""
import glob, json, os, struct

C = 'fuzz/corpus'
for d in ('header', 'receipts', 'trie', 'proof', 'txs'):
    os.makedirs(os.path.join(C, d), exist_ok=True)

def write(d, name, data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(',', ':')).encode()
    open(os.path.join(C, d, name), 'wb').write(data)

fixtures = {os.path.basename(p)[:-5]: json.load(open(p))
            for p in sorted(glob.glob('tests/fixtures/proof/mainnet-*.json'))}
vec = json.load(open('tests/vectors/proof.json'))

# header: every field set, real blocks (transactions dropped: not header fields)
for name, x in fixtures.items():
    b = dict(x['block'])
    b.pop('transactions', None)
    write('header', name, b)
# an earlier fork's field missing (refused) and an over-long extraData (refused)
b = dict(fixtures['mainnet-26050794-prague']['block'])
b.pop('withdrawalsRoot')
write('header', 'gap-withdrawalsRoot', b)

# receipts: the vectors (every type, root and status forms), one by one and as a block
rs = [r['receipt'] for r in vec['receipts']]
write('receipts', 'vectors', rs)
for i, r in enumerate(rs):
    write('receipts', 'receipt-%d' % i, r)
write('receipts', 'mainnet-21925176-first20', fixtures['mainnet-21925176-cancun']['receipts'][:20])
write('receipts', 'empty', [])

# trie: length-prefixed values
def trie(values):
    return b''.join(struct.pack('>H', len(v)) + v for v in values)
write('trie', 'empty', b'')
write('trie', 'one', trie([b'\x01']))
write('trie', 'three', trie([b'\x01', b'\x80' * 40, b'\x7f']))
write('trie', 'seventeen', trie([bytes([i]) * (i + 1) for i in range(17)]))
write('trie', 'n130', trie([struct.pack('>I', i) for i in range(130)]))
write('trie', 'n300', trie([struct.pack('>H', i) * 20 for i in range(300)]))

# proof: a Prague header whose receiptsRoot is the vectors' (ethers) root, the vectors'
# receipts, a log of receipt 3 and its transaction
b = dict(fixtures['mainnet-26050794-prague']['block'])
b.pop('transactions', None)
b['receiptsRoot'] = vec['receiptsRoot']
prs = []
for i, r in enumerate(rs):
    r = dict(r)
    r['transactionHash'] = '0x' + ('%02x' % (i + 1)) * 32
    prs.append(r)
before = sum(len(r['logs']) for r in prs[:3])
lg = dict(prs[3]['logs'][1])
lg.update({'blockNumber': b['number'], 'blockHash': '0x' + '00' * 32,
           'transactionHash': prs[3]['transactionHash'], 'transactionIndex': '0x3',
           'logIndex': hex(before + 1), 'removed': False})
write('proof', 'prague-vectors', {'block': b, 'receipts': prs, 'log': lg, 'tx': prs[3]['transactionHash']})
fail = dict(prs[6])
write('proof', 'failed-tx', {'block': b, 'receipts': prs, 'tx': prs[6]['transactionHash']})

# txs: the vectors' transactions (every type, signed by ethers), all and one by one
txs = [t['tx'] for t in vec['transactions']]
write('txs', 'vectors', txs)
for i, t in enumerate(txs):
    x = dict(t)
    x['transactionIndex'] = '0x0'
    write('txs', 'tx-%d' % i, [x])
write('txs', 'empty', [])
