// SPDX-License-Identifier: MIT
// Signing page engine for pam_web3 (EVM).  Flow (upstream.md §5.6): read ?session=,
// pre-fill code and machine from /auth/pending/<sid>, connect window.ethereum,
// personal_sign "Authenticate to <machine> with code: <code>", POST the signature to
// /auth/callback/<sid>; on success tell the user to press Enter, otherwise show the
// signature for copy-paste.  No third-party code; nothing leaves this origin.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SID_RE = /^[0-9a-f]{32}$/;
  const CODE_RE = /^[0-9]{4,19}$/;
  const MACHINE_RE = /^[A-Za-z0-9._-]{1,64}$/;
  const params = new URLSearchParams(window.location.search);
  const sidParam = params.get('session');
  const sid = sidParam && SID_RE.test(sidParam) ? sidParam : null;

  function status(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = cls || '';
  }

  function message() {
    return 'Authenticate to ' + $('machine').value.trim() + ' with code: ' + $('code').value.trim();
  }

  function refresh() {
    $('message').value = message();
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
      if (sidParam) status('Ignoring a malformed session id; enter the code by hand.', 'err');
      return;
    }
    try {
      const r = await fetch('/auth/pending/' + sid, { cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const j = await r.json();
      if (typeof j.otp !== 'string' || !CODE_RE.test(j.otp) ||
          typeof j.machine_id !== 'string' || !MACHINE_RE.test(j.machine_id)) {
        throw new Error('malformed session');
      }
      $('code').value = j.otp;
      $('machine').value = j.machine_id;
      $('code').readOnly = true;
      $('machine').readOnly = true;
      refresh();
      status('Session found. Click the button to sign with your wallet.');
    } catch (e) {
      status('This sign-in session was not found or has expired (' + e.message +
             '). Enter the code and machine from your terminal.', 'err');
    }
  }

  async function sign() {
    const code = $('code').value.trim();
    const machine = $('machine').value.trim();
    if (!CODE_RE.test(code) || !MACHINE_RE.test(machine)) {
      status('Enter the code (digits) and machine name shown in your terminal.', 'err');
      return;
    }
    if (!window.ethereum || typeof window.ethereum.request !== 'function') {
      status('No Ethereum wallet found in this browser.', 'err');
      return;
    }
    $('sign').disabled = true;
    let sig;
    try {
      status('Waiting for the wallet…');
      const accounts = await window.ethereum.request({ method: 'eth_requestAccounts' });
      if (!Array.isArray(accounts) || accounts.length === 0) throw new Error('no account');
      const msg = 'Authenticate to ' + machine + ' with code: ' + code;
      sig = await window.ethereum.request({ method: 'personal_sign', params: [toHex(msg), accounts[0]] });
      if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig)) throw new Error('unexpected signature format');
    } catch (e) {
      status('Signing failed: ' + (e && e.message ? e.message : e), 'err');
      $('sign').disabled = false;
      return;
    }
    if (!sid) {
      showManual(sig, 'Signed.');
      return;
    }
    try {
      const r = await fetch('/auth/callback/' + sid, { method: 'POST', body: sig, cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      status('Signature sent. Press Enter in your terminal.', 'ok');
      document.body.dataset.done = 'posted';
    } catch (e) {
      showManual(sig, 'Could not deliver the signature (' + e.message + ').');
      document.body.dataset.done = 'manual';
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('code').addEventListener('input', refresh);
    $('machine').addEventListener('input', refresh);
    $('sign').addEventListener('click', sign);
    refresh();
    loadSession();
  });
})();
