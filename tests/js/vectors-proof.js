// SPDX-License-Identifier: MIT
// Writes tests/vectors/proof.json for tests/unit/test_proof.c: ordered trie roots and
// receipt consensus encodings computed by ethers v6 (tests/js/ethers-trie.js).
//   node tests/js/vectors-proof.js > tests/vectors/proof.json
// Values are deterministic (keccak chains), so the file is reproducible.
'use strict';
const { ethers } = require('ethers');
const peer = require('./ethers-trie.js');

const bytes = (seed, n) => {  // n deterministic bytes
	let out = '0x', h = ethers.id(seed);
	while ((out.length - 2) / 2 < n) { out += h.slice(2); h = ethers.keccak256(h); }
	return out.slice(0, 2 + 2 * n);
};

// trie: lists whose sizes cross the key-length and embedding boundaries
const trie = [];
for (const [n, len] of [[0, 1], [1, 1], [2, 1], [3, 40], [15, 2], [16, 5], [17, 31],
	[127, 3], [128, 3], [129, 33], [255, 8], [256, 8], [300, 10], [1000, 4]]) {
	const values = [];
	for (let i = 0; i < n; i++)
		values.push(len === 1 ? ethers.toBeHex(i % 256, 1) : bytes(`v${n}.${i}`, len));
	trie.push({ values, root: peer.orderedRoot(values) });
}

// receipts: every type, status and root forms, logs with 0..4 topics and edge data sizes
const log = (seed, nt, data) => ({ address: bytes(seed + 'a', 20),
	topics: Array.from({ length: nt }, (_, i) => bytes(seed + 't' + i, 32)), data });
const receipts = [];
const shapes = [
	{ type: undefined, status: '0x1', logs: [] },
	{ type: '0x0', status: '0x0', logs: [log('a', 0, '0x')] },
	{ type: '0x1', status: '0x1', logs: [log('b', 1, '0x05')] },
	{ type: '0x2', status: '0x1', logs: [log('c', 2, '0x80'), log('d', 4, bytes('d', 55))] },
	{ type: '0x2', status: '0x1', logs: [log('e', 3, bytes('e', 56)), log('f', 1, bytes('f', 300))] },
	{ type: '0x3', status: '0x1', logs: [log('g', 2, bytes('g', 64))] },
	{ type: '0x4', status: '0x0', logs: [] },
	{ type: '0x0', root: bytes('root', 32), logs: [log('h', 1, bytes('h', 1000))] },
];
shapes.forEach((s, i) => {
	const r = { ...(s.type ? { type: s.type } : {}), ...(s.root ? { root: s.root } : { status: s.status }),
		cumulativeGasUsed: ethers.toQuantity(21000 * (i + 1) + i), logs: s.logs,
		logsBloom: peer.bloom(s.logs), transactionIndex: ethers.toQuantity(i) };
	receipts.push({ receipt: r, encoding: peer.receiptBytes(r) });
});
const root = peer.receiptsRoot(receipts.map((x) => x.receipt));

// transactions of every type signed by ethers, as eth_getBlockByNumber(n, true) shows them
const q = (x) => ethers.toQuantity(x);
const wallet = new ethers.Wallet(ethers.id('bh-proof-vectors'));
const other = new ethers.Wallet(ethers.id('bh-proof-vectors-2'));
const al = [{ address: bytes('al0', 20), storageKeys: [bytes('k0', 32), bytes('k1', 32)] },
	    { address: bytes('al1', 20), storageKeys: [] }];
const fee = { maxFeePerGas: 30000000000n, maxPriorityFeePerGas: 1000000000n };
const auth = other.authorizeSync({ address: bytes('deleg', 20), nonce: 7n, chainId: 1n });
const specs = [
	{ type: 0, nonce: 0, gasPrice: 20000000000n, gasLimit: 21000n, to: bytes('to0', 20), value: 1n, data: '0x' },
	{ type: 0, nonce: 1, gasPrice: 1n, gasLimit: 100000n, to: null, value: 0n, data: bytes('init', 300), chainId: 1n },
	{ type: 1, nonce: 2, gasPrice: 5n, gasLimit: 60000n, to: bytes('to1', 20), value: 0n, data: '0x05', chainId: 1n, accessList: al },
	{ type: 2, nonce: 3, gasLimit: 60000n, to: bytes('to2', 20), value: 10n ** 18n, data: '0x80', chainId: 1n, accessList: [], ...fee },
	{ type: 3, nonce: 4, gasLimit: 60000n, to: bytes('to3', 20), value: 0n, data: '0x', chainId: 1n, accessList: al,
	  maxFeePerBlobGas: 7n, blobVersionedHashes: ['0x01' + bytes('bvh0', 31).slice(2), '0x01' + bytes('bvh1', 31).slice(2)], ...fee },
	{ type: 4, nonce: 5, gasLimit: 90000n, to: bytes('to4', 20), value: 0n, data: '0x7702', chainId: 1n, accessList: [],
	  authorizationList: [auth], ...fee },
];
const txs = specs.map((sp, i) => {
	const t = ethers.Transaction.from(sp);
	t.signature = wallet.signingKey.sign(t.unsignedHash);
	const j = { type: q(t.type), nonce: q(t.nonce), gas: q(t.gasLimit), to: t.to ? t.to.toLowerCase() : null,
		value: q(t.value), input: t.data, r: q(t.signature.r), s: q(t.signature.s),
		hash: t.hash, transactionIndex: q(i) };
	if (t.type === 0) {
		j.gasPrice = q(t.gasPrice);
		j.v = q(t.chainId ? 35n + 2n * t.chainId + BigInt(t.signature.yParity) : 27 + t.signature.yParity);
	} else {
		j.chainId = q(t.chainId);
		j.yParity = q(t.signature.yParity);
		j.v = j.yParity;
		j.accessList = t.accessList.map((a) => ({ address: a.address.toLowerCase(), storageKeys: a.storageKeys }));
		if (t.type === 1) j.gasPrice = q(t.gasPrice);
		else { j.maxPriorityFeePerGas = q(t.maxPriorityFeePerGas); j.maxFeePerGas = q(t.maxFeePerGas); }
		if (t.type === 3) { j.maxFeePerBlobGas = q(t.maxFeePerBlobGas); j.blobVersionedHashes = t.blobVersionedHashes; }
		if (t.type === 4)
			j.authorizationList = t.authorizationList.map((a) => ({ chainId: q(a.chainId),
				address: a.address.toLowerCase(), nonce: q(a.nonce), yParity: q(a.signature.yParity),
				r: q(a.signature.r), s: q(a.signature.s) }));
	}
	return { tx: j, raw: t.serialized };
});
const transactionsRoot = peer.orderedRoot(txs.map((x) => x.raw));

process.stdout.write(JSON.stringify({ generator: 'tests/js/vectors-proof.js (ethers ' + ethers.version + ')',
	trie, receipts, receiptsRoot: root, transactions: txs, transactionsRoot }, null, 1) + '\n');
