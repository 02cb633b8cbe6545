#!/usr/bin/env bash
# Provisioner on qemu:///session through the real root agent and its signed domain-*
# plugins: create → active → stop → suspended → start → active → destroy → destroyed,
# list/metrics/status output, idempotent destroy, gc with an injected clock (suspend at
# expiry, destroy after grace, resume on extension), and with user_net_ssh the forwarded
# ssh_port in the create result and the vms.json record.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/prov_lib.sh"

start_session_libvirt
start_agent

# detect: the platform is reachable
expect_rc 0 vm status nosuch
[ "$(cat "$T/out")" = destroyed ] || fail "status of a missing VM: $(cat "$T/out")"
expect_rc 0 as_user "$BIN/blockhost-provisioner-detect"
ok "detect, status of a missing VM"

# dry run changes nothing
expect_rc 0 vm create bh-dry --owner-wallet $OWNER
nothing_leaked bh-dry
ok "dry run leaves nothing"

# 1. create
expect_rc 0 vm create bh-001 --owner-wallet $OWNER --memory 128 --disk 1 --apply
res=$(grep '^BLOCKHOST_RESULT: ' "$T/out") || fail "no result line: $(cat "$T/out")"
python3 - "$res" <<'PY' || fail "result: $res"
import json, sys
j = json.loads(sys.argv[1][len("BLOCKHOST_RESULT: "):])
assert j == {"status": "ok", "vm_name": "bh-001", "ip": "192.168.122.200",
             "ipv6": "2001:db8:7::3", "vmid": "bh-001", "nft_token_id": None,
             "username": "admin"}, j
PY
[ "$(stat -c %a "$STATE/cloud-init/bh-001/user-data")" = 600 ] || fail "user-data mode"
grep -q 'gecos: "wallet=0x00000000000000000000000000000000000000aa,nft="' \
	"$STATE/cloud-init/bh-001/user-data" || fail "gecos in user-data"
# the ISO carries the VM's secret: 0640 (fchmod on the opened file, verified)
[ "$(stat -c %a "$STATE/cloud-init/bh-001/cidata.iso")" = 640 ] ||
	fail "seed ISO mode $(stat -c %a "$STATE/cloud-init/bh-001/cidata.iso")"
grep -Eq 'secret_key = "[0-9a-f]{64}"' "$STATE/cloud-init/bh-001/user-data" || fail "secret"
# network-config: the NIC by its fixed-slot name, static from the pools (IPv6 default via
# the bridge gateway prefix+1), no DHCP
nc="$STATE/cloud-init/bh-001/network-config"
grep -qx '  enp0s16:' "$nc" && ! grep -q 'match\|dhcp' "$nc" &&
	grep -qx '      - 192.168.122.200/24' "$nc" && grep -qx '      - 2001:db8:7::3/128' "$nc" &&
	grep -qx '    gateway4: 192.168.122.1' "$nc" && grep -qx '    gateway6: 2001:db8:7::1' "$nc" ||
	fail "network-config: $(cat "$nc")"
expect_rc 0 vm status bh-001; [ "$(cat "$T/out")" = active ] || fail "status: $(cat "$T/out")"
ok "create → active ($res)"

# list (TSV + JSON) and metrics
expect_rc 0 vm list
[ "$(head -1 "$T/out")" = "$(printf 'NAME\tSTATUS\tIP\tCREATED')" ] || fail "list header"
grep -q "^bh-001	active	192.168.122.200	20" "$T/out" || fail "list row: $(cat "$T/out")"
expect_rc 0 vm list --format json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j[0]["name"]=="bh-001" and j[0]["status"]=="active" and len(j[0]["created"])==10, j' "$T/out" || fail "list json"
expect_rc 0 vm metrics bh-001
expect_rc 0 vm metrics bh-001
python3 - "$T/out" <<'PY' || fail "metrics: $(cat "$T/out")"
import json, sys
j = json.load(open(sys.argv[1]))
keys = {"cpu_percent","cpu_count","memory_used_mb","memory_total_mb","disk_used_mb","disk_total_mb",
        "disk_read_iops","disk_write_iops","disk_read_bytes_sec","disk_write_bytes_sec",
        "net_rx_bytes_sec","net_tx_bytes_sec","net_connections","guest_agent_responsive",
        "uptime_seconds","state"}
assert set(j) == keys, set(j) ^ keys
assert j["state"] == "running" and j["cpu_count"] == 1 and j["memory_total_mb"] == 128
assert j["disk_total_mb"] == 1024 and j["disk_used_mb"] == -1 and j["net_connections"] == -1
assert j["guest_agent_responsive"] is False
PY
[ -f "$STATE/metrics/bh-001.json" ] || fail "metrics cache"
expect_rc 1 vm metrics nosuch
ok "list TSV/JSON, metrics JSON with cached delta sample"

# 2. stop (no OS answers ACPI here: force after the timeout) → suspended; start → active
expect_rc 0 vm stop bh-001 --timeout 1 --force
expect_rc 0 vm status bh-001; [ "$(cat "$T/out")" = suspended ] || fail "after stop: $(cat "$T/out")"
expect_rc 0 vm start bh-001
expect_rc 0 vm status bh-001; [ "$(cat "$T/out")" = active ] || fail "after start: $(cat "$T/out")"
expect_rc 0 vm start bh-001       # already running: success
expect_rc 0 vm kill bh-001
expect_rc 0 vm status bh-001; [ "$(cat "$T/out")" = suspended ] || fail "after kill"
expect_rc 0 vm start bh-001
ok "stop → suspended → start → active; kill; start twice"

# throttle (live cgroup limits may be unavailable to a session daemon: either a change line
# or a clean error naming the limit)
set +e; vm throttle bh-001 --cpu-shares 512 > "$T/out" 2> "$T/err"; r=$?; set -e
if [ $r = 0 ]; then grep -qx 'cpu_shares=512' "$T/out" || fail "throttle out: $(cat "$T/out")"
else grep -q 'cpu limits' "$T/err" || fail "throttle error: $(cat "$T/err")"; fi
ok "throttle (exit $r: $(cat "$T/out" "$T/err" | head -c 120))"

# 3. destroy → destroyed, idempotent
expect_rc 0 vm destroy bh-001
expect_rc 0 vm status bh-001; [ "$(cat "$T/out")" = destroyed ] || fail "after destroy"
nothing_leaked bh-001
expect_rc 0 vm destroy bh-001
expect_rc 0 vm destroy never-existed
ok "destroy → destroyed, nothing left, idempotent"

# 4. gc with an injected clock
T0=$(date +%s)
expect_rc 0 vm create bh-002 --owner-wallet $OWNER --memory 128 --disk 1 --expiry-days 1 --apply
expect_rc 0 vm create bh-003 --owner-wallet $OWNER --memory 128 --disk 1 --expiry-days 30 --apply
BLOCKHOST_NOW=$((T0 + 2 * 86400)) expect_rc 0 vm gc
grep -q '^Suspend: 1 candidates' "$T/out" && grep -q 'would suspend bh-002' "$T/out" ||
	fail "gc dry run: $(cat "$T/out")"
expect_rc 0 vm status bh-002; [ "$(cat "$T/out")" = active ] || fail "dry run changed state"
BLOCKHOST_NOW=$((T0 + 2 * 86400)) expect_rc 0 vm gc --execute --shutdown-timeout 1
expect_rc 0 vm status bh-002; [ "$(cat "$T/out")" = suspended ] || fail "gc did not suspend"
expect_rc 0 vm status bh-003; [ "$(cat "$T/out")" = active ] || fail "gc touched bh-003"
grep -q '"status": "suspended"' <(python3 -c 'import json,sys;print(json.dumps(json.load(open(sys.argv[1]))["vms"]["bh-002"]))' "$DB") || fail "db status"
# within grace: nothing to destroy; resume on extension
BLOCKHOST_NOW=$((T0 + 5 * 86400)) expect_rc 0 vm gc --execute --shutdown-timeout 1
grep -q '^Destroy: 0 candidates' "$T/out" || fail "destroyed within grace: $(cat "$T/out")"
BLOCKHOST_NOW=$((T0 + 5 * 86400)) expect_rc 0 vm resume bh-002 --extend-days 1
expect_rc 0 vm status bh-002; [ "$(cat "$T/out")" = active ] || fail "resume"
ok "gc: dry run, suspend at expiry, nothing within grace, resume on extension"
# expires again, suspended, then destroyed after the grace period
BLOCKHOST_NOW=$((T0 + 7 * 86400)) expect_rc 0 vm gc --execute --shutdown-timeout 1
expect_rc 0 vm status bh-002; [ "$(cat "$T/out")" = suspended ] || fail "second suspend"
BLOCKHOST_NOW=$((T0 + 15 * 86400)) expect_rc 0 vm gc --execute --shutdown-timeout 1 --destroy-only
grep -q 'destroying bh-002' "$T/out" || fail "gc destroy: $(cat "$T/out")"
expect_rc 0 vm status bh-002; [ "$(cat "$T/out")" = destroyed ] || fail "not destroyed"
nothing_leaked bh-002
expect_rc 0 vm status bh-003; [ "$(cat "$T/out")" = active ] || fail "bh-003 after gc"
expect_rc 0 vm destroy bh-003
nothing_leaked bh-003
ok "gc: suspended again at expiry, destroyed after grace; the other VM untouched"

# 5. user_net_ssh (the demo's NIC): create reports the forwarded port in its result and in
# the vms.json record (where the engine finds it), the same one the domain forwards
SP=$(free_port); SPMAX=$((SP + 15)); [ $SPMAX -le 65535 ] || SPMAX=65535
write_prov_conf ", \"user_net_ssh\": { \"port_min\": $SP, \"port_max\": $SPMAX }"
expect_rc 0 vm create bh-004 --owner-wallet $OWNER --memory 128 --disk 1 --apply
res=$(grep '^BLOCKHOST_RESULT: ' "$T/out") || fail "no result line: $(cat "$T/out")"
port=$(python3 - "$res" "$SP" "$SPMAX" <<'PY'
import json, sys
j = json.loads(sys.argv[1][len("BLOCKHOST_RESULT: "):])
p = j.pop("ssh_port")
assert isinstance(p, int) and int(sys.argv[2]) <= p <= int(sys.argv[3]), p
assert j["status"] == "ok" and j["vm_name"] == "bh-004" and j["username"] == "admin", j
print(p)
PY
) || fail "result: $res"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["vms"]["bh-004"]; assert r["ssh_port"]==int(sys.argv[2]), r' \
	"$DB" "$port" || fail "vms.json ssh_port: $(cat "$DB")"
virsh_u dumpxml bh-004 | grepq "hostfwd=tcp:127.0.0.1:$port-:22" || fail "domain forwards another port than $port"
expect_rc 0 vm destroy bh-004
nothing_leaked bh-004
write_prov_conf
ok "user_net_ssh: create reports ssh_port $port (result and vms.json), the domain's forward"
