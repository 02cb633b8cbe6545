#!/usr/bin/env bash
# Provisioner failure injection: every failed create exits 1 with a JSON error and leaves
# nothing behind (vms.json records and address pools, disk dir, seed dir, domain list).
# Agent down, disk full (a small tmpfs), libvirt refusing (domain name clash, an emulator
# libvirt rejects, unreachable URI), guest agent absent (create wait, update-gecos,
# guest-exec), bad input, a stale provisioning lock.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/prov_lib.sh"

start_session_libvirt
start_agent
expect_error() { grep -q '^{"status":"error","error":' "$T/out" || fail "no JSON error: $(cat "$T/out")"; }

# bad input: refused before anything is allocated
expect_rc 1 vm create 'bad name' --owner-wallet $OWNER --apply; expect_error
expect_rc 2 vm create -x --owner-wallet $OWNER --apply
expect_rc 1 vm create bh-in --owner-wallet 0x1234 --apply; expect_error
expect_rc 1 vm create bh-in --owner-wallet $OWNER --username Root --apply; expect_error
nothing_leaked bh-in
ok "bad name / wallet / username refused"
# a verb under an identity other than its policy's (here root, and nobody without the
# agent's group) refuses to start, naming both
rc=0; "$BIN/blockhost-vm-metrics" nosuch > "$T/out" 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "identity: running as uid 0 gid 0 .*blockhost-provisioner.policy \[identity\] says user nobody" "$T/err" ||
	fail "verb as root: rc $rc $(cat "$T/err")"
rc=0; setpriv --reuid=$PUID --regid=$PGID --clear-groups "$BIN/blockhost-vm-metrics" nosuch > "$T/out" 2> "$T/err" || rc=$?
[ $rc != 0 ] && grep -q "identity: running as uid 65534 gid 65534 groups \[\], but" "$T/err" ||
	fail "verb without its supplementary group: rc $rc $(cat "$T/err")"
ok "provisioner verbs refuse an identity other than their policy's"
# a system call outside the filter kills a verb (test build with the BH_TEST_HOOKS hook)
TESTD="$BUILD/tests/helpers/bh-prov-testd"
[ -x "$TESTD" ] || fail "$TESTD not built"
for v in metrics list status create; do   # create too: its seed helper is forked before the filter
	rc=0; as_user BH_TEST_FORBIDDEN_SYSCALL=1 "$TESTD" $v nosuch > "$T/out" 2> "$T/err" || rc=$?
	[ $rc = 159 ] && grep -q "calling mount(2) under the filter" "$T/err" ||
		fail "vm-$v forbidden syscall: exit $rc, expected 159 (SIGSYS): $(cat "$T/err")"
done
! grep -aq BH_TEST_FORBIDDEN_SYSCALL "$BIN/blockhost-vm" || fail "production blockhost-vm has the test hook"
ok "provisioner verbs: a syscall outside the filter kills them with SIGSYS"
# build-template (root) under seccomp/blockhost-build-template: its builder dies with
# SIGSYS, and its runner (forked before the filter) removes the work directory at EOF
mkdir -p "$T/tpl-work"
rc=0; BH_TEST_FORBIDDEN_SYSCALL=1 "$TESTD" build-template --work-dir "$T/tpl-work" \
	--output "$T/tpl-out/base.qcow2" --mirror http://127.0.0.1:9/debian > "$T/out" 2> "$T/err" || rc=$?
[ $rc = 159 ] && grep -q "calling mount(2) under the filter" "$T/err" ||
	fail "build-template forbidden syscall: exit $rc, expected 159 (SIGSYS): $(cat "$T/err")"
for _ in $(seq 100); do [ -z "$(ls -A "$T/tpl-work")" ] && break; sleep 0.05; done
[ -z "$(ls -A "$T/tpl-work")" ] || fail "build-template killed: work directory left: $(ls "$T/tpl-work")"
# ... and under another identity than its policy's (root without capabilities) it refuses
sed -i 's/^user = root$/user = nobody/' "$BLOCKHOST_POLICY_DIR/blockhost-build-template.policy"
rc=0; "$BIN/blockhost-build-template" --work-dir "$T/tpl-work" --output "$T/tpl-out/base.qcow2" \
	--mirror http://127.0.0.1:9/debian > "$T/out" 2> "$T/err" || rc=$?
sed -i 's/^user = nobody$/user = root/' "$BLOCKHOST_POLICY_DIR/blockhost-build-template.policy"
[ $rc = 1 ] && grep -q "blockhost-build-template.policy \[identity\] says user nobody" "$T/err" ||
	fail "build-template, wrong identity: rc $rc $(cat "$T/err")"
for _ in $(seq 100); do [ -z "$(ls -A "$T/tpl-work")" ] && break; sleep 0.05; done
[ -z "$(ls -A "$T/tpl-work")" ] || fail "build-template refused: work directory left: $(ls "$T/tpl-work")"
ok "build-template: a syscall outside its filter kills the builder (SIGSYS), a wrong identity is refused; the runner cleans up"

# 1. agent down
stop_agent
expect_rc 1 vm create bh-a --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -q 'root agent domain-define: not reachable: is blockhost-root-agent running?' "$T/err" &&
	grep -q 'is blockhost-root-agent running?' "$T/out" || fail "agent-down message: $(cat "$T/out" "$T/err")"
nothing_leaked bh-a
expect_rc 1 vm start bh-a
expect_rc 0 vm status bh-a; [ "$(cat "$T/out")" = destroyed ] || fail "status"
start_agent
ok "agent down: clean error, IPs/disk/seed released"

# 2. disk full: the storage dir is a 64 KiB tmpfs
mkdir -p "$STATE/small"
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$STATE/small"; PROV_MOUNTS+=("$STATE/small")
chown $PUID:$PGID "$STATE/small"
STORAGE=/var/lib/blockhost/small write_prov_conf
export STORAGE=/var/lib/blockhost/small
expect_rc 1 vm create bh-full --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -Eqi 'No space left|disk' "$T/err" || fail "disk-full message: $(cat "$T/err")"
nothing_leaked bh-full
[ -z "$(ls -A "$STATE/small")" ] || fail "leftovers on the full disk: $(ls -A "$STATE/small")"
umount "$STATE/small"; unset STORAGE; write_prov_conf
ok "disk full: clean error, nothing left"

# 3a. libvirt refusing: a domain of that name already exists (not ours: must survive)
cat > "$T/clash.xml" <<XML
<domain type='qemu'><name>bh-clash</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os></domain>
XML
chmod 0644 "$T/clash.xml"
virsh_u define "$T/clash.xml" > /dev/null
expect_rc 1 vm create bh-clash --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -q "already exists" "$T/out" || fail "clash message: $(cat "$T/out")"
virsh_u list --all --name | grepq -x bh-clash || fail "the existing domain was removed"
[ ! -e "$STATE/vms/bh-clash.qcow2" ] && [ ! -e "$STATE/cloud-init/bh-clash" ] || fail "leak"
virsh_u undefine bh-clash > /dev/null
nothing_leaked bh-clash
ok "name clash: refused, the existing domain untouched, nothing leaked"

# 3b. libvirt refusing the definition (an emulator it cannot use): undo after define fails
write_prov_conf ', "emulator": "/bin/false"'
expect_rc 1 vm create bh-emu --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -q 'root agent domain-define' "$T/err" || fail "define message: $(cat "$T/err")"
nothing_leaked bh-emu
write_prov_conf
ok "libvirt refusing the domain: disk, seed, IPs released"

# 3c. unreachable libvirt URI: clean error before anything is allocated
URI="qemu+unix:///session?socket=$R/nonexistent.sock" write_prov_conf
expect_rc 1 vm create bh-uri --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
nothing_leaked bh-uri
expect_rc 0 vm status bh-uri; [ "$(cat "$T/out")" = unknown ] || fail "status with libvirt down: $(cat "$T/out")"
expect_rc 0 vm list; [ "$(head -1 "$T/out")" = "$(printf 'NAME\tSTATUS\tIP\tCREATED')" ] || fail list
expect_rc 1 as_user "$BIN/blockhost-provisioner-detect"
write_prov_conf
ok "unreachable libvirt: create fails cleanly; status unknown (exit 0); list header; detect 1"

# 4. guest agent absent: create waits, then undoes everything (domain included)
GA_TIMEOUT=2 write_prov_conf
expect_rc 1 vm create bh-ga --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -q 'guest agent did not answer within 2 s' "$T/out" || fail "ga message: $(cat "$T/out")"
nothing_leaked bh-ga
write_prov_conf
ok "guest agent absent at create: domain, disk, seed, IPs released"

# ... and for guest-side verbs on a running VM: exit 1 with a clean message
expect_rc 0 vm create bh-run --owner-wallet $OWNER --memory 128 --disk 1 --apply
expect_rc 1 vm update-gecos bh-run 0x00000000000000000000000000000000000000bb --nft-id 7
grep -qi 'guest agent' "$T/err" || fail "update-gecos message: $(cat "$T/err")"
expect_rc 1 vm guest-exec bh-run echo hi
grep -q '^\[vm-guest-exec\] .*guest agent' "$T/err" || fail "guest-exec message: $(cat "$T/err")"
expect_rc 1 vm update-gecos bh-run 0x1234 --nft-id 7
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["vms"]["bh-run"]; assert not r.get("gecos_synced"), r' "$DB"
ok "guest agent absent: update-gecos / guest-exec exit 1 with a clean message"
# an invalid --username is refused, never replaced by admin (whose GECOS it would write)
expect_rc 2 vm update-gecos bh-run 0x00000000000000000000000000000000000000bb --nft-id 7 --username 'Bad;user'
grep -q -- '--username: not a valid user name' "$T/err" && ! grep -q 'admin' "$T/err" ||
	fail "update-gecos --username: $(cat "$T/err")"
ok "update-gecos --username <invalid> refused with a clear error"

# 5. a stale provisioning lock (dead PID) is recovered; a duplicate name is refused
sleep 0 & dead=$!; wait $dead
echo $dead > "$R/run/blockhost/provisioning.lock"
expect_rc 1 vm create bh-run --owner-wallet $OWNER --memory 128 --disk 1 --apply; expect_error
grep -q 'already exists' "$T/out" || fail "duplicate: $(cat "$T/out")"
grep -q 'stale provisioning lock' "$T/err" || fail "stale lock: $(cat "$T/err")"
[ ! -e "$R/run/blockhost/provisioning.lock" ] || fail "lock left behind"
[ -e "$STATE/vms/bh-run.qcow2" ] || fail "the duplicate create removed the existing VM's disk"
expect_rc 0 vm destroy bh-run
nothing_leaked bh-run
ok "stale lock recovered; duplicate name refused without touching the existing VM"

# 6. a disk rewritten between create and start (backing file → a host file, a symlink,
#    an external data file) is refused by domain-start before libvirt opens it
expect_rc 0 vm create bh-tamper --owner-wallet $OWNER --memory 128 --disk 1 --apply
expect_rc 0 vm kill bh-tamper
D="$STATE/vms/bh-tamper.qcow2"; cp -p "$D" "$T/good.qcow2"
as_user qemu-img create -q -f qcow2 -F raw -b /etc/hostname -u "$T/evil.qcow2" 1G 2>/dev/null ||
	qemu-img create -q -f qcow2 -F raw -b /etc/hostname -u "$T/evil.qcow2" 1G
cp "$T/evil.qcow2" "$D"; chown $PUID:$PGID "$D"
expect_rc 1 vm start bh-tamper
grep -q 'backing file is not the configured template' "$T/err" || fail "backing: $(cat "$T/err")"
rm -f "$D"; ln -s "$T/good.qcow2" "$D"
expect_rc 1 vm start bh-tamper
grep -q 'is a symbolic link' "$T/err" || fail "symlink: $(cat "$T/err")"
rm -f "$D"; as_user qemu-img create -q -f qcow2 -o data_file="$STATE/data.raw" "$D" 1G
expect_rc 1 vm start bh-tamper
grep -q 'external data file' "$T/err" || fail "data file: $(cat "$T/err")"
rm -f "$D" "$STATE/data.raw"
cp -p "$T/good.qcow2" "$D"
expect_rc 0 vm start bh-tamper
expect_rc 0 vm destroy bh-tamper
nothing_leaked bh-tamper
ok "tampered disk (foreign backing file, symlink, external data file) refused at start"

# 7. with a bridge configured (after create: this VM has no NIC), start re-isolates its
#    ports (none) and destroy removes its IPv6 /128 route through the agent's networking
#    action; a route that cannot be removed is reported, destroy still completes
expect_rc 0 vm create bh-br --owner-wallet $OWNER --memory 128 --disk 1 --apply
write_prov_conf ', "bridge": "bhnobr0"'
expect_rc 0 vm kill bh-br
expect_rc 0 vm start bh-br
if [ -f "$ACT/ip6-route-del.sig" ]; then
	expect_rc 0 vm destroy bh-br
	grep -q 'ip6-route-del' "$T/err" && grep -q 'may be left on bhnobr0' "$T/err" ||
		fail "route removal not attempted: $(cat "$T/err")"
else
	expect_rc 0 vm destroy bh-br
fi
write_prov_conf
nothing_leaked bh-br
ok "bridge configured: start with no ports to isolate; destroy attempts the IPv6 route removal"

# 8. the sandbox is really applied: a broken seccomp file makes every verb fail closed
mkdir -p "$T/badseccomp"; cp "$TOP"/seccomp/*.inc "$T/badseccomp/"
printf 'include base.inc\nallow no_such_syscall\n' > "$T/badseccomp/blockhost-provisioner"
chmod -R a+rX "$T/badseccomp"
BLOCKHOST_SECCOMP_DIR="$T/badseccomp" expect_rc 0 vm status bh-run
[ "$(cat "$T/out")" = unknown ] && grep -q 'sandbox' "$T/err" || fail "status without sandbox: $(cat "$T/out" "$T/err")"
BLOCKHOST_SECCOMP_DIR="$T/badseccomp" expect_rc 0 vm list --format json
[ "$(cat "$T/out")" = "[]" ] && grep -q 'sandbox' "$T/err" || fail "list without sandbox"
BLOCKHOST_SECCOMP_DIR="$T/badseccomp" expect_rc 1 vm stop bh-run
# a policy file that cannot be read: named once, its errno once (not "...: X: X")
BLOCKHOST_POLICY_DIR="$T/nopolicy" expect_rc 1 vm stop bh-run
grep -q 'sandbox: .*nopolicy.*No such file or directory' "$T/err" &&
	[ "$(grep -o 'No such file or directory' "$T/err" | wc -l)" = 1 ] || fail "sandbox message: $(cat "$T/err")"
ok "verbs fail closed when their seccomp file is broken"

# 9. gc never reports "0 candidates" for a database it could not read
cp "$DB" "$T/db.save"
printf '{ not json' > "$DB"
expect_rc 1 vm gc
! grep -q 'candidates' "$T/out" && grep -q 'VM database' "$T/err" ||
	fail "gc on an unreadable database: $(cat "$T/out" "$T/err")"
cp "$T/db.save" "$DB"
expect_rc 0 vm gc
grep -q '^Suspend: [0-9]* candidates' "$T/out" || fail "gc after restore: $(cat "$T/out")"
ok "gc: an unreadable database is an error, not 0 candidates"

# 10. every verb answers --help and --version (exit 0) before any config or sandbox (an
#     empty BLOCKHOST_ROOT, no policy or seccomp files); an unknown flag is exit 2 naming it
mkdir -p "$T/empty"
for v in vm-create vm-destroy vm-start vm-stop vm-kill vm-status vm-list vm-metrics vm-throttle \
	 vm-gc vm-resume vm-update-gecos vm-guest-exec provisioner-detect build-template; do
	b="$BIN/blockhost-$v"
	env -i BLOCKHOST_ROOT="$T/empty" BLOCKHOST_POLICY_DIR="$T/empty" BLOCKHOST_SECCOMP_DIR="$T/empty" \
		"$b" --help > "$T/out" 2> "$T/err" && rc=0 || rc=$?
	[ $rc = 0 ] && grep -q "^usage: blockhost-" "$T/out" || fail "$v --help: rc=$rc $(cat "$T/out" "$T/err")"
	env -i BLOCKHOST_ROOT="$T/empty" "$b" --version > "$T/out" 2> "$T/err" && rc=0 || rc=$?
	[ $rc = 0 ] && grep -Eq "^blockhost-$v \(BlockHost libvirt provisioner\) [0-9]+\.[0-9]+" "$T/out" ||
		fail "$v --version: rc=$rc $(cat "$T/out" "$T/err")"
	env -i BLOCKHOST_ROOT="$T/empty" "$b" --no-such-flag > "$T/out" 2> "$T/err" && rc=0 || rc=$?
	[ $rc = 2 ] && grep -q "unknown option '--no-such-flag'" "$T/err" ||
		fail "$v --no-such-flag: rc=$rc $(cat "$T/out" "$T/err")"
done
# guest-exec: after the VM name the words are the guest's, flags included
expect_rc 1 vm guest-exec bh-run ls --help
! grep -q '^usage' "$T/out" || fail "guest-exec took the guest's --help"
expect_rc 2 vm create bh-x --owner-wallet
grep -q "option '--owner-wallet' needs a value" "$T/err" || fail "missing value: $(cat "$T/err")"
ok "--help/--version before config and sandbox; unknown flags exit 2 naming the flag"
