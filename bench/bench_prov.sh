#!/usr/bin/env bash
# bench-prov: provisioner latencies on qemu:///session through the real root agent.
#  1. create → active (disk overlay, seed ISO, agent define+start, guest-agent wait off)
#     vs. the floor: `virsh define` + `virsh start` of the same domain XML (no agent,
#     no seed, no DB), the work upstream's create delegates to virsh.
#  2. status with 1,000 records in vms.json vs. `virsh domstate` (what upstream runs).
#  3. list (TSV) with 1,000 records vs. upstream's shape: python3 loading vms.json and
#     `virsh list --all` (the two reads upstream's Python list performs).
# Reports medians and ratios; never asserts on time.
. "$(dirname "$0")/../tests/lib.sh"
. "$TOP/tests/helpers/prov_lib.sh"
N=${BENCH_N:-5}
start_session_libvirt
start_agent

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_it() { local t0 t1; t0=$(ms); "$@" > /dev/null 2>&1 || fail "bench step failed: $*"; t1=$(ms); echo $(((t1 - t0) / 1000)); }

# 1. create → active
: > "$T/c"; : > "$T/v"
for i in $(seq $N); do
	t0=$(ms)
	vm create bench-$i --owner-wallet $OWNER --memory 128 --disk 1 --apply > "$T/out" 2>&1 || fail "create: $(cat "$T/out")"
	[ "$(vm status bench-$i)" = active ] || fail "not active"
	t1=$(ms); echo $(((t1 - t0) / 1000)) >> "$T/c"
	vm destroy bench-$i > /dev/null 2>&1
	as_user qemu-img create -q -f qcow2 -F qcow2 -b "$STATE/templates/blockhost-base.qcow2" "$STATE/vms/peer-$i.qcow2"
	cat > "$T/peer-$i.xml" <<XML
<domain type='qemu'><name>peer-$i</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type></os><devices><disk type='file' device='disk'>
<driver name='qemu' type='qcow2'/><source file='$STATE/vms/peer-$i.qcow2'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>
XML
	chmod 0644 "$T/peer-$i.xml"
	t0=$(ms)
	virsh_u define "$T/peer-$i.xml" > /dev/null && virsh_u start peer-$i > /dev/null
	t1=$(ms); echo $(((t1 - t0) / 1000)) >> "$T/v"
	virsh_u destroy peer-$i > /dev/null; virsh_u undefine peer-$i > /dev/null
done
c=$(median < "$T/c"); v=$(median < "$T/v")
echo "create→active: blockhost-vm-create ${c} us (median of $N) vs virsh define+start ${v} us: ratio $(awk "BEGIN{printf \"%.2f\", $c/$v}")"

# 2./3. 1,000 records (mock creates register without libvirt; no address pools)
echo '{ "db_file": "/var/lib/blockhost/vms.json", "default_expiry_days": 30 }' > "$R/etc/blockhost/db.json"
vm create bench-live --owner-wallet $OWNER --memory 128 --disk 1 --apply > "$T/out" 2>&1 || fail "create: $(cat "$T/out")"
for i in $(seq 999); do vm create rec-$i --owner-wallet $OWNER --mock --apply > /dev/null 2>&1 || fail "mock $i"; done
python3 -c 'import json,sys; n=sum(1 for r in json.load(open(sys.argv[1]))["vms"].values() if r["status"]!="destroyed"); assert n==1000, n' "$DB"
: > "$T/s"; : > "$T/p"; : > "$T/l"; : > "$T/q"
for i in $(seq 20); do
	time_it vm status bench-live >> "$T/s"
	time_it virsh_u domstate bench-live >> "$T/p"
	time_it vm list >> "$T/l"
	time_it as_user sh -c "python3 -c 'import json; json.load(open(\"$DB\"))' && virsh -c qemu:///session list --all" >> "$T/q"
done
s=$(median < "$T/s"); p=$(median < "$T/p"); l=$(median < "$T/l"); q=$(median < "$T/q")
echo "status (1,000 records): ${s} us vs virsh domstate ${p} us: ratio $(awk "BEGIN{printf \"%.2f\", $s/$p}")"
echo "list (1,000 records): ${l} us vs python3 json.load + virsh list ${q} us: ratio $(awk "BEGIN{printf \"%.2f\", $l/$q}")"
vm destroy bench-live > /dev/null 2>&1
