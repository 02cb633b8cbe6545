#!/usr/bin/env bash
# The blockhost-vmdb catalogue of hostile command lines (tests/hostile_vmdb.tsv, issue 11
# item 9): each row's exit status and clear error text, no crash or hang; the refused
# rows change nothing in vms.json (compared byte for byte), which stays valid JSON.
. "$(dirname "$0")/../lib.sh"

VMDB="$BIN/blockhost-vmdb"
[ -x "$VMDB" ] || fail "missing $VMDB"
mkdir -p "$BLOCKHOST_ROOT/etc/blockhost" "$BLOCKHOST_ROOT/var/lib/blockhost"
cat > "$BLOCKHOST_ROOT/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json", "bridge": "br0",
  "ip_pool": { "network": "192.168.122.0/24", "start": 200, "end": 202, "gateway": "192.168.122.1" },
  "ipv6_pool": { "prefix": "2001:db8:7::/64", "start": 2, "end": 254 },
  "default_expiry_days": 30, "gc_grace_days": 7 }
JSON
DB="$BLOCKHOST_ROOT/var/lib/blockhost/vms.json"
OWNER=0x00000000000000000000000000000000000000aa
export BLOCKHOST_NOW=1772366400
"$VMDB" init > /dev/null
for v in vm1 vms vmd; do
	"$VMDB" register $v --owner $OWNER --network-mode broker --ip auto --ipv6 auto > /dev/null
done
"$VMDB" mark-suspended vms > /dev/null
"$VMDB" mark-destroyed vmd > /dev/null

# fixture files the rows name
F="$T/fx"; mkdir -p "$F/dir"
printf '{"vms":{},"vms":{},"next_vmid":0,"allocated_ips":[],"allocated_ipv6":[]}' > "$F/dup.json"
printf '{"vms":{"x":{"vm_name":"x"}},"next_vmid":0}' > "$F/badrec.json"
printf '{ "db_file": 5 }' > "$F/badcfg.json"
printf '{ "ip_pool": {"network":"10.0.0.0/16","start":1,"end":2} }' > "$F/badpool.json"
: > "$F/empty.json"; printf '[]' > "$F/arr.json"
ln -s "$DB" "$F/link.json"
cp "$DB" "$T/before.json"

python3 "$TOP/tests/helpers/hostile_cli.py" "$TOP/tests/hostile_vmdb.tsv" --var O=$OWNER \
	--var DUP="$F/dup.json" --var BADREC="$F/badrec.json" --var BADCFG="$F/badcfg.json" \
	--var BADPOOL="$F/badpool.json" --var EMPTY="$F/empty.json" --var ARR="$F/arr.json" \
	--var LINK="$F/link.json" --var DIR="$F/dir" -- "$VMDB" || fail "hostile vmdb rows"
ok "every row of tests/hostile_vmdb.tsv: exit status and error text"

cmp -s "$T/before.json" "$DB" || { diff "$T/before.json" "$DB" >&2; fail "a refused row changed vms.json"; }
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$DB" || fail "vms.json not JSON"
[ "$(ls -A "$(dirname "$DB")" | grep -c '^\.vms\.json\.tmp\.')" = 0 ] || fail "temp files left"
ok "vms.json unchanged by the refused rows, valid JSON, no temp files"
