#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The buyer side of a BlockHost purchase, done with ethers and noble (independent of the C
// code): wallets derived from "buyer<i>", the upstream signup payload (ECIES to the server
// key of the wallet's personal_sign of the public secret, upstream.md §5.8c), the contract
// calls, and the check a buyer makes afterwards (decrypt the NFT's details with its own
// signature).  Owner-only set-up (plan, stablecoin, cancel) uses anvil_impersonateAccount of
// the host wallet (test shortcut: the keystore signs for the engine, not for this script).
//   node engine-buyer.js setup  RPC SUBS STABLE OWNER
//   node engine-buyer.js buy    RPC SUBS STABLE SERVERPUB I [good|empty|garbage] [--no-wait]
//   node engine-buyer.js burst  RPC SUBS STABLE SERVERPUB FIRST N
//   node engine-buyer.js extend RPC SUBS STABLE SUBID DAYS I
//   node engine-buyer.js cancel RPC SUBS OWNER SUBID
//   node engine-buyer.js check  RPC NFT TOKENID I          -> prints the decrypted details
//   node engine-buyer.js expiry RPC SUBS SUBID             -> prints expiresAt
//   node engine-buyer.js transfer RPC NFT TOKENID FROM_I TO_I  -> prints the new owner
'use strict';
const crypto = require('node:crypto');
const { ethers } = require('ethers');

const SECRET = 'blockhost-access';
const [cmd, rpc, ...a] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
const buyer = (i) => new ethers.Wallet(ethers.keccak256(ethers.toUtf8Bytes(`buyer${i}`)), provider);
const SUBS_ABI = [
	'function setPrimaryStablecoin(address)', 'function createPlan(string,uint256) returns (uint256)',
	'function buySubscription(uint256,uint256,uint256,bytes) returns (uint256)',
	'function extendSubscription(uint256,uint256,uint256)', 'function cancelSubscription(uint256)',
	'function calculatePayment(uint256,uint256,uint256) view returns (uint256)',
	'function getSubscription(uint256) view returns (uint256,address,uint256,bool,bool)',
	'event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)',
];
const ERC20 = ['function mint(address,uint256)', 'function approve(address,uint256) returns (bool)'];
const NFT = ['function ownerOf(uint256) view returns (address)', 'function getUserEncrypted(uint256) view returns (bytes)',
	'function transferFrom(address,address,uint256)'];

async function noble() {
	const { secp256k1 } = await import('@noble/curves/secp256k1.js');
	const { hkdf } = await import('@noble/hashes/hkdf.js');
	const { sha256 } = await import('@noble/hashes/sha2.js');
	return { secp256k1, hkdf, sha256 };
}

async function eciesEncrypt(pubHex, pt) {
	const { secp256k1, hkdf, sha256 } = await noble();
	const eph = secp256k1.utils.randomSecretKey();
	const E = secp256k1.getPublicKey(eph, false);
	const sharedX = secp256k1.getSharedSecret(eph, ethers.getBytes(pubHex), true).slice(1);
	const key = hkdf(sha256, sharedX, undefined, undefined, 32);
	const iv = crypto.randomBytes(12);
	const c = crypto.createCipheriv('aes-256-gcm', key, iv);
	const ct = Buffer.concat([c.update(pt), c.final()]);
	return ethers.hexlify(Buffer.concat([E, iv, ct, c.getAuthTag()]));
}

async function impersonated(addr) {
	await provider.send('anvil_impersonateAccount', [addr]);
	await provider.send('anvil_setBalance', [addr, '0x56BC75E2D63100000']);
	return provider.getSigner(addr);
}

async function buy(subs, stable, pub, i, mode) {
	const w = buyer(i);
	await provider.send('anvil_setBalance', [w.address, '0x56BC75E2D63100000']);
	const s = new ethers.Contract(subs, SUBS_ABI, w), t = new ethers.Contract(stable, ERC20, w);
	const price = await s.calculatePayment(1n, 30n, 1n);
	let nonce = await provider.getTransactionCount(w.address, 'pending');
	await (await t.mint(w.address, price, { nonce: nonce++ })).wait();
	await (await t.approve(subs, price, { nonce: nonce++ })).wait();
	let payload = '0x';
	if (mode === 'good') payload = await eciesEncrypt(pub, Buffer.from(await w.signMessage(SECRET)));
	if (mode === 'garbage') payload = ethers.hexlify(crypto.randomBytes(120));
	const rc = await (await s.buySubscription(1n, 30n, 1n, payload, { nonce: nonce++ })).wait();
	const ev = rc.logs.map((l) => { try { return s.interface.parseLog(l); } catch { return null; } })
		.find((x) => x && x.name === 'SubscriptionCreated');
	return `${ev.args.subscriptionId} ${w.address} ${rc.blockNumber}`;
}

(async () => {
	if (cmd === 'setup') {
		const [subs, stable, owner] = a;
		const o = await impersonated(owner);
		const s = new ethers.Contract(subs, SUBS_ABI, o);
		await (await s.setPrimaryStablecoin(stable)).wait();
		await (await s.createPlan('Basic VM', 50n)).wait();
		await provider.send('anvil_stopImpersonatingAccount', [owner]);
	} else if (cmd === 'buy') {
		console.log(await buy(a[0], a[1], a[2], a[3], a[4] || 'good'));
	} else if (cmd === 'burst') {
		const [subs, stable, pub, first, n] = a;
		for (let i = Number(first); i < Number(first) + Number(n); i++)
			console.log(await buy(subs, stable, pub, i, 'good'));
	} else if (cmd === 'extend') {
		const [subs, stable, id, days, i] = a;
		const w = buyer(i);
		const s = new ethers.Contract(subs, SUBS_ABI, w), t = new ethers.Contract(stable, ERC20, w);
		const price = await s.calculatePayment(1n, BigInt(days), 1n);
		await (await t.mint(w.address, price)).wait();
		await (await t.approve(subs, price)).wait();
		await (await s.extendSubscription(BigInt(id), BigInt(days), 1n)).wait();
		console.log((await s.getSubscription(BigInt(id)))[2].toString());
	} else if (cmd === 'cancel') {
		const [subs, owner, id] = a;
		const o = await impersonated(owner);
		await (await new ethers.Contract(subs, SUBS_ABI, o).cancelSubscription(BigInt(id))).wait();
		await provider.send('anvil_stopImpersonatingAccount', [owner]);
	} else if (cmd === 'expiry') {
		const [subs, id] = a;
		console.log((await new ethers.Contract(subs, SUBS_ABI, provider).getSubscription(BigInt(id)))[2].toString());
	} else if (cmd === 'transfer') {
		const [nft, id, from, to] = a;
		const w = buyer(from), dest = buyer(to).address;
		await provider.send('anvil_setBalance', [w.address, '0x56BC75E2D63100000']);
		await (await new ethers.Contract(nft, NFT, w).transferFrom(w.address, dest, BigInt(id))).wait();
		console.log(dest);
	} else if (cmd === 'check') {
		const [nft, id, i] = a;
		const w = buyer(i);
		const n = new ethers.Contract(nft, NFT, provider);
		const owner = await n.ownerOf(BigInt(id));
		if (owner !== w.address) throw new Error(`token ${id} owned by ${owner}, not ${w.address}`);
		const blob = Buffer.from(ethers.getBytes(await n.getUserEncrypted(BigInt(id))));
		const key = Buffer.from(ethers.getBytes(ethers.keccak256(await w.signMessage(SECRET))));
		const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
		d.setAuthTag(blob.subarray(blob.length - 16));
		console.log(Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]).toString());
	} else {
		throw new Error(`unknown command ${cmd}`);
	}
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
