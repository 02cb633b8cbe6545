// SPDX-License-Identifier: MIT
// tests/integration/test_eth_proof_*.sh: builds the inputs for tests/helpers/proof_tool from
// a dump of blocks (proof-anvil.js's output, or a fixture) and checks its answers against
// what the node said (block.hash, block.receiptsRoot), never against our own output.
//   node proof-check.js inputs  DUMP MODE > proof_tool input     (MODE: blocks|logs|txs|lies)
//   node proof-check.js verify  DUMP MODE OUTPUT                  (exit 1 with a message)
'use strict';
const fs = require('fs');

const [cmd, dumpFile, mode, outFile] = process.argv.slice(2);
const dump = JSON.parse(fs.readFileSync(dumpFile, 'utf8'));
const clone = (x) => JSON.parse(JSON.stringify(x));
const flip = (hex, at) => {  // change one byte of a 0x string (at: byte index)
	const i = 2 + 2 * at;
	const b = (parseInt(hex.slice(i, i + 2), 16) ^ 0x01).toString(16).padStart(2, '0');
	return hex.slice(0, i) + b + hex.slice(i + 2);
};

// Each case: [name, proof_tool input, expected: "ok" | error code substring]
function cases() {
	const out = [];
	for (const d of dump) {
		const n = Number(d.block.number);
		if (mode === 'blocks') {
			out.push([`block ${n} (eth_getBlockReceipts)`, { block: d.block, receipts: d.receipts }, 'ok']);
			if (d.perTx)
				out.push([`block ${n} (per-transaction receipts)`, { block: d.block, receipts: d.perTx }, 'ok']);
		}
		if (mode === 'txroots' && d.blockFull) {
			// the expectation is ethers' root of the consensus encodings; it is the header's,
			// except that anvil builds its header over blob transactions with their sidecars
			// (the network form), which no real chain does (EIP-4844): then the header equals
			// ethers' root of the served form instead, and that is checked too
			const blob = d.blockFull.transactions.some((t) => t.type === '0x3');
			const headerIs = blob ? d.txRootServed : d.txRootConsensus;
			if (headerIs !== d.block.transactionsRoot) {
				console.error(`block ${n}: ethers' transactions root ${headerIs} is not the header's ${d.block.transactionsRoot}`);
				process.exit(1);
			}
			out.push([`block ${n} transactionsRoot${blob ? ' (blob block: consensus form)' : ''}`,
				  { transactions: d.blockFull.transactions, want: d.txRootConsensus }, 'root']);
		}
		if (mode === 'logs' && d.logs && d.logs.length) { // one input, every log of the block
			out.push([`block ${n} logs`, { block: d.block, receipts: d.receipts, expect: d.block.hash,
				  logs: d.logs }, 'ok-all']);
			// the same with the full block: its transactions root proves every hash (not on
			// anvil's blob blocks, whose header root is over the sidecars: see txroots)
			if (d.blockFull && !d.blockFull.transactions.some((t) => t.type === '0x3'))
				out.push([`block ${n} logs (full block)`, { block: d.blockFull, receipts: d.receipts,
					  expect: d.block.hash, logs: d.logs }, 'ok-all']);
		}
		if (mode === 'txs')
			d.receipts.forEach((r, i) => out.push([`block ${n} tx ${i}`,
				{ block: d.block, receipts: d.receipts, expect: d.block.hash, tx: r.transactionHash },
				r.status === '0x1' ? 'ok' : 'operation not valid in the current state']));
		if (mode === 'lies' && d.logs && d.logs.length) {
			const l = d.logs[d.logs.length - 1];
			const base = { block: d.block, receipts: d.receipts, expect: d.block.hash, log: l };
			const ti = Number(l.transactionIndex);
			const li = d.receipts[ti].logs.findIndex((x) => x.logIndex === l.logIndex);
			let c;
			// (b) one byte of the log's data altered, in the log only
			if (l.data.length > 2) {
				c = clone(base); c.log.data = flip(l.data, 0);
				out.push([`block ${n}: log data altered`, c, 'mismatch']);
				// ... and in the receipt too: the receipts root no longer matches
				c = clone(base); c.log.data = flip(l.data, 0);
				c.receipts[ti].logs[li].data = c.log.data;
				out.push([`block ${n}: log data altered in log and receipt`, c, 'mismatch']);
			}
			// (a) a forged log: a topic the chain never emitted
			c = clone(base); c.log.topics = [flip(l.topics[0], 31), ...l.topics.slice(1)];
			out.push([`block ${n}: forged topic`, c, 'mismatch']);
			// (c) the log hidden from the receipt (bloom left): refused
			c = clone(base); c.receipts[ti].logs.splice(li, 1);
			out.push([`block ${n}: log hidden from its receipt`, c, 'mismatch']);
			// a different agreed hash
			c = clone(base); c.expect = flip(d.block.hash, 5); c.log.blockHash = c.expect;
			out.push([`block ${n}: other agreed hash`, c, 'mismatch']);
			// (d) a fake header with a matching fake receipts root: the hash differs
			c = clone(base); c.block.receiptsRoot = flip(d.block.receiptsRoot, 0);
			out.push([`block ${n}: fake receiptsRoot in header`, c, 'mismatch']);
			// a receipt's status flipped
			c = clone(base); c.receipts[0].status = c.receipts[0].status === '0x1' ? '0x0' : '0x1';
			out.push([`block ${n}: status flipped`, c, 'mismatch']);
			// the log moved to another logIndex
			c = clone(base); c.log.logIndex = '0x' + (Number(l.logIndex) + 1).toString(16);
			out.push([`block ${n}: wrong logIndex`, c, 'not found']);
			// the log's receipt relabelled as another transaction's (receipt, log and the
			// block's hash list changed alike): refused when the block has full
			// transactions, whose root binds every hash to its position
			if (d.blockFull && d.receipts.length > 1) {
				const other = d.receipts[(ti + 1) % d.receipts.length].transactionHash;
				c = clone(base); c.block = clone(d.blockFull);
				c.receipts[ti].transactionHash = other; c.log.transactionHash = other;
				out.push([`block ${n}: receipt relabelled (full block)`, c, 'mismatch']);
				c = clone(base); c.block = clone(d.blockFull);
				c.block.transactions[ti].hash = other;
				c.receipts[ti].transactionHash = other; c.log.transactionHash = other;
				out.push([`block ${n}: receipt and transaction relabelled (full block)`, c, 'mismatch']);
			}
			// receipts out of order
			if (d.receipts.length > 1) {
				c = clone(base); [c.receipts[0], c.receipts[1]] = [c.receipts[1], c.receipts[0]];
				out.push([`block ${n}: receipts swapped`, c, 'invalid format']);
			}
			// a receipt missing (per-transaction fallback that lost one)
			if (d.receipts.length > 1) {
				c = clone(base); c.receipts.pop();
				out.push([`block ${n}: a receipt missing`, c, 'mismatch']);
			}
		}
	}
	return out;
}

const cs = cases();
if (cmd === 'inputs') {
	process.stdout.write(JSON.stringify(cs.map((c) => c[1])) + '\n');
	process.exit(0);
}
const res = JSON.parse(fs.readFileSync(outFile, 'utf8'));
let bad = 0, count = cs.length;
cs.forEach(([name, input, want], i) => {
	const r = res[i];
	let good;
	if (mode === 'blocks') {
		good = !r.error && r.hash === input.block.hash && r.receiptsRoot === input.block.receiptsRoot;
		if (!good)
			console.error(`${name}: ours ${JSON.stringify(r)}, node hash ${input.block.hash} receiptsRoot ${input.block.receiptsRoot}`);
	} else if (want === 'root') {
		good = !r.error && r.transactionsRoot === input.want;
		if (!good) console.error(`${name}: ours ${JSON.stringify(r)}, node ${input.want}`);
	} else if (want === 'ok-all') {
		good = Array.isArray(r) && r.length === input.logs.length && r.every((x) => x.ok === true);
		if (!good) console.error(`${name}: refused: ${JSON.stringify(r).slice(0, 2000)}`);
		count += input.logs.length - 1;
	} else if (want === 'ok') {
		good = r.ok === true;
		if (!good) console.error(`${name}: refused: ${JSON.stringify(r)}`);
	} else {
		good = !!r.error && r.code === want;
		if (!good) console.error(`${name}: wanted an error "${want}", got ${JSON.stringify(r)}`);
	}
	if (!good) bad++;
});
if (bad) { console.error(`${bad} of ${cs.length} cases wrong`); process.exit(1); }
console.log(`${count} cases`);
