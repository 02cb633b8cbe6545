#!/usr/bin/env node
// Seeds for fuzz/fuzz_authsvc.c: requests against its pending directory (the sessions
// SID, SID2 expired, SID3 unparsable, SID4 naming another id), with real signatures of
// the sessions' messages by the harness's wallet (private key 0x11..11).
//   node fuzz/gen-authsvc-seeds.js   (writes fuzz/corpus/authsvc/gen-*)
'use strict';
const fs = require('fs');
const path = require('path');
const { Wallet } = require(path.join(__dirname, '../tests/js/node_modules/ethers'));
const w = new Wallet('0x' + '11'.repeat(32));
const SID = '0123456789abcdef0123456789abcdef', SID2 = '00000000000000000000000000000002';
const SID3 = '00000000000000000000000000000003', SID4 = '00000000000000000000000000000004';
const tail = 'nonce: 00112233445566778899aabbccddeeff expires: ';
const MSG = `Authenticate to m with code: 123456 ${tail}2100-01-01T00:00:00Z`;
const MSG2 = `Authenticate to m with code: 123456 ${tail}2000-01-01T00:00:00Z`;
const GET = 0, POST = 1, HEAD = 2, PUT = 3, FLAG_TLS = 0x40, FLAG_TIMEOUT = 0x80;
const sig = w.signMessageSync(MSG), sig2 = w.signMessageSync(MSG2);
const req = (m, url, body) => Buffer.concat([Buffer.from([m]), Buffer.from(url),
	...(body === undefined ? [] : [Buffer.from('\n'), Buffer.from(body)])]);
const seeds = {
	'post-good': req(POST, `/auth/callback/${SID}`, sig),
	'post-good-no0x': req(POST, `/auth/callback/${SID}`, ' ' + sig.slice(2) + '\n'),
	'post-good-stale-tmp': req(POST | FLAG_TLS, `/auth/callback/${SID}`, sig),
	'post-good-timeout': req(POST | FLAG_TIMEOUT, `/auth/callback/${SID}`, sig),
	'post-expired': req(POST, `/auth/callback/${SID2}`, sig2),
	'post-unparsable': req(POST, `/auth/callback/${SID3}`, sig),
	'post-other-id': req(POST, `/auth/callback/${SID4}`, sig),
	'post-wrong-message': req(POST, `/auth/callback/${SID}`, sig2),
	'post-high-v': req(POST, `/auth/callback/${SID}`, sig.slice(0, -2) + '01'),
	'get-pending': req(GET, `/auth/pending/${SID}`),
	'get-pending-expired': req(GET, `/auth/pending/${SID2}`),
	'get-pending-other': req(GET, `/auth/pending/${SID4}`),
	'get-pending-query': req(GET, `/auth/pending/${SID}?x=1`),
	'get-tls-fp': req(GET | FLAG_TLS, '/auth/tls-fingerprint'),
	'get-tls-fp-none': req(GET, '/auth/tls-fingerprint'),
	'head-index': req(HEAD, '/'),
	'get-engine': req(GET, '/engine.js'),
	'put-callback': req(PUT, `/auth/callback/${SID}`, sig),
};
const dir = path.join(__dirname, 'corpus/authsvc');
for (const [k, v] of Object.entries(seeds)) fs.writeFileSync(path.join(dir, 'gen-' + k), v);
console.log(`wrote ${Object.keys(seeds).length} seeds to ${dir}`);
