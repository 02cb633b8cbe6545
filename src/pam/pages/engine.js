// SPDX-License-Identifier: MIT
// Signing page engine for pam_web3 (EVM).  Flow (upstream.md §5.6, with our message):
// read ?session=, fill the message, code, machine, expiry and the VM's wallet from
// /auth/pending/<sid>, connect window.ethereum, personal_sign the message
//   "Authenticate to <machine> with code: <code> nonce: <32 hex> expires: <ISO 8601 UTC>"
// (the "Message:" line of the SSH prompt; docs/pam_web3.md) and POST the signature to
// /auth/callback/<sid>.  The page never claims what it does not know (issue 18): it says
// "press Enter" only after a 200 for a session it saw alive; each other outcome is its own
// state (body[data-state], the STATES table) with its own next step.  Without a session
// the user pastes the Message: line and gets the signature to paste at the SSH prompt.
// No third-party code; nothing leaves this origin.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const SID_RE = /^[0-9a-f]{32}$/;
  // the same strict shape the module and web3-auth-svc use (pw3_message_parse)
  const MSG_RE = /^Authenticate to ([A-Za-z0-9._-]{1,64}) with code: ([0-9]{4,19}) nonce: ([0-9a-f]{32}) expires: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;
  const ADDR_RE = /^0x[0-9a-f]{40}$/;
  const FP_RE = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;
  const params = new URLSearchParams(window.location.search);
  const sidParam = params.get('session');
  const sid = sidParam && SID_RE.test(sidParam) ? sidParam : null;
  let session = null;       // the session JSON, checked, when the page was opened with one
  let busy = false;

  const PASTE = 'Or sign the Message: line with any wallet tool (personal_sign) and paste ' +
                'the 0x... signature at the SSH prompt.';
  const AGAIN = 'Run ssh again and open the new Sign at: address it prints.';
  // state -> class, title, text(v), next(v); v: { account, wallet, until, reason }
  const STATES = {
    loading: ['', 'Loading the sign-in request…', () => '', () => ''],
    ready: ['', 'Ready to sign',
      () => 'Check that the machine and code match your terminal.',
      () => 'Press "Connect wallet and sign" and approve the request in your wallet.'],
    paste: ['', 'Paste mode: no sign-in link',
      () => 'This page was opened without a session, so it cannot send the signature to the VM.',
      () => 'Paste the whole Message: line from your terminal above, press the button, then ' +
            'paste the signature the page shows at the SSH prompt.'],
    'bad-link': ['err', 'This sign-in link is damaged',
      () => 'The session part of the address is not valid (it may have been cut off when copying).',
      () => 'Open the Sign at: address from your terminal again, whole. Or paste the Message: ' +
            'line above and sign it here, then paste the signature at the SSH prompt.'],
    gone: ['err', 'This sign-in has ended',
      () => 'The VM has no login waiting for this link: it finished, was cancelled or timed ' +
            'out. Nothing was stored.',
      () => AGAIN],
    expired: ['err', 'This sign-in has expired',
      (v) => 'It was valid until ' + v.until + '; the VM no longer accepts a signature for it. ' +
             'Nothing was stored.',
      () => AGAIN],
    'no-wallet': ['err', 'No wallet found in this browser',
      () => 'This browser has no Ethereum wallet (window.ethereum is missing), so the page ' +
            'cannot ask for a signature.',
      () => 'Install a wallet extension (MetaMask, Rabby, Frame or Coinbase Wallet) or open ' +
            'this address in your wallet app\'s browser, then reload. ' + PASTE],
    refused: ['warn', 'You declined the request in your wallet',
      () => 'Nothing was signed or sent.',
      () => 'Press the button again and approve it in your wallet. ' + PASTE],
    'wrong-wallet': ['err', 'Wrong wallet account',
      (v) => 'Your wallet offered account ' + v.account + ', but this VM belongs to ' + v.wallet +
             ' (the wallet that holds its NFT). Nothing was signed or sent.',
      (v) => 'Switch your wallet to account ' + v.wallet + ' and press the button again.'],
    'load-failed': ['err', 'Could not read this sign-in from the VM',
      (v) => 'Loading the session failed (' + v.reason + '). Nothing was signed or sent.',
      () => 'Reload the page. ' + PASTE],
    signing: ['', 'Waiting for your wallet…',
      () => 'Approve the signature request in your wallet; it shows the message above.',
      () => ''],
    sending: ['', 'Sending the signature to the VM…', () => '', () => ''],
    posted: ['ok', 'Signature accepted',
      (v) => 'The VM checked the signature from ' + v.account + ' (this VM\'s wallet) and ' +
             'stored it for this login.',
      () => 'Press Enter in your terminal to finish logging in.'],
    rejected: ['err', 'The VM rejected the signature',
      (v) => 'The signature from ' + v.account + ' is not this VM\'s wallet signing this ' +
             'message (the wallet signed another text, or with another key than it reported). ' +
             'Nothing was stored.',
      () => 'Press the button again and check that the wallet shows exactly the message above. ' +
            PASTE],
    malformed: ['err', 'The wallet returned something that is not a signature',
      (v) => 'What the wallet returned for ' + v.account + ' is not a 65-byte signature' +
             (v.reason ? ' (' + v.reason + ')' : '') + '. Nothing was stored.',
      () => 'Try again, or use another wallet. ' + PASTE],
    already: ['warn', 'A signature was already sent for this login',
      () => 'The VM already holds a signature for this session (from an earlier try, another ' +
            'tab or another device); it keeps the first one, so this one was not stored.',
      () => 'Your terminal checks the first signature: if it is still at the prompt, continue ' +
            'there. If it refuses the login, ' + AGAIN.charAt(0).toLowerCase() + AGAIN.slice(1)],
    network: ['err', 'Could not deliver the signature',
      (v) => 'The signature from ' + v.account + ' is ready, but sending it to the VM failed (' +
             v.reason + '). It was not stored.',
      () => 'Copy the signature below and paste it at the SSH prompt (instead of pressing ' +
            'Enter there without it).'],
    copy: ['', 'Signed: now paste the signature in your terminal',
      () => 'This page did not send it and cannot tell whether the VM accepts it: only a ' +
            'signature from the VM\'s wallet, before the expiry, is.',
      () => 'Copy the signature below and paste it at the SSH prompt; your terminal says ' +
            'whether it was accepted.'],
    'bad-message': ['err', 'That is not a Message: line',
      () => 'Paste the whole text after "Message: " in your terminal, one line: Authenticate ' +
            'to … with code: … nonce: … expires: ….',
      () => ''],
    'sign-failed': ['err', 'The wallet could not sign',
      (v) => 'The wallet reported: ' + v.reason + '. Nothing was sent.',
      () => 'Try again. ' + PASTE],
  };

  function show(state, v) {
    const d = STATES[state];
    v = v || {};
    document.body.dataset.state = state;
    const s = $('status');
    s.className = d[0];
    $('status-title').textContent = d[1];
    $('status-text').textContent = d[2](v);
    $('status-next').textContent = d[3](v);
    $('signer').textContent = v.account || '';
    $('signer-line').hidden = !v.signed;
    if (v.sig) {
      $('signature').value = v.sig;
      $('manual').hidden = false;
      fit();
    } else {
      $('manual').hidden = true;
    }
  }

  function untilText(iso) {
    return iso.replace('T', ' ').replace('Z', ' UTC');
  }

  // the whole message in view at any width (no scrolling inside the box)
  function fit() {
    for (const t of [$('message'), $('signature')]) {
      if (t.offsetParent === null) continue;
      t.style.height = 'auto';
      t.style.height = (t.scrollHeight + 2) + 'px';
    }
  }

  // fill code, machine and expiry from the message (empty if it is not one)
  function refresh() {
    fit();
    const m = MSG_RE.exec($('message').value.trim());
    $('code').value = m ? m[2] : '';
    $('machine').value = m ? m[1] : '';
    $('expires').value = m ? untilText(m[4]) : '';
    return m;
  }

  function toHex(str) {
    const bytes = new TextEncoder().encode(str);
    let h = '0x';
    for (const b of bytes) h += b.toString(16).padStart(2, '0');
    return h;
  }

  // the VM's clock, from its answers' Date header: a device clock that is off must not make
  // the page call a live session expired (or an expired one live)
  let skew = 0;
  function noteClock(r) {
    const d = Date.parse(r.headers.get('Date') || '');
    if (!Number.isNaN(d)) skew = d - Date.now();
  }
  function expired(iso) { return Date.parse(iso) < Date.now() + skew; }

  // GET /auth/pending/<sid>: the checked session, or null when the VM has none (404)
  async function fetchSession() {
    const r = await fetch('/auth/pending/' + sid, { cache: 'no-store' });
    noteClock(r);
    if (r.status === 404) return null;
    if (!r.ok) throw new Error('the VM answered HTTP ' + r.status);
    const j = await r.json();
    const m = typeof j.message === 'string' ? MSG_RE.exec(j.message) : null;
    if (!m || j.otp !== m[2] || j.machine_id !== m[1] || j.nonce !== m[3] ||
        j.expires !== m[4] || j.session_id !== sid || typeof j.wallet !== 'string' ||
        !ADDR_RE.test(j.wallet)) {
      throw new Error('the session the VM sent is malformed');
    }
    return j;
  }

  async function loadFingerprint() {
    try {
      const r = await fetch('/auth/tls-fingerprint', { cache: 'no-store' });
      if (!sid) noteClock(r);
      if (!r.ok || window.location.protocol !== 'https:') return;
      const t = (await r.text()).trim();
      if (!FP_RE.test(t)) return;
      $('tls-fp').textContent = t;
      $('tls').hidden = false;
    } catch (e) { /* optional */ }
  }

  async function loadSession() {
    if (!sid) {
      $('message').readOnly = false;
      $('wallet').value = 'not known without a sign-in link (the VM checks it)';
      show(sidParam ? 'bad-link' : 'paste');
      return;
    }
    $('message').readOnly = true;
    try {
      const j = await fetchSession();
      if (!j) {
        show('gone');
        $('sign').disabled = true;
        return;
      }
      session = j;
      $('message').value = j.message;
      $('wallet').value = j.wallet;
      refresh();
      if (expired(j.expires)) {
        show('expired', { until: untilText(j.expires) });
        $('sign').disabled = true;
        return;
      }
      show('ready');
    } catch (e) {
      show('load-failed', { reason: e && e.message ? e.message : String(e) });
    }
  }

  function pickAccount(accounts) {
    const list = accounts.map((a) => String(a));
    if (session) {
      const hit = list.find((a) => a.toLowerCase() === session.wallet);
      if (hit) return hit;
    }
    return list[0];
  }

  async function sign() {
    if (busy) return;
    const m = refresh();
    if (!m) {
      show('bad-message');
      return;
    }
    if (expired(m[4])) {
      show('expired', { until: untilText(m[4]) });
      return;
    }
    const msg = $('message').value.trim();
    if (!window.ethereum || typeof window.ethereum.request !== 'function') {
      show('no-wallet');
      return;
    }
    busy = true;
    $('sign').disabled = true;
    try {
      await signAndSend(msg, m);
    } finally {
      busy = false;
      const st = document.body.dataset.state;
      $('sign').disabled = st === 'posted' || st === 'gone' || st === 'expired' || st === 'already';
    }
  }

  async function signAndSend(msg, m) {
    let sig, account;
    show('signing');
    try {
      const accounts = await window.ethereum.request({ method: 'eth_requestAccounts' });
      if (!Array.isArray(accounts) || accounts.length === 0) throw new Error('the wallet offered no account');
      account = pickAccount(accounts);
      if (session && account.toLowerCase() !== session.wallet) {
        show('wrong-wallet', { account, wallet: session.wallet });
        return;
      }
      sig = await window.ethereum.request({ method: 'personal_sign', params: [toHex(msg), account] });
    } catch (e) {
      // EIP-1193: 4001 = the user rejected the request
      if (e && (e.code === 4001 || e.code === 'ACTION_REJECTED')) show('refused');
      else show('sign-failed', { reason: e && e.message ? e.message : String(e) });
      return;
    }
    const v = { account, signed: true, wallet: session ? session.wallet : '' };
    if (typeof sig !== 'string') {
      show('malformed', Object.assign(v, { reason: 'not text' }));
      return;
    }
    sig = sig.trim();
    if (!session) {
      show('copy', Object.assign(v, { sig }));
      return;
    }
    // the session must still be there and alive before anything is said about it
    show('sending', v);
    let r;
    try {
      const now = await fetchSession();
      if (!now || now.message !== session.message) {
        show('gone', v);
        return;
      }
      if (expired(now.expires)) {
        show('expired', Object.assign(v, { until: untilText(now.expires) }));
        return;
      }
      r = await fetch('/auth/callback/' + sid, { method: 'POST', body: sig, cache: 'no-store' });
    } catch (e) {
      show('network', Object.assign(v, { sig, reason: e && e.message ? e.message : String(e) }));
      return;
    }
    switch (r.status) {
    case 200: show('posted', v); break;
    case 400: show('malformed', Object.assign(v, { reason: 'the VM says: invalid signature format' })); break;
    case 403: show('rejected', v); break;
    case 404: show('gone', v); break;
    case 409: show('already', v); break;
    case 410: show('expired', Object.assign(v, { until: untilText(session.expires) })); break;
    default: show('network', Object.assign(v, { sig, reason: 'the VM answered HTTP ' + r.status })); break;
    }
  }

  async function copy() {
    const t = $('signature');
    t.focus();
    t.select();
    let done = false;
    try {
      if (navigator.clipboard) {
        await navigator.clipboard.writeText(t.value);
        done = true;
      }
    } catch (e) { /* fall back to the selection */ }
    if (!done) {
      try { done = document.execCommand('copy'); } catch (e) { done = false; }
    }
    $('copy').textContent = done ? 'Copied' : 'Selected: copy it with Ctrl+C';
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('message').addEventListener('input', refresh);
    $('sign').addEventListener('click', sign);
    $('copy').addEventListener('click', copy);
    window.addEventListener('resize', fit);
    refresh();
    loadFingerprint();
    loadSession();
  });
})();
