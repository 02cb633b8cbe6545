// SPDX-License-Identifier: MIT
// Independent signer for the pam_web3 integration tests (ethers 6, not our C code).
//   node pam_sign.js <mode> <privkey-hex> <machine> <code>
// Prints one line: the answer to give at the PAM prompt.
// modes: sign | other-machine | wrong-code | high-s | v0 | no0x | upper | address
'use strict';
const path = require('path');
const { ethers } = require(path.join(__dirname, '..', 'js', 'node_modules', 'ethers'));
const [mode, key, machine, code] = process.argv.slice(2);
const w = new ethers.Wallet(key);
if (mode === 'address') { console.log(w.address); process.exit(0); }
const msg = (m, c) => `Authenticate to ${m} with code: ${c}`;
let m = machine, c = code;
if (mode === 'other-machine') m = machine + '-other';
if (mode === 'wrong-code') c = code.slice(0, -1) + String((Number(code.slice(-1)) + 1) % 10);
const sig = w.signMessageSync(msg(m, c));
const s = ethers.Signature.from(sig);
let out = sig;
if (mode === 'high-s') {
  const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
  const hs = n - BigInt(s.s);
  out = '0x' + s.r.slice(2) + hs.toString(16).padStart(64, '0') + (s.v === 27 ? '1c' : '1b');
} else if (mode === 'v0') {
  out = '0x' + s.r.slice(2) + s.s.slice(2) + (s.v === 27 ? '00' : '01');
} else if (mode === 'no0x') {
  out = sig.slice(2);
} else if (mode === 'upper') {
  out = '0x' + sig.slice(2).toUpperCase();
}
console.log(out);
