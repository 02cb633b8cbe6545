// SPDX-License-Identifier: MIT
// Drives an anvil chain for tests/integration/test_eth_proof_anvil.sh and the proof
// benchmark: sends transactions of every type anvil and ethers can make (signed by ethers,
// never by us), then prints every block with its receipts as
//   [{"block": <eth_getBlockByNumber(n,false)>, "blockFull": <(n,true), not in bulk mode>,
//     "receipts": <eth_getBlockReceipts>, "txRootServed"/"txRootConsensus": <ethers' roots>,
//     "perTx": <eth_getTransactionReceipt of each tx, in order>, "logs": <eth_getLogs>}]
// Usage: node proof-anvil.js RPC_URL mixed HARDFORK   (the mixed chain; 4844 from cancun,
//                                                     7702 on prague)
//        node proof-anvil.js RPC_URL bulk N           (one block of N transfers + logs)
'use strict';
const { ethers } = require('ethers');
const peer = require('./ethers-trie.js');

const url = process.argv[2], mode = process.argv[3], arg = process.argv[4];
const provider = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
const KEYS = [
	'0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
	'0x59c68ba0f1a63bf2e4d4f3cb6a2bc5b1b63d60c8c4f1d8c0bcc0a3ec6f3d9e0a',
];
const w = new ethers.Wallet(KEYS[0], provider);
// runtime: LOG2(0, calldatasize, 42, caller) of the calldata; init code copies it out
const EMITTER = '0x600e600c600039600e6000f3' + '36600060003733602a366000a200';
// runtime: REVERT(0, 0)
const REVERTER = '0x6005600c60003960056000f3' + '60006000fd';

const send = (method, params) => provider.send(method, params);

async function dump(from, to) {
	const out = [];
	for (let n = from; n <= to; n++) {
		const hex = ethers.toQuantity(n);
		const block = await send('eth_getBlockByNumber', [hex, false]);
		const blockFull = mode === 'bulk' ? undefined : await send('eth_getBlockByNumber', [hex, true]);
		const receipts = await send('eth_getBlockReceipts', [hex]);
		const perTx = [];
		for (const h of block.transactions)
			perTx.push(await send('eth_getTransactionReceipt', [h]));
		const logs = await send('eth_getLogs', [{ fromBlock: hex, toBlock: hex }]);
		const d = { block, blockFull, receipts, perTx, logs };
		if (mode !== 'bulk') {
			// ethers' transactions root: of the raw transactions as the node serves them
			// (a blob transaction with its sidecar), and of their consensus form (the
			// sidecar dropped: EIP-4844 keeps blobs out of the block)
			const raws = [];
			for (const h of block.transactions)
				raws.push(await send('eth_getRawTransactionByHash', [h]));
			d.txRootServed = peer.orderedRoot(raws);
			d.txRootConsensus = peer.orderedRoot(raws.map((r) => {
				const t = ethers.Transaction.from(r);
				t.blobs = null;
				return t.serialized;
			}));
		}
		out.push(d);
	}
	return out;
}

let nextNonce = null;
async function deploy(code) {
	if (nextNonce === null)
		nextNonce = await provider.getTransactionCount(w.address, 'pending');
	const tx = await w.sendTransaction({ data: code, gasLimit: 200000, nonce: nextNonce++ });
	const r = await tx.wait();
	return r.contractAddress;
}

async function mixed(fork) {
	const start = Number(await send('eth_blockNumber', []));
	const emitter = await deploy(EMITTER);
	const reverter = await deploy(REVERTER);
	await send('evm_setAutomine', [false]);
	let nonce = nextNonce;
	const fee = await provider.getFeeData();
	const eip1559 = { maxFeePerGas: fee.maxFeePerGas * 2n, maxPriorityFeePerGas: 1000000000n };
	const txs = [
		{ type: 0, to: emitter, data: '0xdeadbeef', gasPrice: fee.maxFeePerGas * 2n, gasLimit: 60000 },
		{ type: 1, to: emitter, data: '0x' + '11'.repeat(100), gasPrice: fee.maxFeePerGas * 2n,
		  gasLimit: 90000, accessList: [{ address: emitter, storageKeys: [ethers.ZeroHash] }] },
		{ type: 2, to: emitter, data: '0x05', gasLimit: 60000, ...eip1559 },      // 1-byte data < 0x80
		{ type: 2, to: emitter, data: '0x80', gasLimit: 60000, ...eip1559 },      // 1-byte data >= 0x80
		{ type: 2, to: emitter, data: '0x', gasLimit: 60000, ...eip1559 },        // empty data
		{ type: 2, to: reverter, data: '0x01', gasLimit: 60000, ...eip1559 },     // status 0
		{ type: 2, to: ethers.ZeroAddress, value: 1n, gasLimit: 21000, ...eip1559 }, // no logs
		{ type: 2, to: emitter, data: '0x' + 'ab'.repeat(3000), gasLimit: 200000, ...eip1559 },
	];
	if (fork === 'cancun' || fork === 'prague') {
		// EIP-4844: one all-zero blob, whose KZG commitment and proof are both the point at
		// infinity (the commitment to the zero polynomial), so no KZG library is needed
		const inf = ethers.getBytes('0xc0' + '00'.repeat(47));
		txs.push({ type: 3, to: emitter, data: '0x4844', gasLimit: 60000, blobs: ['0x' + '00'.repeat(131072)],
			   kzg: { blobToKzgCommitment: () => inf, computeBlobKzgProof: () => inf },
			   maxFeePerBlobGas: 10n ** 10n, ...eip1559 });
	}
	if (fork === 'prague') {
		// EIP-7702: delegate a second account's code to the emitter, then call it
		const other = new ethers.Wallet(KEYS[1], provider);
		await send('anvil_setBalance', [other.address, '0xde0b6b3a7640000']);
		const auth = await other.authorize({ address: emitter, nonce: 0, chainId: 31337n });
		txs.push({ type: 4, to: other.address, data: '0x7702', gasLimit: 100000,
			   authorizationList: [auth], ...eip1559 });
	}
	for (const t of txs)
		await w.sendTransaction({ ...t, nonce: nonce++ });
	await send('evm_mine', []);
	await send('evm_mine', []);     // an empty block
	// > 128 transactions in one block: RLP(i) keys of 1 and 2 bytes in the trie
	for (let i = 0; i < 150; i++)
		await w.sendTransaction({ type: 2, to: emitter, data: ethers.toBeHex(i, 4), gasLimit: 60000,
					  nonce: nonce++, ...eip1559 });
	await send('evm_mine', []);
	await send('evm_setAutomine', [true]);
	return dump(start + 1, Number(await send('eth_blockNumber', [])));
}

async function bulk(n) {
	const emitter = await deploy(EMITTER);
	await send('evm_setAutomine', [false]);
	let nonce = nextNonce;
	const fee = await provider.getFeeData();
	const reqs = [];
	for (let i = 0; i < n; i++) {
		const tx = await w.signTransaction({ type: 2, chainId: 31337n, to: emitter,
			data: ethers.toBeHex(i, 32), gasLimit: 30000, nonce: nonce++,
			maxFeePerGas: fee.maxFeePerGas * 2n, maxPriorityFeePerGas: 1000000000n });
		reqs.push(send('eth_sendRawTransaction', [tx]));
		if (reqs.length >= 50)
			await Promise.all(reqs.splice(0));
	}
	await Promise.all(reqs);
	await send('evm_mine', []);
	await send('evm_setAutomine', [true]);
	const b = Number(await send('eth_blockNumber', []));
	const out = await dump(b, b);
	if (out[0].block.transactions.length !== n)
		throw new Error(`block has ${out[0].block.transactions.length} transactions, wanted ${n}`);
	return out;
}

(async () => {
	const out = mode === 'bulk' ? await bulk(Number(arg)) : await mixed(arg);
	process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => { console.error('proof-anvil.js:', e.message || e); process.exit(1); });
