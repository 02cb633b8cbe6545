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

process.stdout.write(JSON.stringify({ generator: 'tests/js/vectors-proof.js (ethers ' + ethers.version + ')',
	trie, receipts, receiptsRoot: root }, null, 1) + '\n');
