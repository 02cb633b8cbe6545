#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Signup page weight and time to interactive in headless Chromium: this project's built page
// ($(BUILD)/share/blockhost/signup, bundled noble + hand-written ABI) vs upstream's approach
// (its page loads ethers from a CDN; the stand-in peer is ethers' full UMD bundle from npm,
// served locally from the same loopback server).  Time to interactive: navigation start to
// the page's handlers being installed (ours: body[data-state=ready] after /config.json;
// peer: window.ethers defined and DOMContentLoaded), median of RUNS cold loads (new context).
//   node bench/bench_signup_page.js WWW_DIR [RUNS]
'use strict';
const path = require('path'), fs = require('fs'), http = require('http'), zlib = require('zlib');
const nm = path.join(__dirname, '..', 'tests', 'js', 'node_modules');
const { chromium } = require(path.join(nm, 'playwright-core'));
const [www, runsArg] = process.argv.slice(2);
const RUNS = Number(runsArg || 7);
const ethersUmd = fs.readFileSync(path.join(nm, 'ethers', 'dist', 'ethers.umd.min.js'));
const peerHtml = '<!doctype html><html><head><meta charset="utf-8"><script src="/peer/ethers.umd.min.js"></script>' +
  '<script src="/peer/app.js"></script></head><body>peer</body></html>';
const peerApp = 'document.addEventListener("DOMContentLoaded",()=>{if(window.ethers)document.body.dataset.state="ready"});';
const cfg = JSON.stringify({ chainId: 31337, chainName: 'Anvil', contracts: { subscriptions: '0x' + '1'.repeat(40), nft: '0x' + '2'.repeat(40) },
  paymentTokens: [], explorerUrl: null, publicSecret: 'blockhost-access', serverPublicKey: null, adminWallet: null, rpcPath: '/rpc', relay: {} });
const ours = { '/': fs.readFileSync(path.join(www, 'index.html')) };
for (const f of fs.readdirSync(path.join(www, 'assets'))) ours['/assets/' + f] = fs.readFileSync(path.join(www, 'assets', f));
const files = { ...ours, '/config.json': Buffer.from(cfg), '/peer/': Buffer.from(peerHtml), '/peer/ethers.umd.min.js': ethersUmd, '/peer/app.js': Buffer.from(peerApp) };
const type = (p) => (p.endsWith('.js') ? 'text/javascript' : p.endsWith('.css') ? 'text/css' : p.endsWith('.json') ? 'application/json' : 'text/html');
const srv = http.createServer((q, r) => {
  const b = files[q.url];
  if (!b) { r.writeHead(404); r.end(); return; }
  r.writeHead(200, { 'content-type': type(q.url), 'cache-control': 'no-store' }); r.end(b);
});
const jsOf = (set) => Object.entries(set).filter(([k]) => k.endsWith('.js') && !k.endsWith('/signup.css'));
function weight(name, entries, total) {
  const raw = entries.reduce((a, [, b]) => a + b.length, 0), gz = entries.reduce((a, [, b]) => a + zlib.gzipSync(b, { level: 9 }).length, 0);
  return { name, jsRaw: raw, jsGzip: gz, total };
}
(async () => {
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  const tti = async (url) => {
    const t = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext(); const page = await ctx.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(() => document.body && document.body.dataset.state === 'ready', null, { timeout: 30000 });
      t.push(await page.evaluate(() => performance.now()));
      await ctx.close();
    }
    t.sort((a, b) => a - b); return t[t.length >> 1];
  };
  const oursT = await tti(base + '/'), peerT = await tti(base + '/peer/');
  await browser.close(); srv.close();
  const ourHashed = Object.entries(ours).filter(([k]) => k !== '/assets/signup.css');
  const a = weight('blockhost page', jsOf(Object.fromEntries(ourHashed)), ourHashed.reduce((s, [, b]) => s + b.length, 0) + cfg.length);
  const peerSet = { '/peer/ethers.umd.min.js': ethersUmd, '/peer/app.js': Buffer.from(peerApp) };
  const b = weight('upstream approach (ethers 6 UMD full)', Object.entries(peerSet), ethersUmd.length + peerApp.length + peerHtml.length);
  console.log('signup page weight and time to interactive, headless Chromium, loopback HTTP, median of ' + RUNS + ' cold loads');
  console.log('(peer: upstream loads ethers from a CDN; stand-in: ethers.umd.min.js from npm served locally; its page code not counted)');
  for (const [w, t] of [[a, oursT], [b, peerT]])
    console.log(`  ${w.name.padEnd(40)} JS ${String(w.jsRaw).padStart(7)} B raw, ${String(w.jsGzip).padStart(6)} B gzip; total ${String(w.total).padStart(7)} B; TTI ${t.toFixed(1)} ms`);
  console.log(`  ratio (upstream / ours): JS gzip ${(b.jsGzip / a.jsGzip).toFixed(2)}x, JS raw ${(b.jsRaw / a.jsRaw).toFixed(2)}x, TTI ${(peerT / oursT).toFixed(2)}x`);
  console.log(`  target <= 150 KiB gzipped JS: ${a.jsGzip <= 150 * 1024 ? 'met' : 'NOT met'} (${(a.jsGzip / 1024).toFixed(1)} KiB)`);
})().catch((e) => { console.error('bench_signup_page.js:', e.message); process.exit(1); });
