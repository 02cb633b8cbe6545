#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Compile one Solidity file with solcjs (pinned in tests/js) through standard JSON, so the
// EVM version can be pinned (the solcjs CLI has no --evm-version).
//   node compile.js FILE.sol CONTRACT [EVM_VERSION]  ->  {"abi":[...],"bytecode":"0x..."}
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const solc = require(path.join(__dirname, '..', 'js', 'node_modules', 'solc'));

const [file, name, evm] = process.argv.slice(2);
if (!file || !name) {
	console.error('usage: compile.js FILE.sol CONTRACT [EVM_VERSION]');
	process.exit(2);
}
const input = {
	language: 'Solidity',
	sources: { [path.basename(file)]: { content: fs.readFileSync(file, 'utf8') } },
	settings: {
		evmVersion: evm || 'paris',
		optimizer: { enabled: true, runs: 200 },
		outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
	},
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
	for (const e of errors) console.error(e.formattedMessage);
	process.exit(1);
}
const c = out.contracts[path.basename(file)][name];
process.stdout.write(JSON.stringify({ abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }) + '\n');
