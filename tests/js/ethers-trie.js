// SPDX-License-Identifier: MIT
// An independent peer for eth/header.c, eth/receipt.c and eth/trie.c, on ethers v6's RLP and
// keccak256 only: a block header's hash, a receipt's consensus encoding and an ordered
// Merkle-Patricia trie root, the way the yellow paper states them (a trie built by inserting
// key by key into leaf / extension / branch nodes, then hashed).  Used by
// tests/js/gen-proof-fixtures.js (fixture expectations) and bench/bench_proof_peer.js.
'use strict';
const { ethers } = require('ethers');

const HEADER = ['parentHash', 'sha3Uncles', 'miner', 'stateRoot', 'transactionsRoot',
	'receiptsRoot', 'logsBloom', 'difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp',
	'extraData', 'mixHash', 'nonce'];
const FORKS = ['baseFeePerGas', 'withdrawalsRoot', 'blobGasUsed', 'excessBlobGas',
	'parentBeaconBlockRoot', 'requestsHash'];
const QUANTITIES = new Set(['difficulty', 'number', 'gasLimit', 'gasUsed', 'timestamp',
	'baseFeePerGas', 'blobGasUsed', 'excessBlobGas']);

const quantity = (q) => ethers.toBeArray(BigInt(q));  // minimal big-endian, 0 -> empty

function headerHash(b) {
	const fields = HEADER.slice();
	for (const f of FORKS) {
		if (b[f] === undefined || b[f] === null) break;
		fields.push(f);
	}
	return ethers.keccak256(ethers.encodeRlp(fields.map((f) => (QUANTITIES.has(f) ? quantity(b[f]) : b[f]))));
}

function receiptBytes(r) {
	const first = r.root ? r.root : (BigInt(r.status) ? '0x01' : '0x');
	const body = ethers.encodeRlp([first, quantity(r.cumulativeGasUsed), r.logsBloom,
		r.logs.map((l) => [l.address, l.topics, l.data])]);
	const type = r.type === undefined ? 0 : Number(r.type);
	return type === 0 ? body : ethers.concat([ethers.toBeHex(type, 1), body]);
}

// ---- the trie: nodes {leaf: [nibbles, value]} | {ext: [nibbles, child]} | {branch: [16 kids, value]}
const nibbles = (bytes) => { const out = []; for (const x of bytes) out.push(x >> 4, x & 15); return out; };
const common = (a, b) => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };

function insert(node, key, value) {
	if (!node) return { leaf: [key, value] };
	if (node.branch) {
		if (!key.length) { node.branch[1] = value; return node; }
		node.branch[0][key[0]] = insert(node.branch[0][key[0]], key.slice(1), value);
		return node;
	}
	const [path, rest] = node.leaf || node.ext;
	const c = common(path, key);
	if (node.ext && c === path.length) { node.ext[1] = insert(rest, key.slice(c), value); return node; }
	if (node.leaf && c === path.length && c === key.length) { node.leaf[1] = value; return node; }
	const br = { branch: [new Array(16).fill(null), null] };
	// the old node below the branch
	if (node.leaf) {
		if (c === path.length) br.branch[1] = rest;
		else br.branch[0][path[c]] = { leaf: [path.slice(c + 1), rest] };
	} else {
		br.branch[0][path[c]] = path.length - c - 1 ? { ext: [path.slice(c + 1), rest] } : rest;
	}
	insert(br, key.slice(c), value);
	return c ? { ext: [key.slice(0, c), br] } : br;
}

function hexPrefix(path, leaf) {
	const flag = (leaf ? 2 : 0) + (path.length % 2);
	const n = path.length % 2 ? [flag, ...path] : [flag, 0, ...path];
	const out = new Uint8Array(n.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = (n[2 * i] << 4) | n[2 * i + 1];
	return out;
}

// a node's RLP structure: a child under 32 bytes of RLP is embedded, else referred to by hash
function structure(node) {
	if (!node) return '0x';
	if (node.leaf) return [hexPrefix(node.leaf[0], true), node.leaf[1]];
	if (node.ext) return [hexPrefix(node.ext[0], false), ref(node.ext[1])];
	return [...node.branch[0].map(ref), node.branch[1] === null ? '0x' : node.branch[1]];
}
function ref(node) {
	if (!node) return '0x';
	const s = structure(node);
	const enc = ethers.encodeRlp(s);
	return ethers.dataLength(enc) < 32 ? s : ethers.keccak256(enc);
}

function orderedRoot(values) {
	let root = null;
	values.forEach((v, i) => { root = insert(root, nibbles(ethers.getBytes(ethers.encodeRlp(quantity(i)))), v); });
	return ethers.keccak256(root ? ethers.encodeRlp(structure(root)) : '0x80');
}

const receiptsRoot = (receipts) => orderedRoot(receipts.map(receiptBytes));

// the logs bloom: three bits per address and topic, from the first six bytes of keccak256
function bloom(logs) {
	const b = new Uint8Array(256);
	const add = (x) => {
		const h = ethers.getBytes(ethers.keccak256(x));
		for (let i = 0; i < 6; i += 2) {
			const bit = ((h[i] << 8) | h[i + 1]) & 2047;
			b[255 - (bit >> 3)] |= 1 << (bit & 7);
		}
	};
	for (const l of logs) { add(l.address); l.topics.forEach(add); }
	return ethers.hexlify(b);
}

module.exports = { headerHash, receiptBytes, orderedRoot, receiptsRoot, bloom };
