#!/usr/bin/env node
// Differential oracle: the RLP corpus (fuzz/corpus/rlp) through ethers' decodeRlp and
// through our decoder (fuzz/oracle_rlp.c, its output on stdin); accept/reject and the
// decoded tree must agree.  Known, intended differences (our decoder is stricter: depth
// and item caps) are listed in EXPECT_STRICTER.
'use strict';
const fs = require('fs');
const { decodeRlp } = require('ethers');
const ours = fs.readFileSync(0, 'utf8').trim().split('\n');
const EXPECT_STRICTER = new Set(['depth-17-over-limit', 'items-over-cap',
	'bad-long-short', 'bad-wrapped-byte'])  // ethers accepts non-canonical RLP;
let bad = 0, n = 0;
for (const line of ours) {
	const [file, verdict, tree] = line.split(' ');
	const base = file.split('/').pop();
	let theirs;
	try { theirs = JSON.stringify(decodeRlp(fs.readFileSync(file))); } catch (e) { theirs = null; }
	n++;
	if (verdict === 'reject' && theirs === null) continue;
	if (verdict === 'reject' && EXPECT_STRICTER.has(base)) continue;
	if (verdict === 'ok' && theirs === tree) continue;
	bad++;
	console.log(`DIFF ${base}: ours ${verdict === 'ok' ? 'accepts' : 'rejects'}, ethers ${theirs === null ? 'rejects' : 'accepts'}${verdict === 'ok' && theirs !== null ? ' (different tree)' : ''}`);
}
console.log(`oracle-rlp: ${n} inputs, ${bad} differences`);
process.exit(bad ? 1 : 0);
