// SPDX-License-Identifier: MIT
// The few ABI encodings the page needs (uint256, address, bytes, string, uint256[]) and the
// decoding of revert data into custom error names (upstream.md §6.1, OpenZeppelin v5 ERC-20).
import { keccak_256 } from '@noble/hashes/sha3.js';

const te = new TextEncoder();
const HEX = '0123456789abcdef';
export function bytesToHex(b) {
  let s = '0x';
  for (const x of b) s += HEX[x >> 4] + HEX[x & 15];
  return s;
}
export function hexToBytes(h) {
  h = h.replace(/^0x/, '');
  if (h.length % 2 || /[^0-9a-fA-F]/.test(h)) throw new Error('not hex');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(i * 2, 2), 16);
  return out;
}
const selCache = new Map();
export function sel(sig) {
  let s = selCache.get(sig);
  if (!s) { s = bytesToHex(keccak_256(te.encode(sig)).slice(0, 4)); selCache.set(sig, s); }
  return s;
}
export function words(data) {
  const h = (data || '0x').replace(/^0x/, '');
  const w = [];
  for (let i = 0; i + 64 <= h.length; i += 64) w.push('0x' + h.slice(i, i + 64));
  return w;
}
const word = (data, i) => {
  const w = words(data)[i];
  if (w === undefined) throw new Error('short answer from the contract');
  return BigInt(w);
};
export const abi = {
  uint: (v) => { v = BigInt(v); if (v < 0n || v >= 1n << 256n) throw new Error('uint256 out of range'); return v.toString(16).padStart(64, '0'); },
  addr: (a) => { if (!/^0x[0-9a-fA-F]{40}$/.test(a)) throw new Error('bad address ' + a); return a.slice(2).toLowerCase().padStart(64, '0'); },
  bytes: (hex) => { const h = hex.replace(/^0x/, ''); return abi.uint(h.length / 2) + h.padEnd(Math.ceil(h.length / 64) * 64, '0'); },
  decUint: (data, i) => word(data, i),
  decBytes: (data, i) => {
    const h = data.replace(/^0x/, '');
    const off = Number(word(data, i)) * 2, len = Number(BigInt('0x' + h.slice(off, off + 64))) * 2;
    if (off + 64 + len > h.length) throw new Error('short answer from the contract');
    return '0x' + h.slice(off + 64, off + 64 + len);
  },
  decString: (data, i) => new TextDecoder().decode(hexToBytes(abi.decBytes(data, i))),
  decUintArray: (data) => {
    const h = data.replace(/^0x/, '');
    const off = Number(word(data, 0)) * 2, n = Number(BigInt('0x' + h.slice(off, off + 64)));
    const out = [];
    for (let k = 0; k < n; k++) out.push(BigInt('0x' + h.slice(off + 64 + k * 64, off + 128 + k * 64)));
    return out;
  },
};

// name(args) of every custom error the page may meet; the arguments are all uint256 or address
const ERRORS = [
  'PlanNotFound(uint256)', 'PlanNotActive(uint256)', 'PlanPriceMustBePositive()', 'SubscriptionNotFound(uint256)',
  'SubscriptionAlreadyCancelled(uint256)', 'PaymentMethodNotFound(uint256)', 'PaymentMethodNotActive(uint256)',
  'PrimaryStablecoinNotSet()', 'InvalidAddress()', 'DaysMustBePositive()', 'SlippageTooHigh()', 'NoBalanceToWithdraw()',
  'TokenNotInPair()', 'InsufficientLiquidity()', 'ReentrancyGuardReentrantCall()', 'OwnableUnauthorizedAccount(address)',
  'ERC20InsufficientBalance(address,uint256,uint256)', 'ERC20InsufficientAllowance(address,uint256,uint256)',
  'ERC20InvalidSpender(address)', 'ERC20InvalidReceiver(address)', 'SafeERC20FailedOperation(address)',
];
const HINTS = {
  PlanNotActive: 'this plan is no longer on sale; reload and choose another',
  PlanNotFound: 'no such plan', PaymentMethodNotActive: 'this payment method is switched off',
  ERC20InsufficientBalance: 'your wallet does not hold enough tokens', ERC20InsufficientAllowance: 'the approval is smaller than the price',
  DaysMustBePositive: 'choose at least one day', SubscriptionAlreadyCancelled: 'this subscription was cancelled by the host',
};
export function decodeRevert(data) {
  if (!data || data.length < 10) return null;
  const s = data.slice(0, 10).toLowerCase();
  if (s === '0x08c379a0') { try { return 'Error("' + abi.decString('0x' + data.slice(10), 0) + '")'; } catch { return 'Error(?)'; } }
  if (s === '0x4e487b71') return 'Panic(0x' + data.slice(10).replace(/^0+/, '') + ')';
  for (const e of ERRORS) {
    if (sel(e) !== s) continue;
    const name = e.slice(0, e.indexOf('(')), types = e.slice(name.length + 1, -1).split(',').filter(Boolean);
    const w = words('0x' + data.slice(10));
    const args = types.map((t, i) => (w[i] === undefined ? '?' : t === 'address' ? '0x' + w[i].slice(-40) : BigInt(w[i]).toString()));
    return `${name}(${args.join(', ')})` + (HINTS[name] ? ` — ${HINTS[name]}` : '');
  }
  return `unknown error ${s}`;
}
