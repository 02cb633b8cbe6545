#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// bench-engine-catchup's chain and its peer (bench/bench_engine_catchup.sh):
//   seed RPC BLOCKS PER_BLOCK   deploy an emitter of upstream's SubscriptionCreated (solc,
//                               pinned in tests/js) and fill BLOCKS blocks with PER_BLOCK
//                               logs each (automine: one transaction per block); prints
//                               the emitter's address
//   peer RPC ADDR CHUNK         the ethers v6 loop: eth_getLogs over [0, head] in CHUNK
//                               blocks with the engine's topic filter, every log decoded
//                               (Interface.parseLog); prints "<logs> <seconds>"
'use strict';
const path = require('node:path');
const { ethers } = require('ethers');
const solc = require('solc');

const EVENT = 'event SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)';
const SRC = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;
contract Emitter {
    ${EVENT};
    uint256 next = 1;
    function emitMany(uint256 n) external {
        uint256 id = next;
        for (uint256 i = 0; i < n; i++)
            emit SubscriptionCreated(id + i, 1, msg.sender, block.timestamp + 30 days, 50, address(0), "");
        next = id + n;
    }
}`;
const [cmd, rpc, ...a] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// the receipt by polling eth_getTransactionReceipt (ethers' waitForTransaction waits on its
// block poller, which stalls here after thousands of blocks)
async function receipt(p, h) {
	for (;;) {
		const r = await p.send('eth_getTransactionReceipt', [h]);
		if (r) return r;
		await sleep(20);
	}
}
const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });

(async () => {
	if (cmd === 'seed') {
		const [blocks, per] = a.map(Number);
		const out = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity',
			sources: { 'E.sol': { content: SRC } },
			settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } } })));
		const c = out.contracts['E.sol'].Emitter;
		const [from] = await provider.send('eth_accounts', []);
		const h = await provider.send('eth_sendTransaction', [{ from, data: '0x' + c.evm.bytecode.object, gas: '0x200000' }]);
		const addr = ethers.getAddress((await receipt(provider, h)).contractAddress);
		const data = new ethers.Interface(c.abi).encodeFunctionData('emitMany', [per]);
		let last;
		for (let i = 0; i < blocks; i++)
			last = await provider.send('eth_sendTransaction', [{ from, to: addr, data, gas: '0x' + (60000 + per * 20000).toString(16) }]);
		const rc = await receipt(provider, last);
		if (rc.status !== '0x1') throw new Error('the last emitMany reverted');
		console.log(addr);
	} else if (cmd === 'peer') {
		const [addr, chunk] = [a[0], Number(a[1])];
		const iface = new ethers.Interface([EVENT,
			'event SubscriptionExtended(uint256 indexed subscriptionId, uint256 indexed planId, address indexed extendedBy, uint256 newExpiresAt, uint256 paidAmount, address paymentToken)',
			'event SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber)']);
		const topics = [['SubscriptionCreated', 'SubscriptionExtended', 'SubscriptionCancelled'].map((n) => iface.getEvent(n).topicHash)];
		const t0 = process.hrtime.bigint();
		const head = await provider.getBlockNumber();
		let n = 0;
		for (let from = 0; from <= head; from += chunk) {
			const to = Math.min(from + chunk - 1, head);
			const logs = await provider.getLogs({ address: addr, topics, fromBlock: from, toBlock: to });
			for (const l of logs) if (iface.parseLog(l)) n++;
		}
		console.log(`${n} ${Number(process.hrtime.bigint() - t0) / 1e9}`);
	} else {
		throw new Error(`unknown command ${cmd}`);
	}
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
