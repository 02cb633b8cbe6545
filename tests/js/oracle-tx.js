#!/usr/bin/env node
// Differential oracle: the raw transactions of fuzz/corpus/tx through ethers'
// Transaction.from and through our decoder (fuzz/oracle_tx.c, its output on stdin).
// Where both accept, every field, the hash and the recovered sender must agree.  Where
// we accept and ethers refuses, that is a difference.  Where we refuse and ethers
// accepts, our decoder is stricter (the tx types we do not support: 1, 3, 4; non-
// canonical RLP; a signature we refuse, e.g. high s): counted and listed, not a failure.
'use strict';
const fs = require('fs');
const { Transaction, keccak256 } = require('ethers');
const ours = fs.readFileSync(0, 'utf8').trim().split('\n').filter((l) => l);
const dec = (x) => (x === null || x === undefined ? null : BigInt(x).toString());
// the recovered sender, or null where no key recovers (ours: an "error" instead of "from")
// and none for a high-s signature (EIP-2: invalid since Homestead; ours refuses to recover
// it, noble recovers it anyway)
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const sender = (t) => { if (BigInt(t.signature._s) > HALF_N) return null; try { return t.from ? t.from.toLowerCase() : null; } catch (e) { return null; } };
let bad = 0, n = 0, stricter = [], feeInverted = [];
for (const line of ours) {
	const [file, verdict, json] = line.split('\t');
	const base = file.split('/').pop();
	const raw = '0x' + fs.readFileSync(file).toString('hex');
	let t = null, why = '';
	try { t = Transaction.from(raw); } catch (e) { why = e.shortMessage || e.message; }
	n++;
	if (verdict === 'reject') {
		if (t) stricter.push(base);
		continue;
	}
	if (!t) { bad++; console.log(`DIFF ${base}: ours accepts, ethers rejects (${why})`); continue; }
	const o = JSON.parse(json);
	const want = {
		type: t.type, chainId: dec(t.chainId), nonce: String(t.nonce), gasLimit: dec(t.gasLimit),
		to: t.to ? t.to.toLowerCase() : null, value: dec(t.value), data: t.data.toLowerCase(),
		// the hash of what was received (ethers refuses to re-serialize a high-s signature)
		hash: keccak256(raw), from: sender(t),
		r: t.signature.r, s: t.signature._s, yParity: t.signature.yParity,
	};
	if (t.type === 2) {
		want.maxFeePerGas = dec(t.maxFeePerGas);
		want.maxPriorityFeePerGas = dec(t.maxPriorityFeePerGas);
		want.accessList = t.accessList.map((a) => ({ address: a.address.toLowerCase(), storageKeys: a.storageKeys }));
	} else {
		want.gasPrice = dec(t.gasPrice);
		want.v = dec(t.signature.networkV ?? t.signature.v);
	}
	// ethers refuses to hash (so to recover) a type-2 transaction whose priority fee is over
	// its max fee (invalid for inclusion, EIP-1559); ours decodes it and recovers the sender
	// (the fee rule is not the encoding's): the sender is not compared there
	if (t.type === 2 && t.maxPriorityFeePerGas > t.maxFeePerGas) {
		want.from = undefined;
		feeInverted.push(base);
	}
	const got = {};
	for (const k of Object.keys(want)) if (want[k] === undefined) delete want[k];
	for (const k of Object.keys(want)) got[k] = k === 'accessList' && o[k] ?
		o[k].map((a) => ({ address: a.address.toLowerCase(), storageKeys: a.storageKeys })) : o[k] ?? null;
	const a = JSON.stringify(got), b = JSON.stringify(want);
	if (a !== b) {
		bad++;
		console.log(`DIFF ${base}: fields differ\n  ours   ${a}\n  ethers ${b}`);
	}
}
if (stricter.length) console.log(`ours stricter (refused, ethers accepts): ${stricter.join(' ')}`);
if (feeInverted.length) console.log(`priority fee over max fee (sender not compared): ${feeInverted.join(' ')}`);
console.log(`oracle-tx: ${n} inputs, ${bad} differences, ${stricter.length} refused by us only, ` +
	`${feeInverted.length} with the priority fee over the max fee`);
process.exit(bad ? 1 : 0);
