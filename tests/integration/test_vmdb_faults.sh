#!/usr/bin/env bash
# vms.json under worse faults (issue 11 item 8): several writers SIGKILLed at once
# (tests/helpers/vmdb_faults.c), a full disk (a small tmpfs this test mounts, filled to
# several levels), a read-only remount, and a disk error (EIO) injected at each step of
# the atomic write and on the read (tests/helpers/faultinj.so).  Each time: the file is valid JSON, holds
# exactly the committed state (byte for byte when the write failed), no temp file is
# left, no address leaked or handed out twice, and the error names the file and cause.
. "$(dirname "$0")/../lib.sh"

H="$BUILD/helpers/vmdb_faults"; FI="$BUILD/helpers/faultinj.so"
VMDB="$BIN/blockhost-vmdb"
for f in "$H" "$FI" "$VMDB"; do [ -e "$f" ] || fail "missing $f (CHECK_DEPS of src/tools/module.mk)"; done
[ "$(id -u)" = 0 ] || skip "needs root to mount a small filesystem"
OWNER=0x00000000000000000000000000000000000000aa

# 1. several writers killed at once
D="$T/multi"; mkdir -p "$D"
seed=${VMDB_FAULTS_SEED:-$RANDOM}
echo "seed $seed"
"$H" "$D" 4 "${VMDB_FAULTS_ROUNDS:-500}" "$seed" || fail "multi-writer kill check (seed $seed)"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$D/vms.json" || fail "python cannot read vms.json"
ok "4 writers SIGKILLed at once, many rounds: nothing lost or resurrected, no address leaked or doubled"

# the small filesystem
M="$T/small"; mkdir -p "$M"
mount -t tmpfs -o size=64k,nr_inodes=64,mode=0755 tmpfs "$M" || skip "cannot mount a tmpfs"
trap 'if mountpoint -q "$M"; then umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null || true; fi; bh_cleanup' EXIT
cat > "$T/db.json" <<JSON
{
  "ip_pool": { "network": "10.7.0.0/24", "start": 10, "end": 250, "gateway": "10.7.0.1" },
  "ipv6_pool": { "prefix": "2001:db8:7::/64", "start": 10, "end": 250 } }
JSON
V() { "$VMDB" --config "$T/db.json" --db "$M/vms.json" "$@"; }
DB="$M/vms.json"
V init > /dev/null
V register keep --owner $OWNER --network-mode none --ip auto --ipv6 auto > /dev/null

# check_db: valid JSON, no temp file, allocated_* exactly the live records' addresses
check_db() {
	[ -z "$(ls -A "$M" | grep '^\.vms\.json\.tmp\.')" ] || fail "$1: temp file left: $(ls -A "$M")"
	python3 - "$DB" "$1" <<'PY' || fail "$1: database state"
import json, sys
d = json.load(open(sys.argv[1]))
live = [r for r in d["vms"].values() if r["status"] != "destroyed"]
for fam, lst in (("ip_address", "allocated_ips"), ("ipv6_address", "allocated_ipv6")):
    used = [r[fam] for r in live if r.get(fam)]
    assert len(used) == len(set(used)), (sys.argv[2], "address used twice", used)
    assert set(d.get(lst, [])) == set(used), (sys.argv[2], "leaked or missing", lst, d.get(lst), used)
PY
}
# expect_refused LABEL EXPECTED-TEXT CMD...: exit 2, the text on stderr, file unchanged
expect_refused() {
	local label=$1 want=$2 rc=0; shift 2
	cp "$DB" "$T/before.json"
	"$@" > "$T/out" 2> "$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "$label: exit $rc, want 2: $(cat "$T/err")"
	grep -qF -- "$want" "$T/err" || fail "$label: stderr lacks '$want': $(cat "$T/err")"
	cmp -s "$T/before.json" "$DB" || fail "$label: vms.json changed by a failed write"
	check_db "$label"
	echo "# $label: $(cat "$T/err")"
}

# 2. a full disk, at several fill levels (0..3 pages left): each write either fails
#    cleanly with ENOSPC or succeeds completely
PURPOSE=$(printf 'p%.0s' $(seq 256))
n=0; refused=0
for left in 0 1 2 3 0 1; do
	rm -f "$M/fill"
	dd if=/dev/zero of="$M/fill" bs=4096 2>/dev/null || true   # until ENOSPC
	[ "$left" = 0 ] || truncate -s "-$((left * 4096))" "$M/fill"
	for i in 1 2 3; do
		n=$((n + 1))
		cp "$DB" "$T/before.json"; rc=0
		V register "full-$n" --owner $OWNER --network-mode none --ip auto --ipv6 auto \
			--purpose "$PURPOSE" > "$T/out" 2> "$T/err" || rc=$?
		if [ "$rc" = 0 ]; then
			V get-vm "full-$n" > /dev/null || fail "full-$n registered but not readable"
		else
			[ "$rc" = 2 ] || fail "full disk: exit $rc: $(cat "$T/err")"
			grep -qF "$DB: write failed: No space left on device" "$T/err" ||
				fail "full disk message: $(cat "$T/err")"
			cmp -s "$T/before.json" "$DB" || fail "full disk: vms.json changed by a failed write"
			refused=$((refused + 1))
		fi
		check_db "full disk ($left pages left, try $i)"
	done
done
[ "$refused" -gt 0 ] || fail "the disk never filled up"
echo "# full disk: $n registrations tried, $refused refused with ENOSPC, the rest written"
rm -f "$M/fill"
V register after-full --owner $OWNER --network-mode none --ip auto --ipv6 auto > /dev/null ||
	fail "register after the disk was freed"
check_db "after the disk was freed"
ok "full disk: every failed write left vms.json byte-identical, no temp file, no leaked address"

# 3. read-only remount: readers keep working, writers fail clearly
mount -o remount,ro "$M"
V get-vm keep > /dev/null || fail "get-vm on a read-only filesystem"
V list > /dev/null || fail "list on a read-only filesystem"
expect_refused "read-only fs" "$DB: write failed: Read-only file system" \
	V register ro-1 --owner $OWNER --network-mode none --ip auto
mount -o remount,rw "$M"
ok "read-only filesystem: reads work, the write fails naming the file and EROFS"

# 4. a disk error (EIO) at each step of the atomic write
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
for p in open fchmod fchown write fsync close rename; do
	expect_refused "EIO at $p" "$DB: write failed: Input/output error" \
		env BH_FAULT=$p LD_PRELOAD="$FI" "$VMDB" --config "$T/db.json" --db "$DB" \
		register "eio-$p" --owner $OWNER --network-mode none --ip auto --ipv6 auto
	expect_refused "EIO at $p (release)" "$DB: write failed: Input/output error" \
		env BH_FAULT=$p LD_PRELOAD="$FI" "$VMDB" --config "$T/db.json" --db "$DB" mark-destroyed keep
done
# a read error while loading: reader and writer both refuse, naming the file, change nothing
expect_refused "EIO reading (get-vm)" "$DB: cannot read: Input/output error" \
	env BH_FAULT=read LD_PRELOAD="$FI" "$VMDB" --config "$T/db.json" --db "$DB" get-vm keep
expect_refused "EIO reading (register)" "$DB: cannot read: Input/output error" \
	env BH_FAULT=read LD_PRELOAD="$FI" "$VMDB" --config "$T/db.json" --db "$DB" \
	register eio-read --owner $OWNER --network-mode none --ip auto
# after the rename the new content is in place: the call must say so (exit 0), or a
# caller would undo a registration whose record and address stayed (vmdb.c written();
# bh_atomic_write itself still reports the EIO, for callers that fail closed)
BH_FAULT=dirfsync LD_PRELOAD="$FI" V register eio-dir --owner $OWNER --network-mode none \
	--ip auto --ipv6 auto > /dev/null || fail "EIO at the directory fsync reported as a failed write"
V get-vm eio-dir > /dev/null || fail "eio-dir not registered"
check_db "EIO at the directory fsync"
ok "EIO at open/fchmod/fchown/write/fsync/close/rename and on read: clear error, file unchanged; at the directory fsync after the rename: reported done"
umount "$M" || { fuser -vm "$M" 2>&1; fail "umount $M"; }
