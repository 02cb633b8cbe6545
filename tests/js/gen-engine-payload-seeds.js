#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Seeds for fuzz/fuzz_engine_payload.c, made by independent implementations: ethers signs
// the public secret (the buyer's wallet), noble + node:crypto ECIES-encrypt it to the test
// server key 0x11..11 with the upstream layout (upstream.md §5.8a).  Fixed ephemeral keys
// and IVs: byte-for-byte reproducible.   node tests/js/gen-engine-payload-seeds.js
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { ethers } = require('ethers');
(async () => {
	const { secp256k1 } = await import('@noble/curves/secp256k1.js');
	const { hkdf } = await import('@noble/hashes/hkdf.js');
	const { sha256 } = await import('@noble/hashes/sha2.js');
	const dir = path.join(__dirname, '..', '..', 'fuzz', 'corpus', 'engine_payload');
	fs.mkdirSync(dir, { recursive: true });
	const pub = secp256k1.getPublicKey(Buffer.alloc(32, 0x11), false);
	const ecies = (pt, n) => {
		const eph = Buffer.alloc(32, n), iv = Buffer.alloc(12, n);
		const E = secp256k1.getPublicKey(eph, false);
		const key = hkdf(sha256, secp256k1.getSharedSecret(eph, pub, true).slice(1), undefined, undefined, 32);
		const c = crypto.createCipheriv('aes-256-gcm', key, iv);
		const ct = Buffer.concat([c.update(pt), c.final()]);
		return Buffer.concat([Buffer.from('E'), E, iv, ct, c.getAuthTag()]);
	};
	const w = new ethers.Wallet('0x' + '22'.repeat(32));
	const sig = await w.signMessage('blockhost-access');
	fs.writeFileSync(path.join(dir, 'ecies-signature'), ecies(Buffer.from(sig), 3));
	fs.writeFileSync(path.join(dir, 'ecies-upper'), ecies(Buffer.from('0X' + sig.slice(2).toUpperCase()), 4));
	fs.writeFileSync(path.join(dir, 'ecies-not-a-signature'), ecies(Buffer.from('hello'), 5));
	fs.writeFileSync(path.join(dir, 'ecies-empty'), ecies(Buffer.alloc(0), 6));
	const bad = ecies(Buffer.from(sig), 7); bad[bad.length - 1] ^= 1;
	fs.writeFileSync(path.join(dir, 'ecies-bad-tag'), bad);
	fs.writeFileSync(path.join(dir, 'plain-signature'), sig);
	fs.writeFileSync(path.join(dir, 'plain-high-s'), '0x' + 'ff'.repeat(64) + '1b');
	fs.writeFileSync(path.join(dir, 'plain-short'), sig.slice(0, 100));
	console.log('seeds in', dir);
})();
