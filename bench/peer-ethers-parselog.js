#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Peer for bench/bench_abi.c: ethers 6 Interface.parseLog on the same SubscriptionCreated
// log shape (3 indexed topics; uint256, uint256, address, 161-byte bytes in data).
//   node bench/peer-ethers-parselog.js [BENCH_ABI_BINARY] [SECONDS]
// With the binary, runs it too and prints the ratio (ours / ethers).
'use strict';
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ethers = require(path.join(__dirname, '..', 'tests', 'js', 'node_modules', 'ethers'));

const [bin, secArg] = process.argv.slice(2);
const secs = Number(secArg || 2);
const iface = new ethers.Interface(['event SubscriptionCreated(uint256 indexed subscriptionId, ' +
	'uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, ' +
	'address paymentToken, bytes userEncrypted)']);
const blob = Uint8Array.from({ length: 161 }, (_, i) => (i * 7 + 1) & 0xff);
const log = iface.encodeEventLog('SubscriptionCreated', [12345n, 1n, '0x' + 'ab'.repeat(20),
	1800000000n, 15000000n, '0x' + 'cd'.repeat(20), blob]);

function run() {
	let n = 0, sink = 0;
	const t0 = process.hrtime.bigint();
	let t;
	do {
		for (let k = 0; k < 1000; k++) {
			const p = iface.parseLog(log);
			// touch every value so lazy Result access is paid for, as a consumer would
			sink += p.args.length + Number(p.args[0] & 1n) + p.args[6].length;
		}
		n += 1000;
		t = Number(process.hrtime.bigint() - t0) / 1e9;
	} while (t < secs);
	if (sink < 0) console.log(sink);
	return n / t;
}
run(); // warm-up (JIT)
const theirs = run();
console.log(`ethers ${ethers.version} Interface.parseLog logs/s=${theirs.toFixed(0)}`);
if (bin) {
	const out = execFileSync(bin, [String(secs)], { encoding: 'utf8' });
	process.stdout.write(out);
	const ours = Number(/^bh_abi_decode_log logs\/s=(\d+)/m.exec(out)[1]);
	const oursJson = Number(/^bh_abi_decode_log\+to_json logs\/s=(\d+)/m.exec(out)[1]);
	console.log('compared: SubscriptionCreated log (3 topics + 256-byte data) strict decode to values;');
	console.log(`ratio bh_abi_decode_log / ethers parseLog = ${(ours / theirs).toFixed(1)}x` +
		` (with JSON output: ${(oursJson / theirs).toFixed(1)}x)`);
}
