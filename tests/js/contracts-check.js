#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Checks the compiled contracts against upstream's interface table
// (tests/contracts/upstream-abi.tsv): every function selector, event topic0, event indexed
// layout and custom error signature. Selectors and topics are computed here with ethers
// from the compiled ABI, independently of solc's own method identifiers.
//   node contracts-check.js ARTIFACT_DIR TSV
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Interface } = require('ethers');

const [dir, tsv] = process.argv.slice(2);
if (!dir || !tsv) {
	console.error('usage: contracts-check.js ARTIFACT_DIR TSV');
	process.exit(2);
}
const ifaces = {};
const iface = (name) =>
	(ifaces[name] ??= new Interface(JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')).abi));
let ok = 0;
const bad = [];
for (const line of fs.readFileSync(tsv, 'utf8').split('\n')) {
	if (!line || line.startsWith('#')) continue;
	const [kind, contract, sig, id, indexed] = line.split('\t');
	const i = iface(contract);
	const where = `${contract}.${sig}`;
	try {
		if (kind === 'function') {
			const f = i.getFunction(sig);
			if (!f) throw new Error('missing');
			if (id !== '-' && f.selector !== '0x' + id) throw new Error(`selector ${f.selector}, upstream 0x${id}`);
		} else if (kind === 'event') {
			const e = i.getEvent(sig);
			if (!e) throw new Error('missing');
			if (id !== '-' && e.topicHash !== '0x' + id) throw new Error(`topic0 ${e.topicHash}, upstream 0x${id}`);
			if (indexed !== '-') {
				const got = e.inputs.map((p, k) => (p.indexed ? k : -1)).filter((k) => k >= 0).join(',');
				if (got !== indexed) throw new Error(`indexed parameters ${got || 'none'}, upstream ${indexed}`);
			}
		} else if (kind === 'error') {
			if (!i.getError(sig)) throw new Error('missing');
		} else {
			throw new Error(`unknown kind ${kind}`);
		}
		ok++;
	} catch (e) {
		bad.push(`${kind} ${where}: ${e.message}`);
	}
}
for (const b of bad) console.error(`contracts-check: ${b}`);
console.log(`contracts-check: ${ok} of ${ok + bad.length} upstream interface entries match`);
process.exit(bad.length ? 1 : 0);
