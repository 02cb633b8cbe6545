// SPDX-License-Identifier: MIT
// Every state of the signing page, driven in Debian's headless Chromium against a real
// web3-auth-svc (issue 18): sessions are written into the service's pending dir as pam_web3
// writes them, an injected EIP-1193 test wallet (keys stay in this Node process; @noble
// signs) behaves as each case needs, and the page must land in the expected state with the
// expected words — "Press Enter" only after a 200 for a live session.  At 1280x800 and
// 390x844 the page must not scroll sideways and the status must be on the page; simple
// accessibility checks (every control named, the status a polite live region, focus order,
// text contrast >= 4.5).  With PW3_SHOTS=<dir> it saves <state>-{desktop,phone}.png there
// (docs/screenshots/ holds the checked-in set).  Otherwise every screenshot is compared
// with the checked-in one (PW3_SHOTS_REF=<dir>, default docs/screenshots; "none" skips):
// tests/js/pam-png.js decodes both, the per-run values (code, nonce, expiry, fingerprint,
// signature: their boxes on the fresh page) are left out, and a screenshot fails when its
// size differs or more than SHOT_LIMIT pixels differ by more than SHOT_TOLERANCE in a
// channel (measured: 0 for every state but "expired", whose text names the session's clock
// time: ~300; two different states of equal size: 7500 and more; one changed word: a few
// hundred).  The comparison checks itself by telling two similar states apart.  A failing screenshot is kept in a
// temporary directory named in the message.  Regenerate the set when a change is intended:
//   PW3_SHOTS=docs/screenshots tests/run-integration.sh tests/integration/test_pam_browser.sh
//   node tests/js/pam-page-states.js <base-url> <pending-dir> <privkey> <other-privkey>
'use strict';
const path = require('path');
const os = require('os');
const fs = require('fs');
const crypto = require('crypto');
const nm = path.join(__dirname, 'node_modules');
const { chromium } = require(path.join(nm, 'playwright-core'));

const MACHINE = process.env.PW3_MACHINE || 'blockhost-042';
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const png = require('./pam-png.js');
const SHOT_TOLERANCE = 48;   // per channel, 0..255: the 64-colour palette of the checked-in files
// differing pixels allowed outside the per-run values; "expired" texts show a clock time
const shotLimit = (c) => (c.state === 'expired' ? 600 : 120);
// the page's per-run values, left out of the comparison
const SHOT_IGNORE = ['#message', '#code', '#expires', '#tls-fp', '#signature'];

async function main() {
  const [base, pending, keyHex, otherHex] = process.argv.slice(2);
  const { secp256k1 } = await import(path.join(nm, '@noble/curves/secp256k1.js'));
  const { keccak_256 } = await import(path.join(nm, '@noble/hashes/sha3.js'));
  const keyOf = (h) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
  const addrOf = (priv) => '0x' + Buffer.from(keccak_256(secp256k1.getPublicKey(priv, false).slice(1))
    .slice(-20)).toString('hex');
  const priv = keyOf(keyHex), other = keyOf(otherHex);
  const WALLET = addrOf(priv), OTHER = addrOf(other);
  const gid = fs.statSync(pending).gid;
  const shots = process.env.PW3_SHOTS || '';
  const refDir = shots ? '' : process.env.PW3_SHOTS_REF === 'none' ? ''
    : process.env.PW3_SHOTS_REF || path.join(__dirname, '..', '..', 'docs', 'screenshots');
  const shotStats = [], shotFresh = {};
  let shotKeep = '';

  function personalSign(msg, key) {
    const prefix = Buffer.from('\x19Ethereum Signed Message:\n' + msg.length, 'utf8');
    const rs = secp256k1.sign(keccak_256(Buffer.concat([prefix, msg])), key,
      { prehash: false, format: 'recovered' });
    return '0x' + Buffer.from(rs.slice(1)).toString('hex') + (27 + rs[0]).toString(16);
  }
  const iso = (t) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  // a session file exactly as pam_web3 writes it (pending.c); returns { sid, message }
  function session(ttlSeconds, opts = {}) {
    const sid = crypto.randomBytes(16).toString('hex');
    const otp = String(100000 + crypto.randomInt(900000));
    const nonce = crypto.randomBytes(16).toString('hex');
    const expires = iso(Date.now() + ttlSeconds * 1000);
    const message = `Authenticate to ${MACHINE} with code: ${otp} nonce: ${nonce} expires: ${expires}`;
    const body = `{"otp":"${otp}","machine_id":"${MACHINE}","session_id":"${sid}","nonce":"${nonce}",` +
      `"expires":"${expires}","wallet":"${WALLET}","message":"${message}"}`;
    const f = path.join(pending, sid + '.json');
    fs.writeFileSync(f + '.tmp', body, { mode: 0o640 });
    fs.chownSync(f + '.tmp', 0, gid);
    fs.renameSync(f + '.tmp', f);
    if (opts.sig) {
      fs.writeFileSync(path.join(pending, sid + '.sig'), '0x' + '11'.repeat(65), { mode: 0o640 });
      fs.chownSync(path.join(pending, sid + '.sig'), 0, gid);
    }
    return { sid, message, file: f };
  }
  const pasteMessage = () => `Authenticate to ${MACHINE} with code: 123456 nonce: ` +
    `${crypto.randomBytes(16).toString('hex')} expires: ${iso(Date.now() + 600000)}`;

  // each case: name (= expected data-state), how to open it, wallet behaviour, expected words
  const cases = [
    { shot: 'ready', state: 'ready', s: () => session(120), wallet: 'good', click: false,
      want: ['Ready to sign', 'machine and code match'], a11y: ['message', 'sign'] },
    { shot: 'posted', state: 'posted', post: 200, s: () => session(120), wallet: 'good',
      want: ['Signature accepted', WALLET, 'Press Enter in your terminal'], signed: true, stored: true },
    { shot: 'wrong-wallet', state: 'wrong-wallet', s: () => session(120), wallet: 'other',
      want: ['Wrong wallet account', OTHER, WALLET, 'Switch your wallet to account ' + WALLET] },
    { shot: 'refused', state: 'refused', s: () => session(120), wallet: 'refuse',
      want: ['You declined', 'Nothing was signed or sent', 'paste the 0x... signature'] },
    { shot: 'no-wallet', state: 'no-wallet', s: () => session(120), wallet: null,
      want: ['No wallet found', 'Install a wallet extension', 'MetaMask', 'sign the Message: line',
             'paste the 0x... signature at the SSH prompt'] },
    { shot: 'rejected-403', state: 'rejected', post: 403, s: () => session(120), wallet: 'tamper',
      want: ['The VM rejected the signature', WALLET, 'Nothing was stored'], signed: true },
    { shot: 'malformed-400', state: 'malformed', post: 400, s: () => session(120), wallet: 'garbage',
      want: ['not a signature', 'invalid signature format', 'Nothing was stored'], signed: true },
    { shot: 'already-409', state: 'already', post: 409, s: () => session(120, { sig: true }), wallet: 'good',
      want: ['already sent', 'keeps the first one', 'run ssh again'], signed: true },
    { shot: 'gone-on-load', state: 'gone', s: () => ({ sid: crypto.randomBytes(16).toString('hex') }),
      wallet: 'good', click: false, want: ['This sign-in has ended', 'Run ssh again', 'new Sign at:'] },
    { shot: 'gone-after-signing', state: 'gone', s: () => session(120), wallet: 'delete',
      want: ['This sign-in has ended', 'Nothing was stored', 'Run ssh again'], signed: true },
    { shot: 'expired-on-load', state: 'expired', s: () => session(-5), wallet: 'good', click: false,
      want: ['has expired', 'valid until', 'Run ssh again'] },
    // the device's clock an hour slow and the VM's Date header hidden: only the service's
    // 410 knows the session is over
    { shot: 'expired-410', state: 'expired', post: 410, s: () => session(-2), wallet: 'good', clock: -3600, noDate: true,
      want: ['has expired', 'Nothing was stored', 'Run ssh again'], signed: true, stored: false },
    // the device's clock an hour fast: the VM's Date header corrects it, the live session works
    { shot: 'skewed-clock', state: 'posted', post: 200, s: () => session(120), wallet: 'good', clock: 3600,
      want: ['Signature accepted', 'Press Enter in your terminal'], signed: true, stored: true, noShot: true },
    { shot: 'network-error', state: 'network', s: () => session(120), wallet: 'good', abortPost: true,
      want: ['Could not deliver', WALLET, 'Copy the signature below', 'paste it at the SSH prompt'],
      signed: true, manual: true },
    { shot: 'load-failed', state: 'load-failed', s: () => session(120), wallet: 'good', failGet: true,
      click: false, want: ['Could not read this sign-in', 'HTTP 500', 'Reload the page'] },
    { shot: 'sign-failed', state: 'sign-failed', s: () => session(120), wallet: 'fail',
      want: ['could not sign', 'internal wallet error', 'Try again'] },
    { shot: 'paste', state: 'paste', s: null, wallet: 'good', click: false,
      want: ['Paste mode', 'without a session', 'paste the signature the page shows'] },
    { shot: 'paste-signed', state: 'copy', s: null, wallet: 'good', fill: pasteMessage,
      want: ['Signed: now paste', WALLET, 'did not send it', 'cannot tell whether the VM accepts it',
             'paste it at the SSH prompt'],
      signed: true, manual: true, a11y: ['message', 'sign', 'signature', 'copy'] },
    { shot: 'paste-bad-message', state: 'bad-message', s: null, wallet: 'good',
      fill: () => 'Authenticate to me with code: 1', want: ['not a Message: line', 'Authenticate to'] },
    { shot: 'bad-link', state: 'bad-link', s: null, sidParam: 'not-a-session', wallet: 'good', click: false,
      want: ['link is damaged', 'Open the Sign at: address', 'paste the Message:'] },
  ];

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw3-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,   // the service's certificate is self-signed
    viewport: SIZES.desktop,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const failures = [];
  const bad = (c, what) => failures.push(c.shot + ': ' + what);
  try {
    for (const c of cases) {
      const page = await browser.newPage();
      const log = [];
      page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
      const posts = [];   // what the real service answered the page's POSTs
      page.on('response', (r) => { if (r.request().method() === 'POST') posts.push(r.status()); });
      const sess = c.s ? c.s() : null;
      await page.exposeFunction('__pw3Sign', (dataHex) => {
        const msg = Buffer.from(dataHex.replace(/^0x/, ''), 'hex');
        switch (c.wallet) {
        case 'other': return personalSign(msg, other);
        case 'tamper': return personalSign(Buffer.concat([msg, Buffer.from(' ')]), priv);
        case 'garbage': return '0xdeadbeef';
        case 'delete': fs.rmSync(sess.file); return personalSign(msg, priv);
        default: return personalSign(msg, priv);
        }
      });
      if (c.wallet) {
        await page.addInitScript(({ addr, mode }) => {
          window.ethereum = {
            isTestWallet: true,
            request: async ({ method, params }) => {
              if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [addr];
              if (method !== 'personal_sign') throw Object.assign(new Error('unsupported'), { code: 4200 });
              if (mode === 'refuse') throw Object.assign(new Error('User rejected the request.'), { code: 4001 });
              if (mode === 'fail') throw Object.assign(new Error('internal wallet error'), { code: -32603 });
              return window.__pw3Sign(params[0], params[1]);
            },
          };
        }, { addr: c.wallet === 'other' ? OTHER : WALLET, mode: c.wallet });
      }
      if (c.clock) {
        await page.addInitScript((off) => {
          const real = Date.now.bind(Date);
          Date.now = () => real() + off * 1000;
        }, c.clock);
      }
      if (c.noDate) {
        await page.route(/\/auth\/(pending|tls-fingerprint)/, async (route) => {
          const resp = await route.fetch();
          const h = resp.headers();
          delete h.date;
          await route.fulfill({ response: resp, headers: h });
        });
      }
      if (c.abortPost) await page.route('**/auth/callback/**', (r) => r.abort('connectionrefused'));
      if (c.failGet) await page.route('**/auth/pending/**', (r) => r.fulfill({ status: 500, body: 'x' }));
      const q = sess ? '?session=' + sess.sid : c.sidParam ? '?session=' + c.sidParam : '';
      await page.goto(base + '/' + q, { waitUntil: 'domcontentloaded' });
      await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 10000 });
      if (c.fill) await page.fill('#message', c.fill());
      if (c.click !== false) {
        await page.click('#sign', { timeout: 3000 }).catch(() => bad(c, 'the sign button cannot be pressed'));
        await page.waitForFunction((w) => document.body.dataset.state === w ||
          !['signing', 'sending', 'ready', 'paste'].includes(document.body.dataset.state), c.state,
        { timeout: 10000 }).catch(() => {});
      }
      const got = await page.evaluate(() => ({
        state: document.body.dataset.state,
        text: document.getElementById('status').innerText.replace(/\s+/g, ' '),
        signer: document.getElementById('signer-line').hidden ? '' : document.getElementById('signer').textContent,
        manual: !document.getElementById('manual').hidden,
        sig: document.getElementById('signature').value,
        live: document.getElementById('status').getAttribute('aria-live'),
        role: document.getElementById('status').getAttribute('role'),
      }));
      if (got.state !== c.state) bad(c, `state ${got.state}, want ${c.state} (${got.text})`);
      if (posts.join(',') !== (c.post ? String(c.post) : '')) bad(c, `POST answers [${posts}], want [${c.post || ''}]`);
      for (const w of c.want) {
        if (!got.text.toLowerCase().includes(w.toLowerCase())) bad(c, `status lacks "${w}": ${got.text}`);
      }
      if (/press enter/i.test(got.text) !== (c.state === 'posted')) bad(c, `"Press Enter" where it must not be: ${got.text}`);
      if (/re-?type|old code/i.test(got.text)) bad(c, 'advises re-typing a code');
      if (!!c.signed !== (got.signer.toLowerCase() === WALLET)) bad(c, `signer line "${got.signer}"`);
      if (!!c.manual !== got.manual) bad(c, 'signature box ' + (got.manual ? 'shown' : 'hidden'));
      if (c.manual && !/^0x[0-9a-f]{130}$/.test(got.sig)) bad(c, 'signature box holds ' + got.sig);
      if (got.role !== 'status' || got.live !== 'polite') bad(c, 'status is not a polite live region');
      // the certificate fingerprint web3-auth-svc wrote for pam_web3's prompt, shown on the page
      const fpFile = path.join(pending, 'tls-fingerprint');
      if (!c.failGet && base.startsWith('https:')) {
        const fp = await page.evaluate(() => document.getElementById('tls').hidden ? '' : document.getElementById('tls-fp').textContent);
        if (!fs.existsSync(fpFile)) bad(c, 'web3-auth-svc wrote no tls-fingerprint');
        else if (fp !== fs.readFileSync(fpFile, 'utf8').trim()) bad(c, `certificate fingerprint shown as "${fp}"`);
      }
      if (sess && sess.file) {
        const stored = fs.existsSync(path.join(pending, sess.sid + '.sig'));
        if (!!(c.stored || c.state === 'already') !== stored) bad(c, 'the service ' + (stored ? 'stored' : 'did not store') + ' a signature');
      }
      await checkA11y(page, c, bad);
      for (const [name, size] of Object.entries(SIZES)) {
        await page.setViewportSize(size);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const lay = await page.evaluate(() => {
          const s = document.getElementById('status').getBoundingClientRect();
          const over = (t) => t.offsetParent !== null &&
            (t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1);
          return { sw: document.documentElement.scrollWidth, w: window.innerWidth,
                   left: s.left, right: s.right + window.scrollX,
                   msgHidden: over(document.getElementById('message')) || over(document.getElementById('signature')) };
        });
        if (lay.msgHidden) bad(c, `${name}: the message or signature does not fit its box`);
        if (lay.sw > lay.w) bad(c, `${name}: scrolls sideways (${lay.sw} > ${lay.w})`);
        if (lay.left < 0 || lay.right > lay.w) bad(c, `${name}: status box outside the page`);
        if (refDir && !c.noShot) {
          const ref = path.join(refDir, `${c.shot}-${name}.png`);
          const buf = await page.screenshot({ fullPage: true });
          const ignore = await page.evaluate((sels) => sels.map((s) => document.querySelector(s))
            .filter((el) => el && el.offsetParent !== null).map((el) => {
              const r = el.getBoundingClientRect();
              return { x: r.left + window.scrollX - 2, y: r.top + window.scrollY - 2, w: r.width + 4, h: r.height + 4 };
            }), SHOT_IGNORE);
          let res = null, why = '';
          if (!fs.existsSync(ref)) why = `no checked-in screenshot ${ref}`;
          else {
            try {
              const a = png.decode(buf), b = png.decode(fs.readFileSync(ref));
              res = png.compare(a, b, { ignore, tolerance: SHOT_TOLERANCE });
              shotStats.push([`${c.shot}-${name}`, res.diff]);
              shotFresh[`${c.shot}-${name}`] = { img: a, ignore };
              if (!res.size) why = `size ${a.width}x${a.height}, checked-in ${b.width}x${b.height}`;
              else if (res.diff > shotLimit(c)) why = `${res.diff} pixels differ (limit ${shotLimit(c)})`;
            } catch (e) { why = `cannot compare with ${ref}: ${e.message}`; }
          }
          if (why) {
            if (!shotKeep) shotKeep = fs.mkdtempSync(path.join(os.tmpdir(), 'pam-shots-'));
            const keep = path.join(shotKeep, `${c.shot}-${name}.png`);
            fs.writeFileSync(keep, buf);
            bad(c, `${name}: the screenshot does not match docs/screenshots: ${why} (this run's: ${keep})`);
          }
        }
        if (shots && !c.noShot) {
          const f = path.join(shots, `${c.shot}-${name}.png`);
          await page.screenshot({ path: f, fullPage: true });
          // small files: a 64-colour palette where pngquant is installed (text stays sharp)
          try {
            require('child_process').execFileSync('pngquant', ['--force', '--skip-if-larger',
              '--strip', '--speed', '1', '64', '--output', f, f], { stdio: 'ignore' });
          } catch (e) { /* keep the full-colour file */ }
        }
      }
      if (log.length) bad(c, log.join('; '));
      process.stderr.write(`pam-page-states: ${c.shot}: ${got.state}: ${got.text.slice(0, 90)}\n`);
      await page.close();
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  if (shotStats.length) {
    const worst = shotStats.reduce((m, s) => (s[1] > m[1] ? s : m));
    process.stderr.write(`pam-page-states: ${shotStats.length} screenshots compared with ${refDir}: ` +
      `largest difference ${worst[1]} pixels (${worst[0]}; limit 120, 600 for "expired"; tolerance ${SHOT_TOLERANCE})\n`);
    // the comparison itself: this run's "ended" page against the checked-in "expired" one
    // (same size, similar words) must count as different
    const f = shotFresh['gone-after-signing-phone'], r = path.join(refDir, 'expired-410-phone.png');
    if (f && fs.existsSync(r)) {
      const x = png.compare(f.img, png.decode(fs.readFileSync(r)), { ignore: f.ignore, tolerance: SHOT_TOLERANCE });
      if (x.size && x.diff <= 600) failures.push(`screenshot comparison: "gone-after-signing" and the checked-in "expired-410" differ by only ${x.diff} pixels`);
      else process.stderr.write(`pam-page-states: self-check: "gone-after-signing" vs the checked-in "expired-410": ${x.diff} pixels differ\n`);
    }
    if (process.env.PW3_SHOTS_VERBOSE) process.stderr.write(shotStats.map((s) => `  ${s[0]} ${s[1]}`).join('\n') + '\n');
  }
  if (failures.length) {
    process.stderr.write('pam-page-states: FAILED\n  ' + failures.join('\n  ') + '\n');
    process.exitCode = 1;
  } else {
    process.stderr.write(`pam-page-states: ${cases.length} states ok\n`);
  }
}

// every visible control has a name; tab order; WCAG contrast of the text that matters
async function checkA11y(page, c, bad) {
  const r = await page.evaluate(() => {
    const name = (el) => {
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
      const lb = el.getAttribute('aria-labelledby');
      if (lb) return lb.split(/\s+/).map((i) => (document.getElementById(i) || {}).textContent || '').join(' ').trim();
      if (el.id) {
        const l = document.querySelector(`label[for="${el.id}"]`);
        if (l) return l.textContent.trim();
      }
      return el.tagName === 'BUTTON' ? el.textContent.trim() : '';
    };
    const unnamed = [...document.querySelectorAll('button, input, textarea, select, output')]
      .filter((el) => el.offsetParent !== null && !name(el)).map((el) => el.id || el.tagName);
    const rgb = (s) => (s.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    const lum = (c) => {
      const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (el) => {
      const cs = getComputedStyle(el);
      let bgEl = el, bg = cs.backgroundColor;
      while (bgEl && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
        bgEl = bgEl.parentElement;
        bg = bgEl ? getComputedStyle(bgEl).backgroundColor : 'rgb(255, 255, 255)';
      }
      const a = lum(rgb(cs.color)), b = lum(rgb(bg));
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    };
    const low = ['status-title', 'status-text', 'status-next', 'sign', 'message']
      .map((id) => document.getElementById(id))
      .filter((el) => el.offsetParent !== null && el.textContent + (el.value || '') !== '')
      .map((el) => [el.id, ratio(el)]).filter(([, v]) => v < 4.5);
    return { unnamed, low };
  });
  if (r.unnamed.length) bad(c, 'controls without a name: ' + r.unnamed.join(', '));
  if (r.low.length) bad(c, 'contrast below 4.5: ' + JSON.stringify(r.low));
  if (c.a11y) {
    await page.click('h1');   // the sequential focus starting point: the top of the page
    const order = [];
    for (let i = 0; i < c.a11y.length + 1; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement ? document.activeElement.id || document.activeElement.tagName : ''));
    }
    const want = c.a11y.join(',');
    if (order.slice(0, c.a11y.length).join(',') !== want) bad(c, `focus order ${order.join(',')}, want ${want}`);
  }
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
