#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Peer for bench/bench_recover.c: ethers 6 verifyMessage on the same signatures.
//   node bench/peer-ethers-verify.js SIGS.tsv SECONDS
// SIGS.tsv lines: <address>\t<0x signature>\t<message hex>.
// Prints one line: "ethers_verify_per_sec <rate per CPU-second> <ethers version>".
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const req = createRequire(path.join(__dirname, '..', 'tests', 'js', 'package.json'));
const ethers = req('ethers');

const [file, secs] = process.argv.slice(2);
if (!file) {
	console.error('usage: peer-ethers-verify.js SIGS.tsv [SECONDS]');
	process.exit(2);
}
const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => {
	const [addr, sig, mhex] = l.split('\t');
	return { addr, sig, msg: ethers.toUtf8String('0x' + mhex) };
});
// CPU time (user + system, microseconds), like bench_recover.c: the machine is shared.
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
const limit = Number(secs || 2) * 1e6;
let n = 0;
const t0 = cpu();
let el = 0;
do {
	for (const r of rows) {
		if (ethers.verifyMessage(r.msg, r.sig) !== r.addr) {
			console.error('ethers disagrees on a signature: ' + r.sig);
			process.exit(1);
		}
		n++;
	}
	el = cpu() - t0;
} while (el < limit);
console.log(`ethers_verify_per_sec ${(n / (el / 1e6)).toFixed(1)} ${ethers.version}`);
