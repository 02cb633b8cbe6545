#!/usr/bin/env bash
# blockhost-vmdb CLI: every verb, upstream output lines, exit codes (0 ok, 1 not found,
# 2 error), --help on every verb, the BLOCKHOST_NOW test clock driving GC selection, and
# python's json reading what we wrote.
. "$(dirname "$0")/../lib.sh"

VMDB="$BIN/blockhost-vmdb"
[ -x "$VMDB" ] || fail "missing $VMDB"
mkdir -p "$BLOCKHOST_ROOT/etc/blockhost" "$BLOCKHOST_ROOT/var/lib/blockhost"
cat > "$BLOCKHOST_ROOT/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json", "bridge": "br0",
  "ip_pool": { "network": "192.168.122.0/24", "start": 200, "end": 201, "gateway": "192.168.122.1" },
  "ipv6_pool": { "prefix": "2001:db8:7::/64", "start": 2, "end": 254 },
  "default_expiry_days": 30, "gc_grace_days": 7 }
JSON
DB="$BLOCKHOST_ROOT/var/lib/blockhost/vms.json"
OWNER=0x00000000000000000000000000000000000000aa
T0=1772366400   # 2026-03-01T12:00:00Z
export BLOCKHOST_NOW=$T0

rc() { set +e; "$@" > "$T/out" 2> "$T/err"; echo $? > "$T/rc"; set -e; cat "$T/rc"; }
expect_rc() { local want=$1; shift; local got; got=$(rc "$@");
	[ "$got" = "$want" ] || fail "$* -> exit $got, want $want; stderr: $(cat "$T/err")"; }

for v in init register get-vm list mark-active mark-suspended mark-destroyed delete set-expiry \
	extend-expiry mark-nft-minted update-fields allocate-ip release-ip to-suspend to-destroy; do
	expect_rc 0 "$VMDB" "$v" --help
	grep -q "^usage: blockhost-vmdb $v" "$T/out" || fail "$v --help: $(cat "$T/out")"
done
expect_rc 0 "$VMDB" --help
expect_rc 2 "$VMDB"
expect_rc 2 "$VMDB" frobnicate
grep -q "unknown verb 'frobnicate'" "$T/err" || fail "unknown verb message"
ok "--help on every verb; unknown verb is exit 2"

expect_rc 0 "$VMDB" init
expect_rc 0 "$VMDB" register blockhost-001 --owner $OWNER --network-mode broker --ip auto \
	--ipv6 auto --username user1
grep -q '"ip_address": "192.168.122.200"' "$T/out" || fail "register output: $(cat "$T/out")"
grep -q '"ipv6_address": "2001:db8:7::3"' "$T/out" || fail "ipv6 +1/+2 not skipped"
grep -q '"expires_at": "2026-03-31T12:00:00+00:00"' "$T/out" || fail "expiry: $(cat "$T/out")"
expect_rc 2 "$VMDB" register blockhost-001 --owner $OWNER --network-mode broker
grep -q "already exists" "$T/err" || fail "duplicate message"
expect_rc 2 "$VMDB" register bad/name --owner $OWNER --network-mode broker
expect_rc 2 "$VMDB" register x --owner 0x12 --network-mode broker
expect_rc 2 "$VMDB" register x --network-mode broker
expect_rc 0 "$VMDB" register blockhost-002 --owner $OWNER --network-mode none --expires 2026-03-02T00:00:00Z
ok "register: auto addresses, duplicates and bad input refused"

expect_rc 0 "$VMDB" get-vm blockhost-001
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="active"' "$T/out" ||
	fail "get-vm output is not the record"
expect_rc 1 "$VMDB" get-vm nope
grep -q "VM 'nope' not found" "$T/err" || fail "not-found message"
expect_rc 1 "$VMDB" mark-nft-minted nope 1
expect_rc 1 "$VMDB" extend-expiry nope 1
expect_rc 1 "$VMDB" update-fields nope --fields '{}'
ok "exit 1 for unknown VMs"

expect_rc 0 "$VMDB" mark-nft-minted blockhost-001 5
expect_rc 2 "$VMDB" mark-nft-minted blockhost-001 -5
expect_rc 0 "$VMDB" update-fields blockhost-001 --fields '{"gecos_synced": true, "note": "x"}'
grep -q "skipped" "$T/err" && fail "nothing reserved, yet a skip reported: $(cat "$T/err")"
# upstream merges the non-reserved keys and leaves reserved ones alone (upstream.md §1.4,
# §3.5; docs/vmdb.md): exit 0, the rest written, the skipped keys named on stderr.  Every
# reserved key is tried, so the CLI's list cannot fall behind the library's.
cp "$DB" "$T/db.before"
for k in vm_name vmid status created_at expires_at suspended_at destroyed_at ip_address \
	ipv6_address nft_token_id nft_minted nft_minted_at network_mode; do
	expect_rc 0 "$VMDB" update-fields blockhost-001 --fields "{\"$k\": \"x\", \"note\": \"$k\"}"
	grep -q "reserved field(s) skipped (not writable through update-fields): $k\$" "$T/err" ||
		fail "$k: skip not reported: $(cat "$T/err")"
	expect_rc 0 "$VMDB" get-vm blockhost-001
	python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))["vms"]["blockhost-001"]; k=sys.argv[3]
assert r["note"]==k, r["note"]
assert r.get(k)==b.get(k), (k, r.get(k), b.get(k))' "$T/out" "$T/db.before" "$k" ||
		fail "$k: reserved value changed or note not merged"
done
expect_rc 0 "$VMDB" update-fields blockhost-001 --fields '{"status": "destroyed", "vmid": 9, "note": "y"}'
grep -q "skipped (not writable through update-fields): status, vmid$" "$T/err" ||
	fail "two skipped keys: $(cat "$T/err")"
[ "$(grep -c . "$T/err")" = 1 ] || fail "more than one stderr line: $(cat "$T/err")"
grep -q "^Updated blockhost-001$" "$T/out" || fail "update-fields output: $(cat "$T/out")"
expect_rc 0 "$VMDB" update-fields blockhost-001 --fields '{"status": "destroyed"}'
expect_rc 0 "$VMDB" get-vm blockhost-001
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["status"]=="active"' "$T/out" ||
	fail "status changed through update-fields"
expect_rc 1 "$VMDB" update-fields nope --fields '{"status": "destroyed"}'
# the strict JSON step (bh_config_json_load): duplicates, syntax, non-objects name the problem
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '[1]'
grep -q -- "--fields: expected a JSON object, got array" "$T/err" || fail "array message: $(cat "$T/err")"
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '{"a":1,"a":2}'
grep -q -- "--fields: line 1" "$T/err" && grep -qi "duplicate" "$T/err" ||
	fail "duplicate-key message: $(cat "$T/err")"
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '{"a":1,"status":2,"status":3}'
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '{"a":'
grep -q -- "--fields: line 1" "$T/err" || fail "syntax error message: $(cat "$T/err")"
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '{"a":1} x'
expect_rc 2 "$VMDB" update-fields blockhost-001 --fields '{"bad key":1}'
expect_rc 2 "$VMDB" update-fields blockhost-001
ok "mark-nft-minted, update-fields (reserved keys skipped and named, strict JSON)"

# GC flow driven by the test clock
BLOCKHOST_NOW=$((T0 + 86400)) expect_rc 0 "$VMDB" to-suspend
[ "$(cat "$T/out")" = "blockhost-002" ] || fail "to-suspend: $(cat "$T/out")"
expect_rc 0 "$VMDB" mark-suspended blockhost-002
expect_rc 0 "$VMDB" extend-expiry blockhost-002 3
[ "$(cat "$T/out")" = "$(printf 'Extended blockhost-002 expiry by 3 days\nNEEDS_RESUME')" ] ||
	fail "extend-expiry output: $(cat "$T/out")"
expect_rc 0 "$VMDB" extend-expiry blockhost-001 3
[ "$(cat "$T/out")" = "Extended blockhost-001 expiry by 3 days" ] || fail "extend active"
expect_rc 0 "$VMDB" set-expiry blockhost-002 $((T0 + 86400))
grep -q "^Set blockhost-002 expiry to 2026-03-02T12:00:00+00:00$" "$T/out" || fail "set-expiry: $(cat "$T/out")"
grep -q "^NEEDS_RESUME$" "$T/out" || fail "set-expiry NEEDS_RESUME"
expect_rc 2 "$VMDB" set-expiry blockhost-002 tomorrow
expect_rc 0 "$VMDB" mark-active blockhost-002 --expires 2026-04-01T00:00:00Z
BLOCKHOST_NOW=$((T0 + 40 * 86400)) expect_rc 0 "$VMDB" to-suspend --json
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert [r["vm_name"] for r in a]==["blockhost-001","blockhost-002"], a' "$T/out" ||
	fail "to-suspend --json"
expect_rc 0 "$VMDB" mark-suspended blockhost-001
BLOCKHOST_NOW=$((T0 + 7 * 86400)) expect_rc 0 "$VMDB" to-destroy
[ -z "$(cat "$T/out")" ] || fail "destroyed before the grace period"
BLOCKHOST_NOW=$((T0 + 7 * 86400 + 1)) expect_rc 0 "$VMDB" to-destroy
[ "$(cat "$T/out")" = "blockhost-001" ] || fail "to-destroy: $(cat "$T/out")"
BLOCKHOST_NOW=$((T0 + 2 * 86400)) expect_rc 0 "$VMDB" to-destroy --grace-days 1
[ "$(cat "$T/out")" = "blockhost-001" ] || fail "to-destroy --grace-days"
BLOCKHOST_NOW=junk expect_rc 2 "$VMDB" list
ok "suspend/extend/set-expiry/resume/destroy selection follows BLOCKHOST_NOW"

# addresses
expect_rc 0 "$VMDB" allocate-ip
[ "$(cat "$T/out")" = "192.168.122.201" ] || fail "allocate-ip: $(cat "$T/out")"
expect_rc 2 "$VMDB" allocate-ip
grep -q "ip_pool exhausted" "$T/err" || fail "exhausted message"
expect_rc 2 "$VMDB" release-ip 192.168.122.200
grep -q "in use by VM 'blockhost-001'" "$T/err" || fail "in-use message"
expect_rc 0 "$VMDB" mark-destroyed blockhost-001
expect_rc 1 "$VMDB" release-ip 192.168.122.200
expect_rc 0 "$VMDB" release-ip 192.168.122.201
expect_rc 0 "$VMDB" allocate-ip --ipv6
[ "$(cat "$T/out")" = "2001:db8:7::3" ] || fail "ipv6 freed by destroy: $(cat "$T/out")"
expect_rc 2 "$VMDB" mark-active blockhost-001
expect_rc 0 "$VMDB" delete blockhost-001
expect_rc 1 "$VMDB" delete blockhost-001
ok "allocate/release, destroy frees addresses, destroyed stays destroyed"

expect_rc 0 "$VMDB" list --json
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert [r["vm_name"] for r in a]==["blockhost-002"]' "$T/out" ||
	fail "list --json"
expect_rc 0 "$VMDB" list --status active
grep -q "^blockhost-002 " "$T/out" || fail "list table"
python3 - "$DB" <<'PY' || fail "python cannot read vms.json"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["vms"]["blockhost-002"]
from datetime import datetime
for k in ("expires_at", "created_at"):
    datetime.fromisoformat(r[k])
assert r["status"] == "active" and r["suspended_at"] is None
PY
ok "list; python json + datetime.fromisoformat read our file"

# broken config and broken database: clear messages, exit 2
echo '{"ip_pool": {"network": "10.0.0.0/24", "start": "x", "end": 5}}' > "$T/bad.json"
expect_rc 2 "$VMDB" --config "$T/bad.json" list
grep -q "$T/bad.json: key 'ip_pool.start'" "$T/err" || fail "config message: $(cat "$T/err")"
expect_rc 2 "$VMDB" --config "$T/missing.json" list
cp "$DB" "$T/good.json"
echo '{"vms": {"x": {"status": "active"}}}' > "$DB"
expect_rc 2 "$VMDB" list
grep -q "vms.x.expires_at: required key missing" "$T/err" || fail "db message: $(cat "$T/err")"
rm "$DB"; ln -s "$T/good.json" "$DB"
expect_rc 2 "$VMDB" list
grep -q "$DB: is a symbolic link" "$T/err" || fail "symlink message: $(cat "$T/err")"
ok "bad config / corrupt or symlinked database: exit 2 with the key or file named"
