#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Seeds for fuzz/fuzz_engine_quorum.c: {"block", "receipts"} pairs read from a real anvil
// chain (started here on a free port, stopped at the end): an empty block, transactions of
// types 0, 1 and 2 signed by ethers, contract creations whose constructors emit LOG1/LOG2,
// and the same blocks with one lie each (a log's data byte flipped, a receipt dropped,
// receiptsRoot changed) so the refusal paths are seeded too.
//   node tests/js/gen-engine-quorum-seeds.js OUTDIR
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { ethers } = require('ethers');

const out = process.argv[2] || 'fuzz/corpus/engine_quorum';
const anvilBin = path.join(__dirname, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');
const freePort = () => new Promise((ok) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => ok(p)); }); });
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

(async () => {
	const port = await freePort();
	const anvil = spawn(anvilBin, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' });
	try {
		const url = `http://127.0.0.1:${port}`;
		const send = async (m, p) => {
			for (let i = 0; ; i++) {
				try {
					const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
						body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: p }) });
					const j = await r.json();
					if (j.error) throw new Error(JSON.stringify(j.error));
					return j.result;
				} catch (e) { if (i > 50 || !/fetch failed/.test(String(e))) throw e; await sleep(100); }
			}
		};
		await send('eth_blockNumber', []);
		await send('evm_setAutomine', [false]);
		const provider = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true });
		const w = new ethers.Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', provider);
		const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
		const topic = ethers.id('Seed(uint256)');
		// constructor: LOG1(topic) with 32 bytes of data, LOG2(topic, topic) with none, then return nothing
		const logger = '0x7f' + '00'.repeat(31) + '2a' + '600052' + '7f' + topic.slice(2) + '60206000a1' +
			'7f' + topic.slice(2) + '80' + '60006000a2' + '00';
		let nonce = await provider.getTransactionCount(w.address);
		const fee = { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n };
		await w.sendTransaction({ to, value: 1n, type: 0, gasPrice: 10n ** 10n, nonce: nonce++, gasLimit: 21000n });
		await w.sendTransaction({ to, value: 2n, type: 1, gasPrice: 10n ** 10n, nonce: nonce++, gasLimit: 30000n, accessList: [] });
		await w.sendTransaction({ data: logger, type: 2, ...fee, nonce: nonce++, gasLimit: 200000n });
		await w.sendTransaction({ to, value: 3n, type: 2, ...fee, nonce: nonce++, gasLimit: 21000n });
		await send('evm_mine', []);
		await w.sendTransaction({ data: logger, type: 0, gasPrice: 10n ** 10n, nonce: nonce++, gasLimit: 200000n });
		await send('evm_mine', []);
		await send('evm_mine', []);
		fs.mkdirSync(out, { recursive: true });
		const n = Number(await send('eth_blockNumber', []));
		const put = (name, doc) => fs.writeFileSync(path.join(out, name), JSON.stringify(doc));
		for (let b = 1; b <= n; b++) {
			const hex = ethers.toQuantity(b);
			const block = await send('eth_getBlockByNumber', [hex, false]);
			const receipts = await send('eth_getBlockReceipts', [hex]);
			put(`anvil-block-${b}`, { block, receipts });
			const withLog = receipts.findIndex((r) => r.logs.length);
			if (withLog >= 0) {
				const flipped = structuredClone(receipts);
				const l = flipped[withLog].logs[0];
				l.data = l.data.slice(0, -1) + (l.data.endsWith('0') ? '1' : '0');
				put(`lie-data-${b}`, { block, receipts: flipped });
			}
			if (receipts.length > 1)
				put(`lie-dropped-receipt-${b}`, { block, receipts: receipts.slice(1) });
			put(`lie-root-${b}`, { block: { ...block, receiptsRoot: ethers.keccak256(block.receiptsRoot) }, receipts });
		}
		console.log(`${out}: seeds from ${n} anvil blocks`);
	} finally {
		anvil.kill('SIGTERM');
	}
})().catch((e) => { console.error('gen-engine-quorum-seeds.js:', e.message || e); process.exit(1); });
