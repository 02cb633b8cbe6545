#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Compile BlockHost's contracts with the pinned solcjs through standard JSON.
//
//   node contracts/build.js OUTDIR
//
// Writes OUTDIR/<Contract>.json = {contractName, abi, bytecode, deployedBytecode,
// codeHash (keccak256 of the deployed code, what blockhost-deploy-contracts compares),
// compiler, settings} for each contract, and OUTDIR/build-info.json (compiler version,
// settings and the sha256 of every source). The settings are pinned below and in
// contracts/README.md; the same sources give the same bytecode on every run.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');
const NODE_MODULES = path.join(ROOT, 'tests', 'js', 'node_modules');
let solc, keccak256;
try {
	solc = require(path.join(NODE_MODULES, 'solc'));
	({ keccak256 } = require(path.join(NODE_MODULES, 'ethers')));
} catch (e) {
	console.error(`contracts: the pinned solc/ethers are missing in ${NODE_MODULES}: run 'make deps'`);
	process.exit(1);
}

const SOURCES = ['BlockhostSubscriptions.sol', 'AccessCredentialNFT.sol', 'TestStablecoin.sol'];
const CONTRACTS = {
	'BlockhostSubscriptions.sol': 'BlockhostSubscriptions',
	'AccessCredentialNFT.sol': 'AccessCredentialNFT',
	'TestStablecoin.sol': 'TestStablecoin',
};
// Pinned: solc 0.8.37 and OpenZeppelin 5.7.0 (tests/js/package-lock.json), optimizer on
// with 200 runs, EVM "cancun" (OpenZeppelin 5.7 uses MCOPY; every chain BlockHost targets
// has Cancun), metadata hash kept (it depends only on the sources and these settings).
const SETTINGS = {
	evmVersion: 'cancun',
	optimizer: { enabled: true, runs: 200 },
	metadata: { bytecodeHash: 'ipfs' },
	outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function findImport(p) {
	const base = p.startsWith('@openzeppelin/') ? NODE_MODULES : __dirname;
	const file = path.resolve(base, p);
	if (!file.startsWith(base + path.sep)) return { error: `import outside ${base}: ${p}` };
	try {
		return { contents: fs.readFileSync(file, 'utf8') };
	} catch (e) {
		return { error: `cannot read import ${p}: ${e.message}` };
	}
}

const outdir = process.argv[2];
if (!outdir || process.argv.length > 3) {
	console.error('usage: node contracts/build.js OUTDIR');
	process.exit(2);
}
const sources = {};
for (const s of SOURCES) sources[s] = { content: fs.readFileSync(path.join(__dirname, s), 'utf8') };
const input = { language: 'Solidity', sources, settings: SETTINGS };
const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
for (const e of out.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);

fs.mkdirSync(outdir, { recursive: true });
const writeAtomic = (file, text) => {
	const tmp = `${file}.tmp${process.pid}`;
	const fd = fs.openSync(tmp, 'w', 0o644);
	fs.writeSync(fd, text);
	fs.fsyncSync(fd);
	fs.closeSync(fd);
	fs.renameSync(tmp, file);
};
const version = solc.version();
for (const [src, name] of Object.entries(CONTRACTS)) {
	const c = out.contracts[src][name];
	const deployed = '0x' + c.evm.deployedBytecode.object;
	const art = {
		contractName: name,
		abi: c.abi,
		bytecode: '0x' + c.evm.bytecode.object,
		deployedBytecode: deployed,
		codeHash: keccak256(deployed),
		compiler: version,
		settings: { evmVersion: SETTINGS.evmVersion, optimizer: SETTINGS.optimizer },
	};
	writeAtomic(path.join(outdir, `${name}.json`), JSON.stringify(art, null, 1) + '\n');
}
const info = {
	compiler: version,
	settings: SETTINGS,
	sources: Object.fromEntries(
		Object.entries(sources).map(([k, v]) => [k, crypto.createHash('sha256').update(v.content).digest('hex')]),
	),
};
writeAtomic(path.join(outdir, 'build-info.json'), JSON.stringify(info, null, 1) + '\n');
console.log(`contracts: ${Object.values(CONTRACTS).join(', ')} -> ${outdir} (solc ${version}, ${SETTINGS.evmVersion}, optimizer ${SETTINGS.optimizer.runs})`);
