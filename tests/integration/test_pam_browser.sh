#!/usr/bin/env bash
# The full browser path: ssh prints the signing URL; Debian's headless Chromium opens the
# signing page from web3-auth-svc (HTTPS, unprivileged, seccomp), an injected EIP-1193 test
# wallet (noble) signs, the page posts to /auth/callback/<sid>; the user presses Enter and
# the ssh login completes.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/pam_lib.sh"
pw3_prereqs
[ -x /usr/bin/chromium ] || skip "chromium missing (apt-get install chromium)"
[ -d "$JS/node_modules/playwright-core" ] || skip "playwright-core missing: make deps"
pw3_config 'callback_grace_seconds = 10'
pw3_start_svc
echo "127.0.0.1" > "$BLOCKHOST_ROOT/run/libpam-web3/signing_host"
pw3_start_sshd
export PW3_LOG="$T/prompts"
expect_login browser
grep -q "pam-browser: Signature accepted .*Press Enter in your terminal to finish logging in." "$PW3_LOG" ||
	{ cat "$PW3_LOG"; fail "the page did not report the posted signature"; }
grep -q "authenticated by callback wallet signature" "$SSHD_LOG" || fail "no callback success line"
ok "headless Chromium + injected wallet signed on the served page; ssh login completed"
[ -z "$(ls -A "$BLOCKHOST_ROOT/run/libpam-web3/pending" | grep -vx tls-fingerprint)" ] || fail "session files left behind"
ok "session files removed"

# every page state (issue 18): sessions written into the pending dir as the module writes
# them, the real service answers; wrong message, sideways scroll, unnamed control, focus
# order or low contrast fail.  PW3_SHOTS=<dir> also saves the screenshots (docs/screenshots/).
node "$JS/pam-page-states.js" "$PW3_SVC" "$BLOCKHOST_ROOT/run/libpam-web3/pending" "$PW3_KEY" "$PW3_OTHER_KEY" \
	2> "$T/states" || { cat "$T/states"; fail "a signing page state shows the wrong thing"; }
grep -q "pam-page-states: 20 states ok" "$T/states" || { cat "$T/states"; fail "not every page state ran"; }
ok "every signing page state says what it should (desktop and phone width, labels, live region, focus, contrast)"
# the same screenshots compared with docs/screenshots (tests/js/pam-png.js), unless regenerating
if [ -z "${PW3_SHOTS:-}" ]; then
	grep -q "pam-page-states: 38 screenshots compared" "$T/states" || { cat "$T/states"; fail "the screenshots were not compared with docs/screenshots"; }
	ok "$(sed -n 's/^pam-page-states: \(38 screenshots compared.*\)$/\1/p' "$T/states")"
	grep -q "pam-page-states: self-check: " "$T/states" || { cat "$T/states"; fail "the screenshot comparison did not check itself"; }
	ok "$(sed -n 's/^pam-page-states: \(self-check: .*\)$/screenshot comparison \1/p' "$T/states")"
	[ -z "${PW3_SHOTS_VERBOSE:-}" ] || sed -n '/^  [a-z0-9-]* [0-9]*$/p' "$T/states"
fi
