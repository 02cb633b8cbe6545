#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// The buyer side of `make demo`, done with ethers and noble (an implementation independent of
// the C code), reading the host's public facts from $DEMO_DIR/demo.json (rpc_url, chain_id,
// subscriptions, nft, stablecoin, plan_id, server_public_key, public_secret):
//   node scripts/demo-buyer.js buy     DEMO_JSON KEY_FILE [DAYS]
//       mint test stablecoin for the price, approve, buySubscription(plan, DAYS (30), 1,
//       ECIES(server_public_key, personal_sign(public_secret))) -- upstream.md §5.8c
//   node scripts/demo-buyer.js details DEMO_JSON KEY_FILE [WAIT_S]
//       wait (60 s) until the wallet owns an NFT, decrypt its newest token's details with
//       keccak256(personal_sign(public_secret)) (upstream.md §5.8b) and print them (JSON)
//   node scripts/demo-buyer.js calldata 'function f(type,...)' ARG...   ABI-encoded call data
//   node scripts/demo-buyer.js call     RPC TO 'function f(...) view returns (T)' ARG...
// KEY_FILE holds the wallet's private key (64 hex digits, `bhcrypt generate-keypair`, mode
// 0600): the key never appears on a command line or in the environment.  A wallet without ETH
// for gas is funded with anvil_setBalance (the local anvil chain only: a demo shortcut).
// Progress lines go to stderr ("[buyer] +1.2 s ..."), the result to stdout.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const NM = path.join(__dirname, '..', 'tests', 'js', 'node_modules');
const { ethers } = createRequire(path.join(NM, '..', 'package.json'))('ethers');
const T0 = Date.now();
const log = (s) => process.stderr.write(`[buyer] +${((Date.now() - T0) / 1000).toFixed(1)} s ${s}\n`);

const SUBS_ABI = [
	'function calculatePayment(uint256,uint256,uint256) view returns (uint256)',
	'function buySubscription(uint256,uint256,uint256,bytes) returns (uint256)',
	'event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)',
];
const ERC20 = ['function mint(address,uint256)', 'function approve(address,uint256) returns (bool)'];
const NFT = ['function balanceOf(address) view returns (uint256)',
	'function tokenOfOwnerByIndex(address,uint256) view returns (uint256)',
	'function getUserEncrypted(uint256) view returns (bytes)'];

function setup(demoJson, keyFile) {
	const d = JSON.parse(fs.readFileSync(demoJson, 'utf8'));
	const key = fs.readFileSync(keyFile, 'utf8').trim();
	if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new Error(`${keyFile}: not a 64-hex-digit private key`);
	const provider = new ethers.JsonRpcProvider(d.rpc_url, Number(d.chain_id), { staticNetwork: true });
	provider.pollingInterval = 200;
	const w = new ethers.Wallet(key.startsWith('0x') ? key : `0x${key}`, provider);
	return { d, provider, w };
}

async function eciesEncrypt(pubHex, pt) {
	const imp = (p) => import(pathToFileURL(path.join(NM, p)).href);
	const { secp256k1 } = await imp('@noble/curves/secp256k1.js');
	const { hkdf } = await imp('@noble/hashes/hkdf.js');
	const { sha256 } = await imp('@noble/hashes/sha2.js');
	const eph = secp256k1.utils.randomSecretKey();
	const E = secp256k1.getPublicKey(eph, false);
	const sharedX = secp256k1.getSharedSecret(eph, ethers.getBytes(pubHex), true).slice(1);
	const key = hkdf(sha256, sharedX, undefined, undefined, 32);
	const iv = crypto.randomBytes(12);
	const c = crypto.createCipheriv('aes-256-gcm', key, iv);
	const ct = Buffer.concat([c.update(pt), c.final()]);
	return ethers.hexlify(Buffer.concat([E, iv, ct, c.getAuthTag()]));
}

async function buy(demoJson, keyFile, days) {
	const { d, provider, w } = setup(demoJson, keyFile);
	log(`wallet ${w.address} (ethers ${ethers.version}), plan ${d.plan_id}, ${days} days, chain ${d.chain_id} at ${d.rpc_url}`);
	if ((await provider.getBalance(w.address)) === 0n) {
		if (Number(d.chain_id) !== 31337) throw new Error('the wallet has no ETH for gas');
		await provider.send('anvil_setBalance', [w.address, '0x56BC75E2D63100000']);
		log('funded with 100 ETH for gas (anvil_setBalance: local chain only)');
	}
	const s = new ethers.Contract(d.subscriptions, SUBS_ABI, w);
	const t = new ethers.Contract(d.stablecoin, ERC20, w);
	const price = await s.calculatePayment(BigInt(d.plan_id), BigInt(days), 1n);
	log(`price: ${ethers.formatUnits(price, 6)} test stablecoin (calculatePayment, 6 decimals)`);
	let nonce = await provider.getTransactionCount(w.address, 'pending');
	let rc = await (await t.mint(w.address, price, { nonce: nonce++ })).wait();
	log(`minted ${ethers.formatUnits(price, 6)} TestStablecoin to the wallet (block ${rc.blockNumber})`);
	rc = await (await t.approve(d.subscriptions, price, { nonce: nonce++ })).wait();
	log(`approved the subscription contract for it (block ${rc.blockNumber})`);
	const sig = await w.signMessage(d.public_secret);
	const payload = await eciesEncrypt(d.server_public_key, Buffer.from(sig));
	log(`signed public_secret "${d.public_secret}" (personal_sign) and ECIES-encrypted the signature to the server key (${(payload.length - 2) / 2} bytes)`);
	const tx = await s.buySubscription(BigInt(d.plan_id), BigInt(days), 1n, payload, { nonce: nonce++ });
	rc = await tx.wait();
	const ev = rc.logs.map((l) => { try { return s.interface.parseLog(l); } catch { return null; } })
		.find((x) => x && x.name === 'SubscriptionCreated');
	if (!ev) throw new Error(`buySubscription ${tx.hash}: no SubscriptionCreated log`);
	log(`buySubscription mined: subscription ${ev.args.subscriptionId}, block ${rc.blockNumber}, tx ${tx.hash}`);
	console.log(JSON.stringify({ subscription_id: Number(ev.args.subscriptionId), address: w.address,
		block: rc.blockNumber, tx: tx.hash, expires_at: Number(ev.args.expiresAt) }));
}

async function details(demoJson, keyFile, waitS) {
	const { d, w } = setup(demoJson, keyFile);
	const n = new ethers.Contract(d.nft, NFT, w.provider);
	const end = Date.now() + waitS * 1000;
	let bal = 0n;
	while ((bal = await n.balanceOf(w.address)) === 0n) {
		if (Date.now() > end) throw new Error(`${w.address} owns no NFT after ${waitS} s`);
		await new Promise((r) => setTimeout(r, 500));
	}
	const id = await n.tokenOfOwnerByIndex(w.address, bal - 1n);
	const blob = Buffer.from(ethers.getBytes(await n.getUserEncrypted(id)));
	log(`the wallet owns NFT ${id}; its userEncrypted is ${blob.length} bytes`);
	const key = Buffer.from(ethers.getBytes(ethers.keccak256(await w.signMessage(d.public_secret))));
	const dc = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
	dc.setAuthTag(blob.subarray(blob.length - 16));
	const pt = Buffer.concat([dc.update(blob.subarray(12, blob.length - 16)), dc.final()]).toString();
	log(`decrypted with keccak256(personal_sign("${d.public_secret}")): ${pt}`);
	console.log(JSON.stringify({ token_id: Number(id), ...JSON.parse(pt) }));
}

(async () => {
	const [cmd, ...a] = process.argv.slice(2);
	if (cmd === 'buy') await buy(a[0], a[1], Number(a[2] || 30));
	else if (cmd === 'details') await details(a[0], a[1], Number(a[2] || 60));
	else if (cmd === 'calldata') {
		const f = new ethers.Interface([a[0]]).fragments[0];
		console.log(new ethers.Interface([a[0]]).encodeFunctionData(f.name, a.slice(1)));
	} else if (cmd === 'call') {
		const [rpc, to, sig, ...args] = a;
		const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true });
		const c = new ethers.Contract(to, [sig], provider);
		const f = c.interface.fragments[0];
		console.log(String(await c[f.name](...args)));
	} else throw new Error(`usage: demo-buyer.js buy|details|calldata|call ... (see the header)`);
})().catch((e) => { console.error(`[buyer] error: ${e.shortMessage || e.message}`); process.exit(1); });
