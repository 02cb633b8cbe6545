#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Peer for bench/bench_proof.c: ethers 6 recomputing the same block proof in node (header
// RLP + keccak256, every receipt's consensus encoding, the ordered Merkle-Patricia trie
// root; tests/js/ethers-trie.js) and the event proof (the block proof, then the log looked
// up in its receipt and compared), on the same parsed dump, for SECONDS each.
//   node bench/bench_proof_peer.js DUMP [SECONDS]
//   prints per block: "block txs=N block_proof_ms=X event_proof_ms=Y"
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const peer = require(path.join(__dirname, '..', 'tests', 'js', 'ethers-trie.js'));

const [dumpFile, secArg] = process.argv.slice(2);
const secs = Number(secArg || 1);
const dump = JSON.parse(fs.readFileSync(dumpFile, 'utf8'));

function blockProof(b, rs) {
	if (peer.headerHash(b) !== b.hash) throw new Error('hash');
	if (peer.receiptsRoot(rs) !== b.receiptsRoot) throw new Error('receipts root');
}
function eventProof(b, rs, l) {
	blockProof(b, rs);
	const ti = Number(l.transactionIndex);
	const r = rs[ti];
	if (r.transactionHash !== l.transactionHash) throw new Error('tx');
	let first = 0;
	for (let i = 0; i < ti; i++) first += rs[i].logs.length;
	const x = r.logs[Number(l.logIndex) - first];
	if (!x || x.address !== l.address || x.data !== l.data || x.topics.join() !== l.topics.join())
		throw new Error('log');
}
function time(f) {
	f(); // warm-up (JIT)
	let n = 0, t;
	const t0 = process.hrtime.bigint();
	do { f(); n++; t = Number(process.hrtime.bigint() - t0) / 1e6; } while (t < secs * 1e3);
	return t / n;
}
for (const d of dump) {
	const l = d.logs[d.logs.length - 1];
	const tb = time(() => blockProof(d.block, d.receipts));
	const te = time(() => eventProof(d.block, d.receipts, l));
	console.log(`block txs=${d.receipts.length} block_proof_ms=${tb.toFixed(3)} event_proof_ms=${te.toFixed(3)}`);
}
