// SPDX-License-Identifier: MIT
// Independent signer for the pam_web3 integration tests (ethers 6, not our C code).
//   node pam_sign.js <mode> <privkey-hex> <message>
// <message> is the text of the prompt's "Message: " line
//   "Authenticate to <machine> with code: <code> nonce: <32 hex> expires: <ISO 8601 UTC>"
// Prints one line: the answer to give at the PAM prompt.
// modes: sign | other-machine | wrong-code | other-nonce | upstream | high-s | v0 | no0x |
//        upper | address
'use strict';
const path = require('path');
const { ethers } = require(path.join(__dirname, '..', 'js', 'node_modules', 'ethers'));
const [mode, key, message] = process.argv.slice(2);
const w = new ethers.Wallet(key);
if (mode === 'address') { console.log(w.address); process.exit(0); }
const re = /^Authenticate to ([A-Za-z0-9._-]+) with code: ([0-9]+) nonce: ([0-9a-f]{32}) expires: (\S+)$/;
const p = re.exec(message || '');
if (!p) { console.error('pam_sign.js: not a pam_web3 message: ' + JSON.stringify(message)); process.exit(2); }
let [, m, c, n, e] = p;
if (mode === 'other-machine') m = m + '-other';
if (mode === 'wrong-code') c = c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
if (mode === 'other-nonce') n = (n[0] === '0' ? '1' : '0') + n.slice(1);
const text = mode === 'upstream' ? `Authenticate to ${m} with code: ${c}`
                                 : `Authenticate to ${m} with code: ${c} nonce: ${n} expires: ${e}`;
const sig = w.signMessageSync(text);
const s = ethers.Signature.from(sig);
let out = sig;
if (mode === 'high-s') {
  const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
  const hs = N - BigInt(s.s);
  out = '0x' + s.r.slice(2) + hs.toString(16).padStart(64, '0') + (s.v === 27 ? '1c' : '1b');
} else if (mode === 'v0') {
  out = '0x' + s.r.slice(2) + s.s.slice(2) + (s.v === 27 ? '00' : '01');
} else if (mode === 'no0x') {
  out = sig.slice(2);
} else if (mode === 'upper') {
  out = '0x' + sig.slice(2).toUpperCase();
}
console.log(out);
