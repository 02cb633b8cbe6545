#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// bench-engine-catchup's viem peer (bench/bench_engine_catchup.sh):
//   peer RPC ADDR CHUNK   eth_getLogs over [0, head] in CHUNK blocks with the engine's topic
//                         filter (the three subscription events), every log decoded by
//                         viem (getLogs with `events`, strict: a log that does not decode
//                         is dropped); prints "<logs> <seconds>"
// viem is pinned in tests/js/package.json.  The chain is seeded by peer-ethers-catchup.js.
'use strict';
const { createPublicClient, http, parseAbi } = require('viem');

const ABI = parseAbi([
	'event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)',
	'event SubscriptionExtended(uint256 indexed subscriptionId, uint256 indexed planId, address indexed extendedBy, uint256 newExpiresAt, uint256 paidAmount, address paymentToken)',
	'event SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber)',
]);
const [cmd, rpc, addr, chunkArg] = process.argv.slice(2);

(async () => {
	if (cmd !== 'peer')
		throw new Error(`unknown command ${cmd}`);
	const chunk = Number(chunkArg);
	// keep-alive HTTP (viem's http transport on fetch), no batching, no retries: one
	// request per range, as the engine sends
	const client = createPublicClient({ transport: http(rpc, { batch: false, retryCount: 0, timeout: 60000 }) });
	const t0 = process.hrtime.bigint();
	const head = await client.getBlockNumber({ cacheTime: 0 });
	let n = 0;
	for (let from = 0n; from <= head; from += BigInt(chunk)) {
		let to = from + BigInt(chunk) - 1n;
		if (to > head) to = head;
		// getLogs with `events`: the three-topic OR filter, each log decoded (strict)
		const logs = await client.getLogs({ address: addr, events: ABI, fromBlock: from, toBlock: to, strict: true });
		for (const l of logs) if (l.eventName) n++;
	}
	console.log(`${n} ${Number(process.hrtime.bigint() - t0) / 1e9}`);
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
