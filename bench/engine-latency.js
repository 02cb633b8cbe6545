#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// bench-engine-latency's chain driver (bench/bench_engine_latency.sh):
//   node engine-latency.js RPC SUBS STABLE SERVERPUB N BLOCK_MS
// Prepares N buyers (stablecoin minted and approved, the buySubscription transaction signed
// with the upstream ECIES payload, as tests/js/engine-buyer.js does), then turns automine
// off and mines one block every BLOCK_MS itself (evm_mine), a purchase in every other
// block.  For each purchase it prints "<subscriptionId> <ms since the epoch when evm_mine
// returned>", the moment the block exists for any client.  Automine is back on at exit.
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { ethers } = require('ethers');

const SECRET = 'blockhost-access';
const [rpc, subs, stable, pub, nArg, blockArg] = process.argv.slice(2);
const N = Number(nArg), BLOCK_MS = Number(blockArg);
const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
const SUBS_ABI = ['function buySubscription(uint256,uint256,uint256,bytes) returns (uint256)',
	'function calculatePayment(uint256,uint256,uint256) view returns (uint256)',
	'event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)'];
const ERC20 = ['function mint(address,uint256)', 'function approve(address,uint256) returns (bool)'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ECIES to the server key (upstream.md §5.8c): ephemeral secp256k1, HKDF-SHA256 of the
// shared x, AES-256-GCM; E || iv || ct || tag
async function ecies(pubHex, pt) {
	// ESM-only packages: import() ignores NODE_PATH, so by path (tests/js/node_modules)
	const mod = (m) => import(pathToFileURL(path.join(process.env.NODE_PATH, m)).href);
	const { secp256k1 } = await mod('@noble/curves/secp256k1.js');
	const { hkdf } = await mod('@noble/hashes/hkdf.js');
	const { sha256 } = await mod('@noble/hashes/sha2.js');
	const eph = secp256k1.utils.randomSecretKey();
	const shared = secp256k1.getSharedSecret(eph, ethers.getBytes(pubHex), true).slice(1);
	const iv = crypto.randomBytes(12);
	const c = crypto.createCipheriv('aes-256-gcm', hkdf(sha256, shared, undefined, undefined, 32), iv);
	const ct = Buffer.concat([c.update(pt), c.final()]);
	return ethers.hexlify(Buffer.concat([secp256k1.getPublicKey(eph, false), iv, ct, c.getAuthTag()]));
}

(async () => {
	const raws = [];
	const iface = new ethers.Interface(SUBS_ABI);
	for (let i = 1; i <= N; i++) {
		const w = new ethers.Wallet(ethers.keccak256(ethers.toUtf8Bytes(`latency-buyer${i}`)), provider);
		await provider.send('anvil_setBalance', [w.address, '0x56BC75E2D63100000']);
		const s = new ethers.Contract(subs, SUBS_ABI, w), t = new ethers.Contract(stable, ERC20, w);
		const price = await s.calculatePayment(1n, 30n, 1n);
		let nonce = await provider.getTransactionCount(w.address, 'pending');
		await (await t.mint(w.address, price, { nonce: nonce++ })).wait();
		await (await t.approve(subs, price, { nonce: nonce++ })).wait();
		const payload = await ecies(pub, Buffer.from(await w.signMessage(SECRET)));
		const tx = await w.populateTransaction(await s.buySubscription.populateTransaction(1n, 30n, 1n, payload,
			{ nonce, gasLimit: 600000n }));
		raws.push(await w.signTransaction(tx));
	}
	await provider.send('evm_setAutomine', [false]);
	const t0 = Date.now();
	for (let k = 0; k < 2 * N + 4; k++) {
		const wait = t0 + k * BLOCK_MS - Date.now();
		if (wait > 0) await sleep(wait);
		let h = null;
		if (k % 2 === 0 && k / 2 < N) h = await provider.send('eth_sendRawTransaction', [raws[k / 2]]);
		await provider.send('evm_mine', []);
		const mined = Date.now();
		if (h) {
			const rc = await provider.send('eth_getTransactionReceipt', [h]);
			if (!rc || rc.status !== '0x1') throw new Error(`purchase ${k / 2 + 1} not mined or reverted`);
			const ev = rc.logs.map((l) => { try { return iface.parseLog(l); } catch { return null; } })
				.find((x) => x && x.name === 'SubscriptionCreated');
			console.log(`${ev.args.subscriptionId} ${mined}`);
		}
	}
	await provider.send('evm_setAutomine', [true]);
})().catch(async (e) => {
	console.error(e.shortMessage || e.message);
	try { await provider.send('evm_setAutomine', [true]); } catch { /* exiting anyway */ }
	process.exit(1);
});
