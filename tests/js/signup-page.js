// SPDX-License-Identifier: MIT
// Drive the real signup page (served by blockhost-signup) in Debian's headless Chromium with
// an injected EIP-1193 test wallet.  The wallet's key stays in this Node process (ethers
// Wallet on an anvil key): personal_sign and eth_sendTransaction are forwarded here; reads
// (eth_chainId) answer the chain the wallet is "on" (switchable, to test the wrong chain).
//   node signup-page.js STEP URL RPC PRIVKEY SHOTDIR [args]
// Steps: buy (expects the decrypted details), buy2, renew, refuse-sign, refuse-tx,
// wrong-chain, poor, inactive OWNER SUBS, start (screenshots of the first screens), servers. Prints one JSON line of what the page showed.
'use strict';
const path = require('path'), os = require('os'), fs = require('fs');
const nm = path.join(__dirname, 'node_modules');
const { chromium } = require(path.join(nm, 'playwright-core'));
const { ethers } = require(path.join(nm, 'ethers'));

const [step, url, rpc, key, shots, ...rest] = process.argv.slice(2);
const provider = new ethers.JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
const w = new ethers.Wallet(key, provider);
// knock: the page is driven by the admin (the host wallet, sent through anvil's impersonation)
const addr = step === 'knock' ? ethers.getAddress(rest[0]) : w.address;

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'su-chromium-'));
  const phone = process.env.PHONE === '1';
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, ignoreHTTPSErrors: true,
    viewport: phone ? { width: 390, height: 844 } : { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const log = [];
  const mode = { refuseSign: step === 'refuse-sign', refuseTx: step === 'refuse-tx', refuseSwitch: step === 'wrong-chain', chain: step === 'wrong-chain' ? 1 : 31337 };
  let signs = 0;
  try {
    const page = browser.pages()[0] || await browser.newPage();
    page.on('console', (m) => log.push('console: ' + m.text()));
    page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
    await page.exposeFunction('__suWallet', async (method, params) => {
      if (method === 'personal_sign') {
        if (mode.refuseSign) return { error: { code: 4001, message: 'User rejected the request.' } };
        signs++;
        return { result: await w.signMessage(ethers.getBytes(params[0])) };
      }
      if (method === 'eth_sendTransaction') {
        if (mode.refuseTx) return { error: { code: 4001, message: 'User rejected the request.' } };
        const t = params[0];
        if (step === 'knock') {
          await provider.send('anvil_impersonateAccount', [addr]);
          const o = await provider.getSigner(addr);
          return { result: (await o.sendTransaction({ to: t.to, data: t.data, value: 0 })).hash };
        }
        const tx = await w.sendTransaction({ to: t.to, data: t.data, value: t.value || 0 });
        return { result: tx.hash };
      }
      if (method === 'eth_chainId') return { result: '0x' + mode.chain.toString(16) };
      if (method === 'wallet_switchEthereumChain') {
        if (mode.refuseSwitch) return { error: { code: 4001, message: 'User rejected the request.' } };
        mode.chain = Number(BigInt(params[0].chainId)); return { result: null };
      }
      return { error: { code: 4200, message: 'unsupported ' + method } };
    });
    await page.addInitScript(({ addr }) => {
      window.ethereum = {
        isTestWallet: true,
        on() {},
        request: async ({ method, params }) => {
          if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [addr];
          const r = await window.__suWallet(method, params || []);
          if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
          return r.result;
        },
      };
    }, { addr });
    const shot = async (name) => { if (shots) await page.screenshot({ path: path.join(shots, `signup-${name}${phone ? '-phone' : ''}.png`), fullPage: true }); };
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 15000 });
    await shot('start');
    // keyboard only: Tab to the connect button, Enter
    await page.focus('#connect'); await page.keyboard.press('Enter');
    await page.waitForFunction(() => ['connected', 'error'].includes(document.body.dataset.state), null, { timeout: 20000 });
    const err = async () => (await page.textContent('#error')).trim();
    const out = { step };
    if (step === 'knock') {
      await page.waitForSelector('#admin-screen:not([hidden])', { timeout: 10000 });
      await page.fill('#knock-command', rest[1]); await page.fill('#knock-ports', '22, 2222');
      await page.focus('#knock'); await page.keyboard.press('Enter');
      await page.waitForFunction(() => ['knocked', 'error'].includes(document.body.dataset.state), null, { timeout: 30000 });
      out.error = await err();
      out.result = (await page.textContent('#knock-result')).trim();
      out.hash = await page.$eval('#knock-result a', (a) => a.textContent).catch(() => '');
      await shot('knock');
      return out;
    }
    if (step === 'wrong-chain') { out.error = await err(); await shot('wrong-chain'); return out; }
    await page.waitForFunction(() => /Total:/.test(document.getElementById('total').textContent), null, { timeout: 20000 });
    out.total = (await page.textContent('#total')).trim();
    out.plans = await page.$$eval('#plans label', (ls) => ls.map((l) => l.textContent));
    if (step === 'inactive') {   // the host switches plan 1 off after the page listed it
      await provider.send('anvil_impersonateAccount', [rest[0]]);
      const o = await provider.getSigner(rest[0]);
      const s = new ethers.Contract(rest[1], ['function updatePlan(uint256,string,uint256,bool)', 'function getPlan(uint256) view returns (string,uint256,bool)'], o);
      const [name, cents] = await s.getPlan(1n);
      await (await s.updatePlan(1n, name, cents, false)).wait();
    }
    await shot('plans');
    if (step === 'start') return out;   // the first two screens only
    if (step === 'renew') {
      await page.click('#load-servers');
      await page.waitForFunction(() => document.querySelectorAll('#subs li.sub').length > 0, null, { timeout: 20000 });
      out.before = await page.$eval('#subs li.sub time.expiry', (t) => Number(t.dataset.unix));
      await page.focus('#subs li.sub button.renew'); await page.keyboard.press('Enter');
      await page.waitForFunction(() => ['renewed', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
      out.error = await err();
      out.after = await page.$eval('#subs li.sub time.expiry', (t) => Number(t.dataset.unix));
      await shot('renewed');
      return out;
    }
    if (step === 'servers') {
      await page.click('#load-servers');
      await page.waitForFunction(() => ['servers', 'error'].includes(document.body.dataset.state), null, { timeout: 30000 });
      out.error = await err();
      out.servers = await page.$$eval('#servers li.server', (ls) => ls.map((l) => l.textContent));
      out.signs = signs;
      out.scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      await shot('servers');
      return out;
    }
    // buy (also the refusals: each ends in the error box)
    await page.focus('#buy'); await page.keyboard.press('Enter');
    await page.waitForFunction(() => ['bought', 'error'].includes(document.body.dataset.state), null, { timeout: 240000 });
    out.error = await err();
    out.progress = await page.$$eval('#progress li', (ls) => ls.map((l) => l.textContent));
    out.result = (await page.textContent('#result')).trim();
    await shot(step === 'buy' ? 'bought' : step);
    return out;
  } finally {
    if (process.env.DEBUG) console.error(log.join('\n'));
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
main().then((o) => { console.log(JSON.stringify(o)); process.exit(0); }, (e) => { console.error('signup-page.js:', e.message); process.exit(1); });
