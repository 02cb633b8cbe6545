// SPDX-License-Identifier: MIT
// Writes tests/fixtures/proof/expected.json: for each mainnet fixture
// (tests/fixtures/proof/mainnet-*.json, RPC replies copied from public repositories' test
// data), the block hash and, where the fixture has the block's receipts, the receipts root,
// both computed by ethers v6 (tests/js/ethers-trie.js), never by our C code.  A fixture whose
// ethers-computed hash is not its "hash" field, or whose receipts root is not its header's
// receiptsRoot, is refused: the fixture itself would be wrong.
//   node tests/js/gen-proof-fixtures.js > tests/fixtures/proof/expected.json
'use strict';
const fs = require('fs');
const path = require('path');
const peer = require('./ethers-trie.js');

const dir = path.join(__dirname, '..', 'fixtures', 'proof');
const out = {};
for (const f of fs.readdirSync(dir).filter((x) => /^mainnet-.*\.json$/.test(x)).sort()) {
	const x = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
	const hash = peer.headerHash(x.block);
	if (hash !== x.block.hash)
		throw new Error(`${f}: ethers hashes the header to ${hash}, the fixture says ${x.block.hash}`);
	const e = { number: Number(x.block.number), fork: x.fork, hash };
	if (x.receipts) {
		e.receiptsRoot = peer.receiptsRoot(x.receipts);
		if (e.receiptsRoot !== x.block.receiptsRoot)
			throw new Error(`${f}: ethers' receipts root ${e.receiptsRoot} is not the header's ${x.block.receiptsRoot}`);
		e.receiptTypes = [...new Set(x.receipts.map((r) => r.type))].sort();
	}
	out[f] = e;
}
process.stdout.write(JSON.stringify({ generator: 'tests/js/gen-proof-fixtures.js (ethers ' +
	require('ethers').version + ')', fixtures: out }, null, 1) + '\n');
