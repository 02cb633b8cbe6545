#!/usr/bin/env bash
# vms.json under concurrent writers: two processes x 500 CLI updates each (IP allocations,
# registrations with an automatic IP, field merges into one shared record).  Afterwards no
# update is lost and no address was handed out twice.
. "$(dirname "$0")/../lib.sh"

VMDB="$BIN/blockhost-vmdb"
[ -x "$VMDB" ] || fail "missing $VMDB"
mkdir -p "$BLOCKHOST_ROOT/etc/blockhost" "$BLOCKHOST_ROOT/var/lib/blockhost"
cat > "$BLOCKHOST_ROOT/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json",
  "ip_pool": { "network": "10.9.8.0/24", "start": 2, "end": 254, "gateway": "10.9.8.1" },
  "default_expiry_days": 30, "gc_grace_days": 7 }
JSON
OWNER=0x1111111111111111111111111111111111111111
"$VMDB" init >/dev/null || fail "init"
"$VMDB" register shared --owner "$OWNER" --network-mode none >/dev/null || fail "register shared"

worker() {
	local p=$1 k
	for k in $(seq 1 500); do
		case $((k % 10)) in
		0) "$VMDB" allocate-ip >> "$T/alloc-$p" || { echo "allocate-ip $p $k failed"; return 1; } ;;
		1) "$VMDB" register "vm-$p-$k" --owner "$OWNER" --network-mode none --ip auto \
			> /dev/null || { echo "register $p $k failed"; return 1; } ;;
		*) "$VMDB" update-fields shared --fields "{\"${p}_$k\": $k}" > /dev/null ||
			{ echo "update $p $k failed"; return 1; } ;;
		esac
	done
}
start=$(date +%s)
worker a & pa=$!
worker b & pb=$!
bh_track "$pa"; bh_track "$pb"
wait "$pa" || fail "worker a failed"
wait "$pb" || fail "worker b failed"
echo "1000 updates in $(( $(date +%s) - start ))s"

python3 - "$BLOCKHOST_ROOT/var/lib/blockhost/vms.json" "$T/alloc-a" "$T/alloc-b" <<'PY' || fail "lost update or double allocation"
import json, sys
d = json.load(open(sys.argv[1]))
vms = d["vms"]
shared = vms["shared"]
want = {f"{p}_{k}" for p in "ab" for k in range(1, 501) if k % 10 not in (0, 1)}
missing = want - set(shared)
assert not missing, f"{len(missing)} field updates lost, e.g. {sorted(missing)[:5]}"
regs = {f"vm-{p}-{k}" for p in "ab" for k in range(1, 501) if k % 10 == 1}
assert regs <= set(vms), f"registrations lost: {sorted(regs - set(vms))[:5]}"
alloc = [l.strip() for f in sys.argv[2:] for l in open(f) if l.strip()]
assert len(alloc) == 100, len(alloc)
vm_ips = [vms[n]["ip_address"] for n in regs]
every = alloc + vm_ips
assert len(every) == len(set(every)) == 200, "an address was allocated twice"
assert sorted(every) == sorted(d["allocated_ips"]), "allocated_ips does not match the handed-out set"
assert "10.9.8.1" not in every, "gateway handed out"
print("ok:", len(want), "field updates,", len(regs), "registrations,", len(every), "distinct IPs")
PY
ok "no update lost, no IP allocated twice"
