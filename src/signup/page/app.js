// SPDX-License-Identifier: MIT
// The BlockHost signup page: wallet (EIP-1193), plans, purchase with the upstream ECIES
// payload, live follow-up of the transaction and the NFT mint, "my servers" decrypted with
// one signature, renewal, offline mode, the admin's knock.  Reads go through the host's
// read-only relay (POST /rpc), writes through the wallet.  Bundled by build.js (esbuild).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { abi, sel, hexToBytes, bytesToHex, decodeRevert, words } from './abi.js';

const $ = (id) => document.getElementById(id);
const te = new TextEncoder(), td = new TextDecoder('utf-8', { fatal: true });
let cfg = null, account = null, sigCache = null, methods = [], plans = [];

// ---------- messages ----------
function setState(s) { document.body.dataset.state = s; }
function status(msg) { $('status').textContent = msg || ''; }
function showError(msg) { const e = $('error'); e.textContent = msg; e.hidden = !msg; if (msg) setState('error'); }
function clearError() { showError(''); }

class UserError extends Error {}

// A wallet or relay error as a sentence a buyer can act on.
function explain(e, what) {
  if (e instanceof UserError) return e.message;
  const code = e && (e.code ?? (e.error && e.error.code));
  if (code === 4001) return `You refused ${what} in your wallet. Nothing was sent; try again when ready.`;
  if (code === 4100) return `Your wallet has not authorised this page for ${what}: connect it first.`;
  if (code === 4900 || code === 4901) return 'Your wallet is disconnected from the chain: reconnect it.';
  const rev = decodeRevert(revertData(e));
  if (rev) return `The contract refused ${what}: ${rev}.`;
  const m = (e && (e.message || (e.error && e.error.message))) || String(e);
  if (/insufficient funds/i.test(m)) return `Not enough of the chain's native coin for gas to ${what}.`;
  return `Could not ${what}: ${m}`;
}
function revertData(e) {
  for (const c of [e && e.data, e && e.data && e.data.data, e && e.error && e.error.data,
    e && e.error && e.error.data && e.error.data.data, e && e.info && e.info.error && e.info.error.data])
    if (typeof c === 'string' && /^0x[0-9a-fA-F]{8}/.test(c)) return c;
  return null;
}

// ---------- the relay ----------
let rpcId = 0;
async function relay(method, params = []) {
  const r = await fetch(cfg.rpcPath, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }) });
  let j;
  try { j = await r.json(); } catch { throw new Error(`the host's relay answered HTTP ${r.status}`); }
  if (j.error) throw Object.assign(new Error(j.error.message), { code: j.error.code, data: j.error.data });
  return j.result;
}
const call = (to, data, from) => relay('eth_call', [from ? { to, data, from } : { to, data }, 'latest']);
const S = () => cfg.contracts.subscriptions, N = () => cfg.contracts.nft;

// ---------- the wallet ----------
function wallet() {
  if (!window.ethereum) throw new UserError('No wallet found in this browser: install an EIP-1193 wallet (e.g. a browser extension), or use the offline mode below.');
  return window.ethereum;
}
const req = (method, params) => wallet().request(params ? { method, params } : { method });
const hexChain = () => '0x' + BigInt(cfg.chainId).toString(16);

async function ensureChain() {
  const cur = await req('eth_chainId');
  if (BigInt(cur) === BigInt(cfg.chainId)) return;
  status(`Your wallet is on chain ${BigInt(cur)}; asking it to switch to ${cfg.chainName || 'chain'} (${cfg.chainId})…`);
  try {
    await req('wallet_switchEthereumChain', [{ chainId: hexChain() }]);
  } catch (e) {
    if (e && (e.code === 4902 || (e.data && e.data.originalError && e.data.originalError.code === 4902))) {
      const add = { chainId: hexChain(), chainName: cfg.chainName || `Chain ${cfg.chainId}`,
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        rpcUrls: [location.origin + cfg.rpcPath] };
      if (cfg.explorerUrl) add.blockExplorerUrls = [cfg.explorerUrl];
      await req('wallet_addEthereumChain', [add]);
    } else if (e && e.code === 4001) {
      throw new UserError(`Wrong chain: this host sells on ${cfg.chainName || 'chain'} ${cfg.chainId} and you refused to switch. Switch your wallet to chain ${cfg.chainId} and try again.`);
    } else throw e;
  }
  const now = await req('eth_chainId');
  if (BigInt(now) !== BigInt(cfg.chainId))
    throw new UserError(`Wrong chain: your wallet is on chain ${BigInt(now)}, this host sells on chain ${cfg.chainId}.`);
}

async function connect() {
  clearError();
  try {
    status('Asking your wallet for an account…');
    const accs = await req('eth_requestAccounts');
    if (!accs || !accs.length) throw new UserError('Your wallet gave no account.');
    await ensureChain();
    account = accs[0].toLowerCase();
    sigCache = null;
    $('account').textContent = 'Connected: ' + account;
    $('account').hidden = false;
    $('connect').textContent = 'Reconnect';
    $('plans-screen').hidden = false;
    $('servers-screen').hidden = false;
    $('admin-screen').hidden = !(cfg.adminWallet && cfg.adminWallet === account);
    $('offline-address').value = account;
    await loadPlans();
    status('');
    setState('connected');
  } catch (e) { status(''); showError(explain(e, 'the connection')); }
}

async function sendTx(tx, what) {
  await ensureChain();
  status(`Confirm ${what} in your wallet…`);
  const hash = await req('eth_sendTransaction', [{ from: account, ...tx }]);
  return hash;
}

async function waitReceipt(hash, label) {
  for (let i = 0; i < 600; i++) {
    const rc = await relay('eth_getTransactionReceipt', [hash]);
    if (rc) {
      if (rc.status !== '0x1') {
        // replay the call at its block to learn the custom error
        throw new UserError(`${label}: the transaction ${hash} was reverted on chain.`);
      }
      return rc;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new UserError(`${label}: no receipt for ${hash} after 5 minutes; check it in your wallet.`);
}

function txLink(hash) {
  if (!cfg.explorerUrl) return document.createTextNode(hash);
  const a = document.createElement('a');
  a.href = cfg.explorerUrl.replace(/\/$/, '') + '/tx/' + hash; a.textContent = hash;
  a.rel = 'noopener noreferrer'; a.target = '_blank';
  return a;
}

// ---------- amounts ----------
function fmtUnits(v, dec) {
  const s = v.toString().padStart(dec + 1, '0');
  const i = s.slice(0, s.length - dec), f = s.slice(s.length - dec).replace(/0+$/, '');
  return f ? `${i}.${f}` : i;
}

// ---------- plans and payment methods ----------
async function tokenInfo(addr) {
  const c = (cfg.paymentTokens || []).find((t) => t.address === addr.toLowerCase()) || {};
  let symbol = c.symbol, decimals = c.decimals;
  if (symbol === undefined) try { symbol = abi.decString(await call(addr, sel('symbol()'))); } catch { symbol = 'tokens'; }
  if (decimals === undefined) decimals = Number(abi.decUint(await call(addr, sel('decimals()')), 0));
  return { symbol, decimals };
}

async function loadPlans() {
  status('Reading plans from the contract…');
  const ids = abi.decUintArray(await call(S(), sel('getPaymentMethodIds()')));
  methods = [];
  for (const id of ids) {
    const w = words(await call(S(), sel('getPaymentMethod(uint256)') + abi.uint(id)));
    if (!BigInt(w[5])) continue;
    const token = '0x' + w[0].slice(-40);
    methods.push({ id, token, ...(await tokenInfo(token)) });
  }
  const n = Number(abi.decUint(await call(S(), sel('getTotalPlanCount()')), 0));
  plans = [];
  for (let id = 1n; id <= BigInt(n); id++) {
    const d = await call(S(), sel('getPlan(uint256)') + abi.uint(id));
    const w = words(d);
    if (!BigInt(w[2])) continue;
    plans.push({ id, name: abi.decString(d, 0), cents: BigInt(w[1]) });
  }
  const fs = $('plans');
  fs.replaceChildren(fs.querySelector('legend'));
  if (!plans.length) fs.append(Object.assign(document.createElement('p'), { textContent: 'This host offers no active plan right now.' }));
  plans.forEach((p, i) => {
    const div = document.createElement('div'); div.className = 'plan';
    const r = Object.assign(document.createElement('input'), { type: 'radio', name: 'plan', id: `plan-${p.id}`, value: String(p.id), checked: i === 0 });
    const l = Object.assign(document.createElement('label'), { htmlFor: r.id });
    l.textContent = `${p.name} — $${(Number(p.cents) / 100).toFixed(2)} per day`;
    r.addEventListener('change', updateTotal);
    div.append(r, l); fs.append(div);
  });
  const sel_ = $('method'); sel_.replaceChildren();
  methods.forEach((m) => sel_.append(Object.assign(document.createElement('option'), { value: String(m.id), textContent: m.symbol })));
  $('buy').disabled = !plans.length || !methods.length || !cfg.serverPublicKey;
  if (!cfg.serverPublicKey) showError('This host has not published its server key: purchases are unavailable. (Operator: set server_public_key.)');
  await updateTotal();
  status('');
}

function chosen() {
  const r = document.querySelector('input[name=plan]:checked');
  const days = Number($('days').value);
  if (!r) throw new UserError('Choose a plan first.');
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UserError('Days must be a whole number from 1 to 3650.');
  const m = methods.find((x) => String(x.id) === $('method').value);
  if (!m) throw new UserError('This host offers no active payment method.');
  return { plan: BigInt(r.value), days: BigInt(days), m };
}

async function price(plan, days, m) {
  return abi.decUint(await call(S(), sel('calculatePayment(uint256,uint256,uint256)') + abi.uint(plan) + abi.uint(days) + abi.uint(m.id)), 0);
}

async function updateTotal() {
  try {
    const { plan, days, m } = chosen();
    const amt = await price(plan, days, m);
    $('total').textContent = `Total: ${fmtUnits(amt, m.decimals)} ${m.symbol} for ${days} day${days === 1n ? '' : 's'}`;
  } catch (e) { $('total').textContent = e instanceof UserError ? e.message : ''; }
}

// Balance, then only the allowance that is missing.
async function pay(m, amount, label) {
  const bal = abi.decUint(await call(m.token, sel('balanceOf(address)') + abi.addr(account)), 0);
  if (bal < amount)
    throw new UserError(`Insufficient balance: ${label} costs ${fmtUnits(amount, m.decimals)} ${m.symbol}, your wallet holds ${fmtUnits(bal, m.decimals)} ${m.symbol}.`);
  const allowed = abi.decUint(await call(m.token, sel('allowance(address,address)') + abi.addr(account) + abi.addr(S())), 0);
  if (allowed >= amount) return;
  step(`Approve ${fmtUnits(amount, m.decimals)} ${m.symbol} (exactly this payment)`);
  const h = await sendTx({ to: m.token, data: sel('approve(address,uint256)') + abi.addr(S()) + abi.uint(amount) }, 'the approval');
  status('Waiting for the approval to be mined…');
  await waitReceipt(h, 'Approval');
  stepDone();
}

// ---------- progress list ----------
function step(text) { const li = document.createElement('li'); li.textContent = text; $('progress').append(li); $('progress').hidden = false; return li; }
function stepDone(extra) { const li = $('progress').lastElementChild; if (li) { li.className = 'done'; if (extra) li.append(' ', extra); } }

// ---------- crypto ----------
async function hkdfKey(ikm) {
  const k = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: new Uint8Array(0) },
    k, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
}
// upstream.md §5.8a: E(65) || IV(12) || AES-256-GCM(ciphertext || tag)
async function eciesEncrypt(pubHex, plaintext) {
  const pub = secp256k1.Point.fromHex(pubHex.replace(/^0x/, '')).toBytes(false);
  const eph = secp256k1.utils.randomSecretKey();
  const E = secp256k1.getPublicKey(eph, false);
  const sharedX = secp256k1.getSharedSecret(eph, pub, true).slice(1);
  const key = await hkdfKey(sharedX);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, te.encode(plaintext)));
  const out = new Uint8Array(65 + 12 + ct.length);
  out.set(E, 0); out.set(iv, 65); out.set(ct, 77);
  eph.fill(0);
  return bytesToHex(out);
}
// upstream.md §5.8b: key = keccak256(65-byte signature); nonce(12) || ct || tag
async function symDecrypt(sigHex, dataHex) {
  const raw = hexToBytes(dataHex);
  if (raw.length < 12 + 16) throw new Error('too short');
  const k = keccak_256(hexToBytes(sigHex));
  const key = await crypto.subtle.importKey('raw', k, 'AES-GCM', false, ['decrypt']);
  k.fill(0);
  const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: raw.slice(0, 12) }, key, raw.slice(12));
  return JSON.parse(td.decode(pt));
}

function checkSig(s) {
  s = s.trim();
  if (!/^0x[0-9a-fA-F]{130}$/.test(s)) throw new UserError('A signature is 0x followed by 130 hex digits (65 bytes).');
  return s.toLowerCase();
}
async function signSecret() {
  if (sigCache) return sigCache;
  status('Sign the message in your wallet (one signature; it never leaves this page)…');
  const s = await req('personal_sign', [bytesToHex(te.encode(cfg.publicSecret)), account]);
  sigCache = checkSig(s);
  return sigCache;
}

// ---------- purchase ----------
async function buy() {
  clearError(); $('progress').replaceChildren(); $('result').hidden = true;
  const btn = $('buy'); btn.disabled = true;
  try {
    const { plan, days, m } = chosen();
    const p = plans.find((x) => x.id === plan);
    const amount = await price(plan, days, m);
    setState('buying');
    await pay(m, amount, `${p ? p.name : 'this plan'} for ${days} days`);
    step('Sign the host message (encrypts your access details)');
    const sig = await signSecret();
    stepDone();
    const payload = await eciesEncrypt(cfg.serverPublicKey, sig);
    const data = sel('buySubscription(uint256,uint256,uint256,bytes)') + abi.uint(plan) + abi.uint(days) + abi.uint(m.id) + abi.uint(128n) + abi.bytes(payload);
    status('Checking the purchase with the contract…');
    await call(S(), data, account);             // a dry run: a revert here is decoded before the wallet asks
    step('Send the purchase');
    const h = await sendTx({ to: S(), data }, 'the purchase');
    stepDone(txLink(h));
    step('Waiting for the purchase to be mined');
    status('Waiting for the purchase to be mined…');
    const rc = await waitReceipt(h, 'Purchase');
    const ev = rc.logs.find((l) => l.address.toLowerCase() === S() && l.topics[0] === TOPIC_CREATED);
    const subId = ev ? BigInt(ev.topics[1]) : null;
    stepDone(document.createTextNode(`subscription #${subId} in block ${BigInt(rc.blockNumber)}`));
    step('Waiting for the host to set up your server and mint your access NFT');
    status('The host is creating your server; this takes a minute or two…');
    const tok = await waitMint(BigInt(rc.blockNumber));
    stepDone(document.createTextNode(`#${tok}`));
    const details = await readDetails(tok, sig);
    const box = $('result'); box.replaceChildren(serverCard(tok, details)); box.hidden = false;
    status('Your server is ready.');
    setState('bought');
  } catch (e) { status(''); showError(explain(e, 'the purchase')); }
  finally { btn.disabled = false; }
}

const TOPIC_CREATED = '0x' + bytesToHexNo(keccak_256(te.encode('SubscriptionCreated(uint256,uint256,address,uint256,uint256,address,bytes)')));
const TOPIC_TRANSFER = '0x' + bytesToHexNo(keccak_256(te.encode('Transfer(address,address,uint256)')));
function bytesToHexNo(b) { return bytesToHex(b).slice(2); }

// The NFT's Transfer(0 -> account) from the purchase's block on, through the relay.
async function waitMint(fromBlock) {
  const topics = [TOPIC_TRANSFER, '0x' + '0'.repeat(64), '0x' + abi.addr(account)];
  const max = BigInt(cfg.relay && cfg.relay.maxLogBlocks || 1000);
  for (let i = 0; i < 900; i++) {
    const head = BigInt(await relay('eth_blockNumber'));
    let lo = fromBlock;
    while (lo <= head) {
      const hi = lo + max - 1n < head ? lo + max - 1n : head;
      const logs = await relay('eth_getLogs', [{ address: N(), fromBlock: '0x' + lo.toString(16), toBlock: '0x' + hi.toString(16), topics }]);
      if (logs.length) return BigInt(logs[0].topics[3]);
      lo = hi + 1n;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new UserError('No NFT minted for you after 15 minutes: the host may be failing; your payment is on chain, contact the operator.');
}

async function readDetails(tok, sig) {
  const enc = abi.decBytes(await call(N(), sel('getUserEncrypted(uint256)') + abi.uint(tok)), 0);
  if (enc === '0x') throw new UserError(`NFT #${tok} carries no connection details (the host could not encrypt them).`);
  try { return await symDecrypt(sig, enc); } catch { return null; }
}

function dl(pairs) {
  const d = document.createElement('dl');
  for (const [k, v] of pairs) { d.append(Object.assign(document.createElement('dt'), { textContent: k })); const dd = document.createElement('dd'); dd.append(v); d.append(dd); }
  return d;
}
function serverCard(tok, det) {
  const li = document.createElement('li'); li.className = 'server'; li.dataset.token = String(tok);
  const h = Object.assign(document.createElement('strong'), { textContent: `Server — NFT #${tok}` });
  if (!det) { li.append(h, Object.assign(document.createElement('p'), { textContent: 'These details do not decrypt with this signature (another host message, or another wallet).' })); return li; }
  const code = Object.assign(document.createElement('code'), { className: 'mono', textContent: `ssh -p ${det.port} ${det.username}@${det.hostname}` });
  li.append(h, dl([['Hostname', String(det.hostname)], ['Port', String(det.port)], ['Username', String(det.username)], ['Connect', code]]));
  return li;
}

// ---------- my servers ----------
async function ownedTokens(owner) {
  const n = abi.decUint(await call(N(), sel('balanceOf(address)') + abi.addr(owner)), 0);
  const ids = [];
  for (let i = 0n; i < n; i++) ids.push(abi.decUint(await call(N(), sel('tokenOfOwnerByIndex(address,uint256)') + abi.addr(owner) + abi.uint(i)), 0));
  return ids;
}

async function showServers(owner, sig, list) {
  const ids = await ownedTokens(owner);
  list.replaceChildren();
  if (!ids.length) list.append(Object.assign(document.createElement('li'), { textContent: 'This wallet owns no access NFT of this host.' }));
  for (const id of ids) list.append(serverCard(id, await readDetails(id, sig).catch(() => null)));
}

async function loadServers() {
  clearError();
  try {
    if (!account) throw new UserError('Connect your wallet first.');
    const sig = await signSecret();
    status('Reading your NFTs and subscriptions…');
    await showServers(account, sig, $('servers'));
    await showSubs();
    status('');
    setState('servers');
  } catch (e) { status(''); showError(explain(e, 'reading your servers')); }
}

async function showSubs() {
  const ids = abi.decUintArray(await call(S(), sel('getSubscriptionsBySubscriber(address)') + abi.addr(account)));
  const list = $('subs'); list.replaceChildren();
  for (const id of ids) {
    const w = words(await call(S(), sel('getSubscription(uint256)') + abi.uint(id)));
    const exp = Number(BigInt(w[2])), active = !!BigInt(w[3]), cancelled = !!BigInt(w[4]);
    const li = document.createElement('li'); li.className = 'sub'; li.dataset.sub = String(id);
    const badge = Object.assign(document.createElement('span'), { className: 'badge ' + (active ? 'active' : 'expired'), textContent: cancelled ? 'cancelled' : active ? 'active' : 'expired' });
    const expiry = Object.assign(document.createElement('time'), { className: 'expiry', dateTime: new Date(exp * 1000).toISOString(), textContent: new Date(exp * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') });
    expiry.dataset.unix = String(exp);
    li.append(Object.assign(document.createElement('strong'), { textContent: `Subscription #${id} ` }), badge,
      dl([['Plan', `#${BigInt(w[0])}`], ['Expires', expiry]]));
    if (!cancelled) {
      const lab = Object.assign(document.createElement('label'), { htmlFor: `renew-days-${id}`, textContent: 'Renew for days' });
      const inp = Object.assign(document.createElement('input'), { id: `renew-days-${id}`, type: 'number', min: '1', max: '3650', value: '30' });
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'renew', textContent: `Renew #${id}` });
      b.addEventListener('click', () => renew(id, inp, b));
      li.append(lab, inp, b);
    }
    list.append(li);
  }
}

async function renew(subId, inp, btn) {
  clearError(); btn.disabled = true;
  try {
    const days = BigInt(Number(inp.value) | 0);
    if (days < 1n || days > 3650n) throw new UserError('Days must be a whole number from 1 to 3650.');
    const m = methods[0];
    if (!m) throw new UserError('This host offers no active payment method.');
    const planId = BigInt(words(await call(S(), sel('getSubscription(uint256)') + abi.uint(subId)))[0]);
    const amount = await price(planId, days, m);
    $('progress').replaceChildren();
    await pay(m, amount, `renewing #${subId} for ${days} days`);
    const data = sel('extendSubscription(uint256,uint256,uint256)') + abi.uint(subId) + abi.uint(days) + abi.uint(m.id);
    await call(S(), data, account);
    const h = await sendTx({ to: S(), data }, 'the renewal');
    status('Waiting for the renewal to be mined…');
    await waitReceipt(h, 'Renewal');
    await showSubs();
    status(`Subscription #${subId} renewed for ${days} days.`);
    setState('renewed');
  } catch (e) { status(''); showError(explain(e, 'the renewal')); }
  finally { btn.disabled = false; }
}

// ---------- offline ----------
async function offline() {
  clearError();
  try {
    const a = $('offline-address').value.trim().toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(a)) throw new UserError('A wallet address is 0x followed by 40 hex digits.');
    const sig = checkSig($('offline-sig').value);
    status('Reading the NFTs of ' + a + '…');
    await showServers(a, sig, $('offline-servers'));
    status('');
    setState('offline');
  } catch (e) { status(''); showError(explain(e, 'decrypting')); }
}

// ---------- admin knock (upstream.md §6.3) ----------
async function knock() {
  clearError();
  try {
    const command = $('knock-command').value;
    if (!command) throw new UserError('Enter the knock command name set for this host.');
    const ports = $('knock-ports').value.split(/[\s,]+/).filter(Boolean).map(Number);
    if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new UserError('Ports are whole numbers from 1 to 65535, separated by commas.');
    const duration = Number($('knock-duration').value);
    if (!Number.isInteger(duration) || duration < 1 || duration > 3600) throw new UserError('Seconds must be from 1 to 3600.');
    const msg = JSON.stringify({ command, params: { ports, duration }, nonce: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000) });
    const data = await eciesEncrypt(cfg.serverPublicKey, msg);
    const h = await sendTx({ to: account, value: '0x0', data }, 'the knock');
    status('Waiting for the knock to be mined…');
    await waitReceipt(h, 'Knock');
    const p = $('knock-result'); p.replaceChildren('Knock sent in ', txLink(h), '.');
    status('');
    setState('knocked');
  } catch (e) { status(''); showError(explain(e, 'the knock')); }
}

// ---------- start ----------
async function start() {
  try {
    const r = await fetch('/config.json', { cache: 'no-cache' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    cfg = await r.json();
  } catch (e) { showError('Could not read this host\'s configuration (/config.json): ' + e.message); return; }
  cfg.contracts.subscriptions = cfg.contracts.subscriptions.toLowerCase();
  cfg.contracts.nft = cfg.contracts.nft.toLowerCase();
  if (cfg.adminWallet) cfg.adminWallet = cfg.adminWallet.toLowerCase();
  $('chain').textContent = `${cfg.chainName || 'Chain'} (chain id ${cfg.chainId}) · subscriptions ${cfg.contracts.subscriptions}`;
  $('secret-text').textContent = cfg.publicSecret;
  $('connect').addEventListener('click', connect);
  $('buy').addEventListener('click', buy);
  $('days').addEventListener('input', updateTotal);
  $('method').addEventListener('change', updateTotal);
  $('load-servers').addEventListener('click', loadServers);
  $('offline-go').addEventListener('click', offline);
  $('knock').addEventListener('click', knock);
  if (window.ethereum && window.ethereum.on)
    window.ethereum.on('accountsChanged', () => { account = null; sigCache = null; setState('ready'); status('Your wallet changed account: connect again.'); });
  setState('ready');
}
start();
