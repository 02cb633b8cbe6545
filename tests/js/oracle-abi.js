#!/usr/bin/env node
// Differential oracle: fuzz/corpus/abi through ethers' AbiCoder and through our codec
// (fuzz/oracle_abi.c, its output on stdin).
//   dec: where we decode, ethers must decode to the same value; where we refuse and
//        ethers decodes, ours is stricter (it refuses non-canonical encodings: dirty
//        padding, trailing bytes, out-of-place offsets): counted, not a failure.
//   enc: a value we read from JSON and encoded: ethers must encode it to the same bytes.
'use strict';
const fs = require('fs');
const { AbiCoder } = require('ethers');
const coder = AbiCoder.defaultAbiCoder();
const ours = fs.readFileSync(0, 'utf8').trim().split('\n').filter((l) => l);

// "(a,b)" -> ["a","b"]; a non-tuple type is one component (we then wrap our value)
function components(t) {
	if (!t.startsWith('(') || !t.endsWith(')')) return null;
	const out = []; let depth = 0, cur = '';
	for (const c of t.slice(1, -1)) {
		if (c === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
		if (c === '(') depth++;
		if (c === ')') depth--;
		cur += c;
	}
	if (cur) out.push(cur);
	return out;
}
// ethers' decoded value in our JSON layout (numbers as decimal strings, hex lower-case)
function norm(v) {
	if (typeof v === 'bigint') return v.toString();
	if (typeof v === 'string') return /^0x[0-9a-fA-F]*$/.test(v) ? v.toLowerCase() : v;
	if (Array.isArray(v) || (v && typeof v.toArray === 'function')) return Array.from(v, norm);
	return v;
}
let bad = 0, n = 0, stricter = 0;
for (const line of ours) {
	const f = line.split('\t');
	const [file, mode, type] = f;
	const base = file.split('/').pop();
	const comps = components(type), types = comps ?? [type];
	n++;
	if (mode === 'dec') {
		const data = fs.readFileSync(file).subarray(1);
		let theirs = null, why = '';
		try { theirs = norm(coder.decode(types, data)); } catch (e) { why = e.shortMessage || e.message; }
		if (f[3] === 'reject') { if (theirs) stricter++; continue; }
		if (!theirs) { bad++; console.log(`DIFF ${base} ${type}: ours decodes, ethers refuses (${why})`); continue; }
		const mine = comps ? JSON.parse(f[4]) : [JSON.parse(f[4])];
		if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
			bad++;
			console.log(`DIFF ${base} ${type}: values differ\n  ours   ${JSON.stringify(mine)}\n  ethers ${JSON.stringify(theirs)}`);
		}
	} else if (mode === 'enc') {
		const val = comps ? JSON.parse(f[3]) : [JSON.parse(f[3])];
		let theirs = null, why = '';
		try { theirs = coder.encode(types, val); } catch (e) { why = e.shortMessage || e.message; }
		if (theirs !== f[4]) {
			bad++;
			console.log(`DIFF ${base} ${type}: encodings differ${theirs ? '' : ' (ethers: ' + why + ')'}\n  ours   ${f[4].slice(0, 200)}\n  ethers ${(theirs || '').slice(0, 200)}`);
		}
	}
}
console.log(`oracle-abi: ${n} inputs, ${bad} differences, ${stricter} refused by us only`);
process.exit(bad ? 1 : 0);
