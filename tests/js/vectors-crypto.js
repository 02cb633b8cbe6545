#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// Independent oracle for BlockHost's Ethereum crypto (src/common/eth/{secp,eth,ecies}.c):
// ethers 6 (addresses, EIP-191 personal_sign) and @noble/curves + @noble/hashes 2.x
// with node's AES-GCM (ECIES "Noble" layout and the signature-derived symmetric format,
// upstream.md §5.8).  Nothing here uses BlockHost code.
//
//   node vectors-crypto.js generate [N]        JSON vectors on stdout (random each run;
//                                               tests/vectors/crypto.json is one such run)
//   node vectors-crypto.js interop BHCRYPT [N]  drive the bhcrypt binary: it must agree with
//                                               ethers/noble on our outputs and decrypt theirs
//   node vectors-crypto.js corpus DIR [SEED]    fuzz seeds into DIR/{ecies,sig,address,symmetric,
//                                               keystore_client}/
//                                               (deterministic: fixed seed, RFC 6979 signatures;
//                                               replaces the files in those four directories)
//
// Byte layouts (must match src/common/eth/ecies.h):
//   ECIES:     E(65 uncompressed) || IV(12) || ct || tag(16);
//              key = HKDF-SHA256(IKM = X(e*Pub), salt = none, info = none, 32)
//   symmetric: nonce(12) || ct || tag(16); key = keccak256(65 raw signature bytes, v = 27/28)
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const ethers = require('ethers');

let secp256k1, p256, hkdf, sha256;

async function loadNoble() {
	({ secp256k1 } = await import('@noble/curves/secp256k1.js'));
	({ p256 } = await import('@noble/curves/nist.js'));
	({ hkdf } = await import('@noble/hashes/hkdf.js'));
	({ sha256 } = await import('@noble/hashes/sha2.js'));
}

const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (s) => Uint8Array.from(Buffer.from(s.replace(/^0x/i, ''), 'hex'));

// Random text with the characters wallets meet: ASCII, spaces, newlines, multi-byte
// UTF-8 and astral-plane code points.  No NUL (it travels in argv).
const ALPHABET = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :-_.,!?{}"\'\\\n\t',
	'é', 'ß', 'Ж', '日', '本', '€', '😀', '🔑', '\u200b'];
function randomText(maxLen) {
	const n = crypto.randomInt(0, maxLen + 1);
	let s = '';
	for (let i = 0; i < n; i++)
		s += ALPHABET[crypto.randomInt(0, ALPHABET.length)];
	return s;
}

// eph / iv: fixed ones for reproducible fuzz seeds (corpus mode), random otherwise
function nobleEciesEncrypt(pubU8, ptU8, eph = secp256k1.utils.randomSecretKey(),
	iv = crypto.randomBytes(12)) {
	const E = secp256k1.getPublicKey(eph, false);
	const sharedX = secp256k1.getSharedSecret(eph, pubU8, true).slice(1);
	const key = hkdf(sha256, sharedX, undefined, undefined, 32);
	const c = crypto.createCipheriv('aes-256-gcm', key, iv);
	const ct = Buffer.concat([c.update(ptU8), c.final()]);
	return Buffer.concat([E, iv, ct, c.getAuthTag()]);
}

function nobleEciesDecrypt(privU8, blob) {
	if (blob.length < 93)
		throw new Error('ECIES blob shorter than 93 bytes');
	const E = blob.subarray(0, 65);
	const sharedX = secp256k1.getSharedSecret(privU8, E, true).slice(1);
	const key = hkdf(sha256, sharedX, undefined, undefined, 32);
	const d = crypto.createDecipheriv('aes-256-gcm', key, blob.subarray(65, 77));
	d.setAuthTag(blob.subarray(blob.length - 16));
	return Buffer.concat([d.update(blob.subarray(77, blob.length - 16)), d.final()]);
}

function symKey(sig65) {
	return unhex(ethers.keccak256(sig65));
}

function symEncrypt(sig65, ptU8, iv = crypto.randomBytes(12)) {
	const c = crypto.createCipheriv('aes-256-gcm', symKey(sig65), iv);
	const ct = Buffer.concat([c.update(ptU8), c.final()]);
	return Buffer.concat([iv, ct, c.getAuthTag()]);
}

function symDecrypt(sig65, blob) {
	if (blob.length < 28)
		throw new Error('symmetric blob shorter than 28 bytes');
	const d = crypto.createDecipheriv('aes-256-gcm', symKey(sig65), blob.subarray(0, 12));
	d.setAuthTag(blob.subarray(blob.length - 16));
	return Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
}

function randomWallet() {
	const priv = secp256k1.utils.randomSecretKey();
	return new ethers.Wallet(ethers.hexlify(priv));
}

// ------------------------------------------------------------------ generate
function generate(n) {
	// fixed edge keys alongside random ones: 1, n-1, the anvil dev key, the well-known vector
	const N = secp256k1.Point.CURVE().n;
	const fixed = [
		'0000000000000000000000000000000000000000000000000000000000000001',
		(N - 1n).toString(16).padStart(64, '0'),
		'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
		'4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318',
	];
	const out = {
		generator: 'tests/js/vectors-crypto.js generate (ethers ' + ethers.version +
			', @noble/curves 2.x, @noble/hashes 2.x, node crypto AES-GCM)',
		keys: [], personal: [], ecies: [], symmetric: [],
	};
	const wallets = fixed.map((k) => new ethers.Wallet('0x' + k));
	for (let i = 0; i < n; i++)
		wallets.push(randomWallet());
	for (const w of wallets) {
		const priv = w.privateKey.slice(2);
		out.keys.push({
			priv,
			pub: hex(secp256k1.getPublicKey(unhex(priv), false)),
			address: w.address, // EIP-55 per ethers
		});
	}
	const msgs = ['hello', '', 'blockhost-access', 'Authenticate to blockhost-001 with code: 123456',
		'x'.repeat(1000)];
	for (let i = 0; i < n; i++)
		msgs.push(randomText(120));
	msgs.forEach((m, i) => {
		const w = wallets[i % wallets.length];
		const bytes = ethers.toUtf8Bytes(m);
		out.personal.push({
			priv: w.privateKey.slice(2),
			address: w.address,
			message: m,
			message_hex: hex(bytes),
			digest: ethers.hashMessage(bytes).slice(2),
			signature: w.signMessageSync(bytes), // 0x + r s v(27/28)
		});
	});
	const ptexts = ['', 'a', '0x' + 'ab'.repeat(65), '{"command":"knock","params":{}}'];
	for (let i = 0; i < n; i++)
		ptexts.push(randomText(200));
	ptexts.forEach((m, i) => {
		const w = wallets[(i + 1) % wallets.length];
		const priv = w.privateKey.slice(2);
		const pub = secp256k1.getPublicKey(unhex(priv), false);
		const pt = Buffer.from(m, 'utf8');
		const blob = nobleEciesEncrypt(pub, pt);
		if (!nobleEciesDecrypt(unhex(priv), blob).equals(pt))
			throw new Error('self-check failed');
		out.ecies.push({ priv, pub: hex(pub), plaintext_hex: hex(pt), blob: '0x' + hex(blob) });
		const sig = w.signMessageSync('blockhost-access');
		const sblob = symEncrypt(unhex(sig), pt);
		out.symmetric.push({ signature: sig, plaintext_hex: hex(pt), blob: '0x' + hex(sblob) });
	});
	return out;
}

// ------------------------------------------------------------------ fuzz seed corpus
// Seeds for fuzz/fuzz_{ecies,sig,address,symmetric}.c, byte-for-byte reproducible: a seeded
// PRNG (mulberry32) supplies keys, messages, ECIES ephemeral keys and IVs; signatures are
// RFC 6979.  The ECIES seeds are for the target's fixed key (anvil's first dev key), the
// symmetric ones for its fixed signature (that key's personal_sign("blockhost-access")).
const DEV_KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

function corpus(dir, seedArg) {
	let seed = seedArg >>> 0;
	const rnd32 = () => {
		seed = (seed + 0x6d2b79f5) >>> 0;
		let t = seed;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0);
	};
	const rbytes = (n) => Uint8Array.from({ length: n }, () => rnd32() & 0xff);
	const rtext = (max) => {
		const n = rnd32() % (max + 1);
		let t = '';
		for (let i = 0; i < n; i++)
			t += ALPHABET[rnd32() % ALPHABET.length];
		return t;
	};
	const rkey = () => {
		for (;;) {
			const k = rbytes(32);
			try {
				secp256k1.getPublicKey(k);
				return k;
			} catch (e) { /* zero or >= n: draw again */ }
		}
	};
	const subs = ['ecies', 'sig', 'address', 'symmetric', 'keystore_client'];
	for (const sub of subs) {
		const d = path.join(dir, sub);
		fs.mkdirSync(d, { recursive: true });
		for (const f of fs.readdirSync(d))
			if (fs.statSync(path.join(d, f)).isFile())
				fs.unlinkSync(path.join(d, f));
	}
	const put = (sub, name, data) =>
		fs.writeFileSync(path.join(dir, sub, name), typeof data === 'string' ? data : Buffer.from(data));
	const N = secp256k1.Point.CURVE().n;
	const dev = new ethers.Wallet('0x' + DEV_KEY);
	const devPub = secp256k1.getPublicKey(unhex(DEV_KEY), false);

	// ECIES: valid blobs for the dev key (empty, short, JSON, binary, long), then broken ones
	const eciesPts = [new Uint8Array(0), Buffer.from('a'), Buffer.from('{"command":"knock","params":{}}'),
		rbytes(43), rbytes(300)];
	const ecies = eciesPts.map((pt, i) => {
		const blob = nobleEciesEncrypt(devPub, pt, rkey(), rbytes(12));
		if (!nobleEciesDecrypt(unhex(DEV_KEY), blob).equals(Buffer.from(pt)))
			throw new Error('ECIES self-check failed');
		put('ecies', `noble-${i}`, blob);
		return blob;
	});
	put('ecies', 'bad-short', ecies[2].subarray(0, 92));                 // < 93 bytes
	put('ecies', 'bad-point', Buffer.concat([Buffer.from([4]), Buffer.alloc(64), rbytes(12),
		rbytes(16)]));                                                     // (0,0) not on the curve
	put('ecies', 'bad-prefix', Buffer.concat([Buffer.from([5]), ecies[1].subarray(1)]));
	const eTag = Buffer.from(ecies[2]);
	eTag[eTag.length - 1] ^= 1;
	put('ecies', 'bad-tag', eTag);                                         // tag does not verify

	// symmetric: the fuzz target's signature; valid blobs, then broken ones
	const symSig = unhex(dev.signMessageSync('blockhost-access'));
	const symPts = [new Uint8Array(0), Buffer.from('a'),
		Buffer.from('{"hostname":"h","port":22,"username":"u"}'), rbytes(55)];
	const sym = symPts.map((pt, i) => {
		const blob = symEncrypt(symSig, pt, rbytes(12));
		if (!symDecrypt(symSig, blob).equals(Buffer.from(pt)))
			throw new Error('symmetric self-check failed');
		put('symmetric', `node-${i}`, blob);
		return blob;
	});
	put('symmetric', 'bad-short', rbytes(27));
	const sTag = Buffer.from(sym[2]);
	sTag[sTag.length - 1] ^= 1;
	put('symmetric', 'bad-tag', sTag);

	// signature text: ethers personal_sign with seeded keys and messages, the accepted
	// spellings (v 0/1, EIP-155 v, bare upper-case, surrounding whitespace), then rejects
	for (let i = 0; i < 4; i++) {
		const w = new ethers.Wallet(ethers.hexlify(rkey()));
		put('sig', `ethers-${i}`, w.signMessageSync(rtext(60)));
	}
	const hello = dev.signMessageSync('hello');                       // 0x + r s v(1b/1c)
	const body = hello.slice(2, 130), v = parseInt(hello.slice(130), 16);
	const withV = (vv) => '0x' + body + vv.toString(16).padStart(2, '0');
	put('sig', 'anvil-hello', hello);
	put('sig', 'v00', withV(v - 27));
	put('sig', 'v25-eip155', withV(v - 27 + 37));                      // chain id 1
	put('sig', 'bare-upper', hello.slice(2).toUpperCase());
	put('sig', 'ws-newline', '  ' + hello + '\n\n');
	const s = BigInt('0x' + body.slice(64));
	const highS = (N - s).toString(16).padStart(64, '0');
	put('sig', 'bad-high-s', '0x' + body.slice(0, 64) + highS + (v ^ 1).toString(16));
	put('sig', 'bad-r-zero', '0x' + '0'.repeat(64) + body.slice(64) + v.toString(16));
	put('sig', 'bad-short', hello.slice(0, 100));
	put('sig', 'bad-nonhex', '0x' + 'z'.repeat(130));
	put('sig', 'bad-v02', withV(2));
	put('sig', 'bad-v1d', withV(29));

	// addresses: EIP-55 of seeded bytes, one all-lower and all-upper, then rejects
	const addrs = [dev.address];
	for (let i = 0; i < 4; i++)
		addrs.push(ethers.getAddress(ethers.hexlify(rbytes(20))));
	addrs.forEach((a, i) => put('address', `eip55-${i}`, a));
	let a = addrs.find((x) => /[a-fA-F]/.test(x.slice(2)) && /[a-f]/.test(x.slice(2)));
	put('address', 'lower', a.toLowerCase());
	put('address', 'upper', '0x' + a.slice(2).toUpperCase());
	const k = 2 + a.slice(2).search(/[a-f]/);
	put('address', 'bad-checksum', a.slice(0, k) + a[k].toUpperCase() + a.slice(k + 1));
	put('address', 'bad-prefix', '0X' + a.slice(2));
	put('address', 'bad-short', a.slice(0, 41));

	// keystore daemon replies for fuzz/fuzz_keystore_client.c: byte 0 picks the client call
	// (0 address, 1 pubkeys, 2 sign_tx, 3 personal_sign, 4 ecies_decrypt, 5 tls_sign; bit 0x80:
	// send the rest raw, without a frame header), the rest is the reply (docs/PROTOCOL.keystore)
	const ks = (name, sel, body) => put('keystore_client', name, Buffer.concat([Buffer.from([sel]),
		Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))]));
	const frame = (obj) => {
		const b = Buffer.from(JSON.stringify(obj));
		const h = Buffer.alloc(4);
		h.writeUInt32BE(b.length);
		return Buffer.concat([h, b]);
	};
	const ksPub = '0x' + hex(devPub);
	const p256Priv = rkey();
	const tlsPub = '0x' + hex(p256.getPublicKey(p256Priv, false));
	const tlsDer = '0x' + hex(p256.sign(new Uint8Array(32).fill(0x11), p256Priv,
		{ prehash: false, format: 'der' }));
	const tx = ethers.Transaction.from({ type: 2, chainId: 31337, nonce: 1, maxPriorityFeePerGas: 0,
		maxFeePerGas: 1, gasLimit: 21000, to: addrs[1], value: 0, data: '0xb510391f' });
	tx.signature = dev.signingKey.sign(tx.unsignedHash);
	ks('address-ok', 0, { ok: true, address: dev.address });
	ks('address-bad', 0, { ok: true, address: '0x12' });
	ks('address-bad-checksum', 0, { ok: true, address: a.slice(0, k) + a[k].toUpperCase() + a.slice(k + 1) });
	ks('pubkeys-ok', 1, { ok: true, address: dev.address, ecies_pubkey: ksPub, tls_pubkey: tlsPub });
	ks('pubkeys-short', 1, { ok: true, address: dev.address, ecies_pubkey: ksPub.slice(0, 100),
		tls_pubkey: tlsPub });
	ks('sign_tx-ok', 2, { ok: true, from: dev.address, raw: tx.serialized, hash: tx.hash });
	ks('sign_tx-no-hash', 2, { ok: true, from: dev.address, raw: tx.serialized });
	ks('sign_tx-denied', 2, { ok: false, error: 'denied', rule: 'to_allowlist',
		message: `'to' ${addrs[1]} is not in the allowlist` });
	ks('personal_sign-ok', 3, { ok: true, signature: hello });
	ks('personal_sign-high-s', 3, { ok: true, signature: '0x' + body.slice(0, 64) + highS +
		(v ^ 1).toString(16) });
	ks('ecies-ok', 4, { ok: true, plaintext: '0x' + hex(Buffer.from('{"hostname":"h"}')) });
	ks('ecies-empty', 4, { ok: true, plaintext: '0x' });
	ks('ecies-no-prefix', 4, { ok: true, plaintext: '6869' });
	ks('ecies-decrypt-refused', 4, { ok: false, error: 'decrypt', message: 'authentication failed' });
	ks('tls-ok', 5, { ok: true, signature: tlsDer });
	ks('tls-short', 5, { ok: true, signature: '0x3000' });
	ks('tls-long', 5, { ok: true, signature: '0x' + '30'.repeat(73) });
	ks('refused-control-chars', 0, '{"ok":false,"error":"denied","rule":"r\\u001b[31mx",' +
		'"message":"line\\nforged: ok \\u00e9\\ud83d\\ude00"}');
	ks('refused-no-message', 3, { ok: false, error: 'internal' });
	ks('nul-in-string', 0, '{"ok":false,"error":"denied","message":"a\\u0000b"}');
	ks('duplicate-key', 0, '{"ok":true,"ok":false,"address":"' + dev.address + '"}');
	ks('not-object', 1, '[1,2]');
	ks('trailing', 0, JSON.stringify({ ok: true, address: dev.address }) + ' x');
	ks('empty-frame', 0, '');
	ks('raw-huge-length', 0x80, Buffer.from([0xff, 0xff, 0xff, 0xff]));
	put('keystore_client', 'raw-short-payload', Buffer.concat([Buffer.from([0x83, 0, 0, 0, 0x40]),
		Buffer.from('{"ok":true,')]));
	put('keystore_client', 'raw-two-frames', Buffer.concat([Buffer.from([0x80]),
		frame({ ok: true, address: dev.address }), frame({ ok: false })]));
	put('keystore_client', 'raw-short-header', Buffer.from([0x85, 0, 0]));
	return 0;
}

// ------------------------------------------------------------------ interop with bhcrypt
let failures = 0;
function check(cond, what) {
	if (cond) {
		console.log('ok - ' + what);
	} else {
		console.log('not ok - ' + what);
		failures++;
	}
}

function run(bin, args, expectOk = true) {
	const r = spawnSync(bin, args, { encoding: 'buffer', maxBuffer: 1 << 24 });
	if (expectOk && r.status !== 0)
		throw new Error(`bhcrypt ${args[0]} failed (${r.status}): ${r.stderr.toString()}`);
	return r;
}

function interop(bin, rounds) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bhcrypt-interop-'));
	try {
		for (let i = 0; i < rounds; i++) {
			const w = randomWallet();
			const priv = w.privateKey.slice(2);
			const keyFile = path.join(dir, 'k' + i);
			fs.writeFileSync(keyFile, priv + (i % 2 ? '\n' : ''), { mode: 0o600 });
			const pub = secp256k1.getPublicKey(unhex(priv), false);

			// addresses and public keys: ours vs ethers/noble
			let r = run(bin, ['key-to-address', '--key', priv]);
			check(r.stdout.toString() === w.address + '\n', `key-to-address ${w.address}`);
			r = run(bin, ['derive-pubkey', '--private-key-file', keyFile]);
			check(r.stdout.toString() === hex(pub), 'derive-pubkey equals noble');
			r = run(bin, ['checksum', w.address.toLowerCase()]);
			check(r.stdout.toString() === w.address + '\n', 'checksum equals ethers.getAddress');

			// personal_sign: byte-identical to ethers (RFC 6979), and recover agrees
			const m = randomText(80);
			r = run(bin, ['sign', '--private-key-file', keyFile, '--message', m]);
			const ours = r.stdout.toString().trim();
			check(ours === w.signMessageSync(m), 'personal_sign byte-identical to ethers');
			check(ethers.verifyMessage(m, ours) === w.address, 'ethers.verifyMessage accepts ours');
			r = run(bin, ['recover', '--message', m, '--signature', w.signMessageSync(m)]);
			check(r.stdout.toString() === w.address + '\n', 'recover of an ethers signature');

			// keccak
			r = run(bin, ['keccak', '--', m]);
			check(r.stdout.toString() === ethers.id(m) + '\n', 'keccak of text equals ethers.id');

			// ECIES both ways
			const pt = randomText(150);
			const theirs = nobleEciesEncrypt(pub, Buffer.from(pt, 'utf8'));
			r = run(bin, ['decrypt', '--private-key-file', keyFile, '--ciphertext', '0x' + hex(theirs)]);
			check(r.stdout.toString() === pt, 'bhcrypt decrypts a noble ECIES blob');
			r = run(bin, ['encrypt', '--pubkey', hex(pub), '--plaintext', pt]);
			const blob = Buffer.from(unhex(r.stdout.toString()));
			check(nobleEciesDecrypt(unhex(priv), blob).toString('utf8') === pt,
				'noble decrypts a bhcrypt ECIES blob');
			const bad = Buffer.from(theirs);
			bad[crypto.randomInt(0, bad.length)] ^= 1 << crypto.randomInt(0, 8);
			r = run(bin, ['decrypt', '--private-key-file', keyFile, '--ciphertext', hex(bad)], false);
			check(r.status === 1 && r.stdout.length === 0, 'tampered ECIES blob rejected');

			// symmetric both ways (key = keccak256 of the wallet's raw signature)
			const sig = w.signMessageSync('blockhost-access');
			const sblob = symEncrypt(unhex(sig), Buffer.from(pt, 'utf8'));
			r = run(bin, ['decrypt-symmetric', '--signature', sig, '--ciphertext', '0x' + hex(sblob)]);
			check(r.stdout.toString() === pt, 'bhcrypt decrypts a node symmetric blob');
			r = run(bin, ['encrypt-symmetric', '--signature', sig, '--plaintext', pt]);
			check(symDecrypt(unhex(sig), Buffer.from(unhex(r.stdout.toString()))).toString('utf8') === pt,
				'node decrypts a bhcrypt symmetric blob');
		}
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
	console.log(`interop: ${failures} failure(s)`);
	return failures === 0 ? 0 : 1;
}

async function main() {
	await loadNoble();
	const [mode, a1, a2] = process.argv.slice(2);
	if (mode === 'generate') {
		process.stdout.write(JSON.stringify(generate(Number(a1 || 8)), null, 1) + '\n');
		return 0;
	}
	if (mode === 'interop' && a1)
		return interop(a1, Number(a2 || 10));
	if (mode === 'corpus' && a1)
		return corpus(a1, Number(a2 || 1));
	console.error('usage: vectors-crypto.js generate [N] | interop BHCRYPT [ROUNDS] | corpus DIR [SEED]');
	return 2;
}

main().then((rc) => process.exit(rc), (e) => { console.error(e); process.exit(1); });
