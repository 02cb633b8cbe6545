// SPDX-License-Identifier: MIT
// Signing page engine for pam_web3 (EVM).  Flow (upstream.md §5.6, with our message):
// read ?session=, fill the message, code and machine from /auth/pending/<sid>, connect
// window.ethereum, personal_sign the message
//   "Authenticate to <machine> with code: <code> nonce: <32 hex> expires: <ISO 8601 UTC>"
// (the "Message:" line of the SSH prompt; docs/pam_web3.md), POST the signature to
// /auth/callback/<sid>; on success tell the user to press Enter, otherwise show the
// signature for copy-paste.  Without a session the user pastes the Message: line.
// No third-party code; nothing leaves this origin.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SID_RE = /^[0-9a-f]{32}$/;
  // the same strict shape the module and web3-auth-svc use (pw3_message_parse)
  const MSG_RE = /^Authenticate to ([A-Za-z0-9._-]{1,64}) with code: ([0-9]{4,19}) nonce: ([0-9a-f]{32}) expires: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;
  const ADDR_RE = /^0x[0-9a-f]{40}$/;
  const params = new URLSearchParams(window.location.search);
  const sidParam = params.get('session');
  const sid = sidParam && SID_RE.test(sidParam) ? sidParam : null;
  let wallet = null;

  function status(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = cls || '';
  }

  // fill code, machine and expiry from the message (empty if it is not one)
  function refresh() {
    const m = MSG_RE.exec($('message').value.trim());
    $('code').value = m ? m[2] : '';
    $('machine').value = m ? m[1] : '';
    $('expires').value = m ? m[4].replace('T', ' ').replace('Z', ' UTC') : '';
    return m;
  }

  function toHex(str) {
    const bytes = new TextEncoder().encode(str);
    let h = '0x';
    for (const b of bytes) h += b.toString(16).padStart(2, '0');
    return h;
  }

  function showManual(sig, why) {
    $('signature').value = sig;
    $('manual').style.display = 'block';
    status(why + ' Copy the signature below and paste it at the SSH prompt.', 'err');
  }

  async function loadSession() {
    if (!sid) {
      if (sidParam) status('Ignoring a malformed session id; paste the Message: line from your terminal.', 'err');
      else status('Paste the Message: line from your terminal, then sign.');
      return;
    }
    try {
      const r = await fetch('/auth/pending/' + sid, { cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const j = await r.json();
      const m = typeof j.message === 'string' ? MSG_RE.exec(j.message) : null;
      if (!m || j.otp !== m[2] || j.machine_id !== m[1] || j.nonce !== m[3] ||
          j.expires !== m[4] || typeof j.wallet !== 'string' || !ADDR_RE.test(j.wallet)) {
        throw new Error('malformed session');
      }
      $('message').value = j.message;
      $('message').readOnly = true;
      wallet = j.wallet;
      $('wallet').value = j.wallet;
      refresh();
      if (Date.parse(m[4]) < Date.now()) {
        status('This challenge has expired. Log in again for a new one.', 'err');
        return;
      }
      status('Session found. Click the button to sign with the wallet of this VM.');
    } catch (e) {
      $('message').readOnly = false;
      status('This sign-in session was not found or has expired (' + e.message +
             '). Paste the Message: line from your terminal.', 'err');
    }
  }

  async function sign() {
    if (!refresh()) {
      status('Paste the whole Message: line shown in your terminal (Authenticate to … expires: …).', 'err');
      return;
    }
    const msg = $('message').value.trim();
    if (!window.ethereum || typeof window.ethereum.request !== 'function') {
      status('No Ethereum wallet found in this browser.', 'err');
      return;
    }
    $('sign').disabled = true;
    let sig, account;
    try {
      status('Waiting for the wallet…');
      const accounts = await window.ethereum.request({ method: 'eth_requestAccounts' });
      if (!Array.isArray(accounts) || accounts.length === 0) throw new Error('no account');
      account = String(accounts[0]);
      sig = await window.ethereum.request({ method: 'personal_sign', params: [toHex(msg), account] });
      if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig)) throw new Error('unexpected signature format');
    } catch (e) {
      status('Signing failed: ' + (e && e.message ? e.message : e), 'err');
      $('sign').disabled = false;
      return;
    }
    if (!sid || $('message').readOnly === false) {
      showManual(sig, 'Signed.');
      return;
    }
    try {
      const r = await fetch('/auth/callback/' + sid, { method: 'POST', body: sig, cache: 'no-store' });
      if (r.status === 403) {
        throw new Error('the signature is not from this VM\'s wallet ' + wallet +
                        ' (signed by ' + account + ')');
      }
      if (r.status === 410) throw new Error('the challenge has expired; log in again');
      if (!r.ok) throw new Error('HTTP ' + r.status);
      status('Signature sent. Press Enter in your terminal.', 'ok');
      document.body.dataset.done = 'posted';
    } catch (e) {
      showManual(sig, 'Could not deliver the signature (' + e.message + ').');
      document.body.dataset.done = 'manual';
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('message').addEventListener('input', refresh);
    $('sign').addEventListener('click', sign);
    refresh();
    loadSession();
  });
})();
