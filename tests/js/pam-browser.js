// SPDX-License-Identifier: MIT
// Drive the real signing page (served by web3-auth-svc) in Debian's headless Chromium with
// a small injected EIP-1193 test wallet.  The wallet object is injected with addInitScript;
// its keys never enter the page: personal_sign is forwarded to this Node process, which
// signs with @noble/curves (an implementation independent of ours and of ethers).
//   node tests/js/pam-browser.js <signing-url> <privkey-hex | --key-file FILE>
// (--key-file: a file holding the 0x... key, as bhcrypt generate-keypair writes it; the
// demo's buyer key stays off the command line)
// Exit 0 once the page reports the signature was accepted (state "posted", "Press Enter ...").
'use strict';
const path = require('path');
const os = require('os');
const fs = require('fs');
const nm = path.join(__dirname, 'node_modules');
const { chromium } = require(path.join(nm, 'playwright-core'));

async function main() {
  const [url, a1, a2] = process.argv.slice(2);
  const keyHex = a1 === '--key-file' ? fs.readFileSync(a2, 'utf8').trim() : a1;
  const { secp256k1 } = await import(path.join(nm, '@noble/curves/secp256k1.js'));
  const { keccak_256 } = await import(path.join(nm, '@noble/hashes/sha3.js'));
  const priv = Uint8Array.from(Buffer.from(keyHex.replace(/^0x/, ''), 'hex'));
  const pub = secp256k1.getPublicKey(priv, false);
  const address = '0x' + Buffer.from(keccak_256(pub.slice(1)).slice(-20)).toString('hex');

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pw3-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,   // the service's certificate is self-signed
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const log = [];
  try {
    const page = browser.pages()[0] || await browser.newPage();
    page.on('console', (m) => log.push('console: ' + m.text()));
    page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
    let requested = [];
    await page.exposeFunction('__pw3PersonalSign', (dataHex, from) => {
      requested.push(from);
      if (from.toLowerCase() !== address) throw new Error('unknown account ' + from);
      const msg = Buffer.from(dataHex.replace(/^0x/, ''), 'hex');
      const prefix = Buffer.from('\x19Ethereum Signed Message:\n' + msg.length, 'utf8');
      const digest = keccak_256(Buffer.concat([prefix, msg]));
      const rs = secp256k1.sign(digest, priv, { prehash: false, format: 'recovered' });
      const v = 27 + rs[0];
      return '0x' + Buffer.from(rs.slice(1)).toString('hex') + v.toString(16);
    });
    await page.addInitScript(({ addr }) => {
      window.ethereum = {
        isTestWallet: true,
        request: async ({ method, params }) => {
          if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [addr];
          if (method === 'personal_sign') return window.__pw3PersonalSign(params[0], params[1]);
          throw Object.assign(new Error('unsupported method ' + method), { code: 4200 });
        },
      };
    }, { addr: address });
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(() => document.getElementById('code').value.length > 0, null, { timeout: 15000 });
    await page.click('#sign');
    await page.waitForFunction(() => !['ready', 'signing', 'sending'].includes(document.body.dataset.state),
      null, { timeout: 15000 });
    const done = await page.evaluate(() => document.body.dataset.state);
    const status = (await page.innerText('#status')).replace(/\s+/g, ' ').trim();
    if (done !== 'posted' || !/Press Enter/.test(status)) {
      throw new Error('page did not post the signature: ' + done + ' / ' + status);
    }
    if (requested.length !== 1) throw new Error('personal_sign called ' + requested.length + ' times');
    process.stderr.write('pam-browser: ' + status + '\n');
  } catch (e) {
    process.stderr.write('pam-browser: ' + e.message + '\n' + log.join('\n') + '\n');
    process.exitCode = 1;
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(1); });
