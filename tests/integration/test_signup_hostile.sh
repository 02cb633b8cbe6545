#!/usr/bin/env bash
# The hostile-input catalogue of blockhost-signup's HTTPS interface (tests/hostile_signup.tsv,
# HACKING.md "Hostile-input catalogues"): paths, methods and relay bodies against the real
# server (keystore on swtpm, anvil); each answered with its status and clear error, and the
# server still serving GET / after every row.
source "$(dirname "$0")/../lib.sh"
source "$TOP/tests/helpers/keystore_lib.sh"
source "$TOP/tests/helpers/signup_lib.sh"
su_setup
su_config "$SU_DIR/signup.json" '"relay": { "requests_per_minute": 100000, "burst": 100000, "max_log_blocks": 1000 }'
su_start
python3 "$TOP/tests/helpers/signup_hostile.py" "$TOP/tests/hostile_signup.tsv" 127.0.0.1 "$SU_PORT" \
	"$SU_DIR/ca.pem" "$SU_CONTRACT" > "$T/hostile.out" || { cat "$T/hostile.out"; fail "rows differ from tests/hostile_signup.tsv"; }
kill -0 "$SU_PID" || fail "the server died"
ok "$(tail -1 "$T/hostile.out"), the server serving after each"
