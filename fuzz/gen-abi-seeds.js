#!/usr/bin/env node
// Seeds for fuzz/fuzz_abi.c's revert mode (byte 0 = 0x80) made with ethers: custom errors
// of the harness's table with every scalar kind (so the revert text renders bool,
// address, bytesN, int, string, bytes), and the JSON mode's builder path (0xa0 + bytes
// that are not JSON: invalid UTF-8, numbers in and out of (uint8,int16)).
//   node fuzz/gen-abi-seeds.js   (writes fuzz/corpus/abi/gen-*)
'use strict';
const fs = require('fs');
const path = require('path');
const { AbiCoder, id, concat } = require(path.join(__dirname, '../tests/js/node_modules/ethers'));
const coder = AbiCoder.defaultAbiCoder();
const dir = path.join(__dirname, 'corpus/abi');
const err = (sig, types, vals) => concat([id(sig).slice(0, 10), coder.encode(types, vals)]);
const put = (name, bytes) => fs.writeFileSync(path.join(dir, 'gen-' + name), bytes);
const odd = 'Odd(bool,address,bytes4,int8,string,bytes32)';
const oddT = ['bool', 'address', 'bytes4', 'int8', 'string', 'bytes32'];
put('revert-odd', Buffer.concat([Buffer.from([0x80]), Buffer.from(err(odd, oddT,
	[true, '0x' + '12'.repeat(20), '0xdeadbeef', -5, 'caf\u00e9', '0x' + 'ab'.repeat(32)]).slice(2), 'hex')]));
put('revert-odd-long-string', Buffer.concat([Buffer.from([0x80]), Buffer.from(err(odd, oddT,
	[false, '0x' + '00'.repeat(20), '0x00000000', 127, 'x'.repeat(300), '0x' + '00'.repeat(32)]).slice(2), 'hex')]));
put('revert-weird', Buffer.concat([Buffer.from([0x80]), Buffer.from(err('Weird((uint8,string)[],bytes)',
	['(uint8,string)[]', 'bytes'], [[[1, 'a'], [2, 'b']], '0x' + 'cd'.repeat(80)]).slice(2), 'hex')]));
put('revert-plan', Buffer.concat([Buffer.from([0x80]), Buffer.from(err('PlanNotFound(uint256)', ['uint256'], [7]).slice(2), 'hex')]));
put('revert-no-args', Buffer.concat([Buffer.from([0x80]), Buffer.from(err('InvalidAddress()', [], []).slice(2), 'hex')]));
put('builder-bad-utf8', Buffer.from([0xa0, 0xff, 0xfe, 0x41]));
put('builder-in-range', Buffer.from([0xa0, 0x00, 0x05, 0x00, 0x07]));
put('builder-out-of-range', Buffer.from([0xa0, 0x01, 0x00, 0x80, 0x00]));
console.log('wrote the gen-* seeds to ' + dir);
