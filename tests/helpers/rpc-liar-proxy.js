#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A lying JSON-RPC endpoint in front of anvil, for tests/integration/test_engine_quorum.sh
// (issue 13).  It tells the lies a compromised provider could tell about the subscription
// contract's SubscriptionCreated logs, consistently across every method that shows them
// (eth_getLogs, eth_getBlockReceipts, eth_getTransactionReceipt, eth_getBlockByNumber/Hash):
//   honest   pass everything through
//   forge    next to every real SubscriptionCreated log, a forged copy for subscription id
//            + 1000 (appended to the same receipt)
//   alter    one byte of every real SubscriptionCreated log's data flipped
//   hide     every SubscriptionCreated log removed (where: "logs" = from eth_getLogs only,
//            "both" = from the receipts too)
//   header   a real log's data altered in the receipts and eth_getLogs, the receipts root
//            recomputed (receipt encodings + Merkle-Patricia trie, here with ethers'
//            keccak/RLP) and put into that block's header, whose "hash" is left as it was
//   fork     every block's "hash" answered as another hash (the quorum question)
//   down     HTTP 503 to everything
//   slow     every answer 10 s late (an endpoint that stalls rather than fails)
// {"noBlockReceipts": true} answers eth_getBlockReceipts with -32601 (method not found),
// in any mode.  Control: POST /ctl {"mode": M, "where": W, "noBlockReceipts": B}.
// Each lie actually told is appended to $LIAR_LOG ("forge block 12", ...); the "header"
// mode first recomputes the honest root of the block and logs "selfcheck ok"/"selfcheck BAD"
// so a test knows the fake root is a real trie root.
//   rpc-liar-proxy.js LISTEN_PORT UPSTREAM_URL
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const { ethers } = require('ethers');

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const logf = process.env.LIAR_LOG || '/dev/null';
const state = { mode: 'honest', where: 'both', noBlockReceipts: false };
const CREATED = ethers.id('SubscriptionCreated(uint256,uint256,address,uint256,uint256,address,bytes)');
const note = (s) => fs.appendFileSync(logf, s + '\n');

async function up(method, params) {
	const r = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
	const j = await r.json();
	if (j.error) throw new Error(JSON.stringify(j.error));
	return j.result;
}

const isCreated = (l) => l.topics && l.topics[0] === CREATED;
const flipData = (d) => {
	const b = ethers.getBytes(d);
	if (b.length) b[b.length - 1] ^= 1;
	return ethers.hexlify(b);
};
const forged = (l) => {
	const id = BigInt(l.topics[1]) + 1000n;
	return { ...l, topics: [l.topics[0], ethers.zeroPadValue(ethers.toBeHex(id), 32), ...l.topics.slice(2)],
		logIndex: ethers.toQuantity(BigInt(l.logIndex) + 100n) };
};

// ---- receipts root (EIP-2718 receipts in a Merkle-Patricia trie keyed by RLP(index))
const quantityBytes = (q) => (BigInt(q) === 0n ? '0x' : ethers.toBeHex(BigInt(q)));
function encodeReceipt(r) {
	const type = Number(r.type || '0x0');
	const body = ethers.encodeRlp([BigInt(r.status) === 1n ? '0x01' : '0x', quantityBytes(r.cumulativeGasUsed),
		r.logsBloom, r.logs.map((l) => [l.address, l.topics, l.data])]);
	return type === 0 ? body : ethers.concat([new Uint8Array([type]), body]);
}
const nibbles = (hex) => [...ethers.getBytes(hex)].flatMap((b) => [b >> 4, b & 15]);
function hexPrefix(nib, leaf) {
	const flag = leaf ? 2 : 0;
	const n = nib.length % 2 ? [flag + 1, ...nib] : [flag, 0, ...nib];
	const out = [];
	for (let i = 0; i < n.length; i += 2) out.push((n[i] << 4) | n[i + 1]);
	return ethers.hexlify(new Uint8Array(out));
}
function ref(node) {
	const enc = ethers.encodeRlp(node);
	return ethers.dataLength(enc) < 32 ? node : ethers.keccak256(enc);
}
function trieNode(items) {
	if (items.length === 1) return [hexPrefix(items[0].k, true), items[0].v];
	let p = 0;
	while (items.every((i) => i.k.length > p && i.k[p] === items[0].k[p])) p++;
	if (p > 0)
		return [hexPrefix(items[0].k.slice(0, p), false), ref(trieNode(items.map((i) => ({ k: i.k.slice(p), v: i.v }))))];
	const br = new Array(17).fill('0x');
	for (let n = 0; n < 16; n++) {
		const sub = items.filter((i) => i.k.length && i.k[0] === n).map((i) => ({ k: i.k.slice(1), v: i.v }));
		if (sub.length) br[n] = ref(trieNode(sub));
	}
	const term = items.find((i) => i.k.length === 0);
	if (term) br[16] = term.v;
	return br;
}
function receiptsRoot(rcs) {
	if (!rcs.length) return '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
	const items = rcs.map((r, i) => ({ k: nibbles(ethers.encodeRlp(i ? ethers.toBeHex(i) : '0x')), v: encodeReceipt(r) }));
	return ethers.keccak256(ethers.encodeRlp(trieNode(items)));
}

// ---- the lies
function lieLogs(logs, where) {
	const m = state.mode;
	if (!Array.isArray(logs)) return logs;
	const out = [];
	for (const l of logs) {
		if (!isCreated(l)) { out.push(l); continue; }
		const bn = Number(BigInt(l.blockNumber));
		if (m === 'forge') { out.push(l, forged(l)); note(`forge block ${bn} (${where})`); }
		else if (m === 'alter' || (m === 'header')) { out.push({ ...l, data: flipData(l.data) }); note(`${m} block ${bn} (${where})`); }
		else if (m === 'hide' && (where === 'logs' || state.where === 'both')) note(`hide block ${bn} (${where})`);
		else out.push(l);
	}
	return out;
}
const lieReceipt = (r) => (r && Array.isArray(r.logs) ? { ...r, logs: lieLogs(r.logs, 'receipts') } : r);

async function lieBlock(b) {
	if (!b || typeof b !== 'object') return b;
	if (state.mode === 'fork') {
		note(`fork block ${Number(BigInt(b.number))}`);
		return { ...b, hash: ethers.keccak256(ethers.concat([b.hash, ethers.toUtf8Bytes('fork')])) };
	}
	if (state.mode !== 'header') return b;
	const rcs = await up('eth_getBlockReceipts', [b.number]);
	if (!rcs.some((r) => r.logs.some(isCreated))) return b;
	note(receiptsRoot(rcs) === b.receiptsRoot ? 'selfcheck ok' : `selfcheck BAD ${receiptsRoot(rcs)} ${b.receiptsRoot}`);
	const fake = receiptsRoot(rcs.map((r) => ({ ...r, logs: r.logs.map((l) => (isCreated(l) ? { ...l, data: flipData(l.data) } : l)) })));
	note(`header block ${Number(BigInt(b.number))} receiptsRoot ${fake}`);
	return { ...b, receiptsRoot: fake };
}

async function answer(req) {
	const { method, params } = req;
	if (method === 'eth_getBlockReceipts' && state.noBlockReceipts)
		return { error: { code: -32601, message: 'the method eth_getBlockReceipts does not exist/is not available' } };
	let res;
	try {
		res = await up(method, params);
	} catch (e) {
		return { error: JSON.parse(e.message) };
	}
	if (method === 'eth_getLogs') res = lieLogs(res, 'logs');
	else if (method === 'eth_getBlockReceipts' && Array.isArray(res)) res = res.map(lieReceipt);
	else if (method === 'eth_getTransactionReceipt') res = lieReceipt(res);
	else if (method === 'eth_getBlockByNumber' || method === 'eth_getBlockByHash') res = await lieBlock(res);
	return { result: res };
}

http.createServer((q, s) => {
	let body = '';
	q.on('data', (d) => { body += d; });
	q.on('end', async () => {
		const send = (code, obj) => {
			const b = typeof obj === 'string' ? obj : JSON.stringify(obj);
			s.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
			s.end(b);
		};
		if (q.url === '/ctl') {
			Object.assign(state, JSON.parse(body));
			return send(200, {});
		}
		if (state.mode === 'down') return send(503, 'down');
		if (state.mode === 'slow') await new Promise((ok) => setTimeout(ok, 10000));
		try {
			const req = JSON.parse(body);
			const a = await answer(req);
			send(200, { jsonrpc: '2.0', id: req.id, ...a });
		} catch (e) {
			send(500, String(e));
		}
	});
}).listen(port, '127.0.0.1');
