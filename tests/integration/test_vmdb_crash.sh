#!/usr/bin/env bash
# vms.json crash safety: 1000 times, a writer updating the database through the real
# library path (flock, read, validate, atomic write) is SIGKILLed at a random moment;
# after each kill the file must parse, validate and hold exactly the last committed or
# the in-flight state (tests/helpers/vmdb_crash.c checks this).  Then the CLI must still
# work on the file and clean up the temp file a killed writer left behind.
. "$(dirname "$0")/../lib.sh"

H="$BUILD/helpers/vmdb_crash"
[ -x "$H" ] || fail "missing $H (built as a CHECK_DEPS item of src/tools/module.mk)"
VMDB="$BIN/blockhost-vmdb"
[ -x "$VMDB" ] || fail "missing $VMDB"

D="$BLOCKHOST_ROOT/var/lib/blockhost"
mkdir -p "$D"
seed=${VMDB_CRASH_SEED:-$RANDOM}
echo "seed $seed"
"$H" "$D" "${VMDB_CRASH_ITERS:-1000}" "$seed" || fail "crash check failed (seed $seed)"
ok "1000 SIGKILLed writers: vms.json always old-or-new"

# an independent parser agrees the file is well-formed JSON with the upstream shape
python3 - "$D/vms.json" <<'PY' || fail "python cannot read vms.json"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(["vms", "next_vmid", "allocated_ips", "allocated_ipv6"]) <= set(d), d.keys()
assert d["vms"]["crash"]["status"] == "active"
PY
ok "python json reads the survivor"

# the CLI keeps working on the file; the next write removes a stale temp file
touch "$D/.vms.json.tmp.0123456789abcdef"
"$VMDB" update-fields crash --fields '{"after":"crash"}' >/dev/null || fail "CLI update after crashes"
[ "$(ls -A "$D" | grep -c '^\.vms\.json\.tmp\.')" = 0 ] || fail "stale temp files left: $(ls -A "$D")"
"$VMDB" get-vm crash | grepq '"after": "crash"' || fail "update not visible"
[ "$(stat -c %a "$D/vms.json")" = 640 ] || fail "vms.json mode is $(stat -c %a "$D/vms.json"), want 640"
ok "CLI works after crashes, stale temp files cleaned, mode 0640"
