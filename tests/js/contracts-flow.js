#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Drives BlockHost's compiled contracts on a real anvil with ethers (an independent client):
// purchase, events, pricing (stablecoin and a pair-priced token), renewal of a deactivated
// plan, cancellation, custom errors, and NFT mint/transfer including a mint to a contract
// that has no onERC721Received. Prints one "ok ..." line per check; exits 1 on the first failure.
//   node contracts-flow.js RPC_URL ARTIFACT_DIR MOCKPAIR_JSON
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { ethers } = require('ethers');

const [rpc, dir, mockPairFile] = process.argv.slice(2);
const art = (n) => JSON.parse(fs.readFileSync(path.join(dir, `${n}.json`), 'utf8'));
const DAY = 86400n;
let step = '';
const ok = (what) => console.log(`ok ${what}`);
const eq = (a, b, what) => {
	if (a !== b) throw new Error(`${what}: got ${a}, want ${b}`);
	ok(what);
};
const ifaces = [];
const errorName = (e) => {
	if (e.revert?.name) return e.revert.name === 'Error' ? e.revert.args[0] : e.revert.name;
	const data = e.data ?? e.info?.error?.data;
	for (const i of ifaces) {
		try {
			const d = data && i.parseError(data);
			if (d) return d.name === 'Error' ? d.args[0] : d.name;
		} catch {}
	}
	return e.reason ?? e.shortMessage ?? e.message;
};
async function reverts(p, errName, what) {
	try {
		await p;
	} catch (e) {
		const name = errorName(e);
		if (name === errName || String(name).includes(errName)) return ok(`${what} reverts ${errName}`);
		throw new Error(`${what}: reverted with ${name}, want ${errName}`);
	}
	throw new Error(`${what}: did not revert (want ${errName})`);
}

(async () => {
	const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, pollingInterval: 50 });
	// anvil's default accounts 0 (operator), 1 (buyer), 2 (another buyer / transfer target)
	const keys = [
		'0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
		'0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
		'0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
	];
	const [op, buyer, other] = keys.map((k) => new ethers.NonceManager(new ethers.Wallet(k, provider)));
	const deploy = async (a, signer, ...args) => {
		const c = await new ethers.ContractFactory(a.abi, a.bytecode, signer).deploy(...args);
		await c.waitForDeployment();
		return c;
	};
	step = 'deploy';
	const usdc = await deploy(art('TestStablecoin'), op);
	const subs = await deploy(art('BlockhostSubscriptions'), op);
	const nft = await deploy(art('AccessCredentialNFT'), op, 'BlockhostAccess', 'BHA');
	for (const c of [subs, nft, usdc]) ifaces.push(c.interface);
	const code = await provider.getCode(await subs.getAddress());
	eq(ethers.keccak256(code), art('BlockhostSubscriptions').codeHash, 'deployed code hash = artifact codeHash');

	step = 'configure';
	await reverts(subs.buySubscription.staticCall(1, 1, 1, '0x'), 'PlanNotFound', 'buy before any plan');
	await (await subs.setPrimaryStablecoin(await usdc.getAddress())).wait();
	await reverts(subs.createPlan.staticCall('Zero', 0), 'PlanPriceMustBePositive', 'createPlan(price 0)');
	await (await subs.createPlan('Basic VM', 50)).wait();
	eq(await subs.getTotalPlanCount(), 1n, 'one plan');
	eq((await subs.getPlan(1)).join(), 'Basic VM,50,true', 'getPlan(1)');
	eq(await subs.calculatePayment(1, 30, 1), 15n * 10n ** 6n, 'price: 50 cents x 30 days = 15 tUSDC');
	eq((await subs.getPaymentMethodIds()).join(), '1', 'payment methods [1]');

	step = 'buy';
	const buyerAddr = await buyer.getAddress();
	await (await usdc.connect(buyer).mint(buyerAddr, 100n * 10n ** 6n)).wait();
	await reverts(subs.connect(buyer).buySubscription.staticCall(1, 30, 1, '0x01'), 'ERC20InsufficientAllowance', 'buy without approve');
	await (await usdc.connect(buyer).approve(await subs.getAddress(), ethers.MaxUint256)).wait();
	await reverts(subs.connect(buyer).buySubscription.staticCall(1, 0, 1, '0x01'), 'DaysMustBePositive', 'buy 0 days');
	await reverts(subs.connect(buyer).buySubscription.staticCall(1, 1, 7, '0x01'), 'PaymentMethodNotFound', 'buy with method 7');
	const payload = ethers.hexlify(ethers.randomBytes(150));
	const rc = await (await subs.connect(buyer).buySubscription(1, 30, 1, payload)).wait();
	const ev = rc.logs.map((l) => subs.interface.parseLog(l)).find((l) => l && l.name === 'SubscriptionCreated');
	const block = await provider.getBlock(rc.blockNumber);
	eq(ev.args.subscriptionId, 1n, 'SubscriptionCreated id 1');
	eq(ev.args.subscriber, buyerAddr, 'SubscriptionCreated subscriber');
	eq(ev.args.expiresAt, BigInt(block.timestamp) + 30n * DAY, 'expiresAt = block time + 30 days');
	eq(ev.args.paidAmount, 15n * 10n ** 6n, 'paidAmount');
	eq(ev.args.userEncrypted, payload, 'userEncrypted round trip');
	eq(await usdc.balanceOf(await subs.getAddress()), 15n * 10n ** 6n, 'contract holds the payment');
	eq((await subs.getSubscriptionsBySubscriber(buyerAddr)).join(), '1', 'getSubscriptionsBySubscriber');
	eq(await subs.isSubscriptionActive(1), true, 'active');
	eq(await subs.daysRemaining(1), 30n, 'daysRemaining 30 in the purchase block');
	await provider.send('evm_increaseTime', [1]);
	await provider.send('evm_mine', []);
	eq(await subs.daysRemaining(1), 29n, 'daysRemaining floors (29 one second later)');

	step = 'renew a deactivated plan';
	await (await subs.updatePlan(1, 'Basic VM', 50, false)).wait();
	await reverts(subs.connect(buyer).buySubscription.staticCall(1, 1, 1, '0x01'), 'PlanNotActive', 'new purchase of a deactivated plan');
	const before = (await subs.getSubscription(1)).expiresAt;
	// anyone may pay for anyone's subscription: `other` pays for the buyer's
	const oa = await other.getAddress();
	await (await usdc.connect(other).mint(oa, 10n ** 8n)).wait();
	await (await usdc.connect(other).approve(await subs.getAddress(), ethers.MaxUint256)).wait();
	const rc2 = await (await subs.connect(other).extendSubscription(1, 10, 1)).wait();
	const ext = rc2.logs.map((l) => subs.interface.parseLog(l)).find((l) => l && l.name === 'SubscriptionExtended');
	eq(ext.args.newExpiresAt, before + 10n * DAY, 'renewal of a deactivated plan extends from expiresAt');
	eq(ext.args.extendedBy, await other.getAddress(), 'SubscriptionExtended extendedBy = payer');

	step = 'pair-priced token';
	const tok = await deploy(art('TestStablecoin'), op); // 6-decimal token standing in for any ERC-20
	const mp = JSON.parse(fs.readFileSync(mockPairFile, 'utf8'));
	const pair = await deploy(mp, op, await tok.getAddress(), await usdc.getAddress());
	await reverts(subs.addPaymentMethod.staticCall(await tok.getAddress(), await pair.getAddress(), buyerAddr), 'TokenNotInPair', 'addPaymentMethod with a foreign stablecoin');
	await (await subs.addPaymentMethod(await tok.getAddress(), await pair.getAddress(), await usdc.getAddress())).wait();
	await (await pair.setReserves(1000n * 10n ** 6n, 20000n * 10n ** 6n)).wait(); // 1 TOK = 20 USD, 20k liquidity
	eq(await subs.getTokenPriceUsdCents(2), 2000n, 'token price 2000 cents');
	// 50 cents x 10 days = 5 USD = 0.25 TOK, + 1 % slippage
	eq(await subs.calculatePayment(1, 10, 2), 252500n, 'pair price incl. 1 % slippage');
	await (await pair.setReserves(1000n * 10n ** 6n, 9000n * 10n ** 6n)).wait();
	await reverts(subs.calculatePayment(1, 10, 2), 'InsufficientLiquidity', 'pair below minLiquidity');

	step = 'cancel and withdraw';
	await reverts(subs.connect(buyer).cancelSubscription.staticCall(1), 'OwnableUnauthorizedAccount', 'cancel by a non-owner');
	const rc3 = await (await subs.cancelSubscription(1)).wait();
	eq(rc3.logs.map((l) => subs.interface.parseLog(l)).find((l) => l)?.name, 'SubscriptionCancelled', 'SubscriptionCancelled emitted');
	eq(await subs.isSubscriptionActive(1), false, 'cancelled is inactive');
	await reverts(subs.cancelSubscription.staticCall(1), 'SubscriptionAlreadyCancelled', 'cancel twice');
	await reverts(subs.connect(buyer).extendSubscription.staticCall(1, 1, 1), 'SubscriptionAlreadyCancelled', 'extend a cancelled one');
	const opAddr = await op.getAddress();
	await (await subs.withdrawFunds(await usdc.getAddress(), opAddr)).wait();
	eq(await usdc.balanceOf(opAddr), 20n * 10n ** 6n, 'withdrawFunds moves the whole balance');
	await reverts(subs.withdrawFunds.staticCall(await usdc.getAddress(), opAddr), 'NoBalanceToWithdraw', 'withdraw an empty balance');

	step = 'nft';
	const r0 = await (await nft.mint(opAddr, '0xaa')).wait();
	const m0 = r0.logs.map((l) => nft.interface.parseLog(l)).find((l) => l && l.name === 'CredentialMinted');
	eq(m0.args.tokenId, 0n, 'first token id is 0 (admin credential)');
	const r1 = await (await nft.mint(buyerAddr, payload)).wait();
	const names = r1.logs.map((l) => nft.interface.parseLog(l)?.name).join(',');
	eq(names, 'Transfer,CredentialMinted', 'mint emits Transfer then CredentialMinted');
	eq(await nft.getUserEncrypted(1), payload, 'getUserEncrypted');
	const contractWallet = await usdc.getAddress(); // a contract with no onERC721Received
	const r2 = await (await nft.mint(contractWallet, '0xbb')).wait();
	eq(r2.status, 1, 'mint to a contract without onERC721Received succeeds');
	eq(await nft.ownerOf(2), contractWallet, 'the contract owns token 2');
	await reverts(nft.connect(buyer).mint.staticCall(buyerAddr, '0x'), 'OwnableUnauthorizedAccount', 'mint by a non-owner');
	await reverts(nft.getUserEncrypted(9), 'Token does not exist', 'getUserEncrypted(9)');
	await (await nft.connect(buyer).transferFrom(buyerAddr, await other.getAddress(), 1)).wait();
	eq(await nft.ownerOf(1), await other.getAddress(), 'transfer moves ownership');
	eq(await nft.totalSupply(), 3n, 'totalSupply 3');
	console.log('contracts-flow: all checks passed');
})().catch((e) => {
	console.error(`contracts-flow: FAILED at ${step}: ${e.message}`);
	process.exit(1);
});
