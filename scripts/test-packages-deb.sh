#!/usr/bin/env bash
# make test-packages: the .debs on a real Debian 12 with real systemd.
#  1. builds the packages (scripts/build-debs.sh) and a rebuilt version (<v>+test1) of them;
#  2. installs the first into a debootstrapped Debian 12 image (blockhost-build-template,
#     the VM template builder, with the .debs as its packages) and boots it under qemu
#     (KVM when /dev/kvm is usable, else TCG) with swtpm as its TPM and the guest agent;
#  3. before set-up: every unit enabled, the host units not started (condition unmet),
#     web3-auth-svc running;
#  4. set-up (keystore init, web3-defaults.json naming an anvil on the host, the marker):
#     root agent, keystore and engine active; `blockhost-engine status` answers; each
#     daemon's /proc/PID/status (uid, NoNewPrivs, Seccomp, CapEff/CapPrm/CapBnd) is what
#     policy/ says; live `systemd-analyze security` equals the offline figure;
#  5. upgrade to the rebuilt version (an ISO attached as a CD): still enabled, the engine
#     running again (restarted);
#  6. purge: prints what it deletes, and no file of ours is left.
# Heavy (an image build and a VM boot): run under `flock /work/heavy.lock`; a release-time
# target, not part of make check or CI (docs/packaging.md).  TEST_PACKAGES_DIR (default
# build-test-packages/) keeps the logs and the guest's console.
set -euo pipefail
source "$(dirname "$0")/../tests/lib.sh"
cd "$TOP"
W=$(realpath -m "${TEST_PACKAGES_DIR:-build-test-packages}")
QGA_PY="$TOP/scripts/test-packages-deb-qga.py"
for t in qemu-system-x86_64 qemu-img swtpm xorriso debootstrap systemd-analyze dpkg-buildpackage; do
	command -v "$t" > /dev/null || skip "$t missing (make deps)"
done
[ "$(id -u)" = 0 ] || skip "needs root (image build: loop devices, chroot)"
mkdir -p "$W"
bad=0
err() { echo "FAIL: $*"; bad=$((bad + 1)); }
say() { echo "== $*"; }

# ---- 1. packages, twice (v1 installed, v2 the upgrade).  TEST_PACKAGES_REUSE=1 keeps the
# packages and the image of the previous run (to re-run the VM part only)
v1=$(dpkg-parsechangelog -S Version)
v2="$v1+test1"
if [ "${TEST_PACKAGES_REUSE:-0}" = 1 ] && [ -f "$W/base.qcow2" ] && [ -f "$W/v2.iso" ]; then
	say "reusing the packages and the image in $W"
else
say "building the packages"
NOLINTIAN=1 scripts/build-debs.sh "$W/v1" > "$W/v1.log"
rm -rf "$W/v1debs" "$W/v2" && mkdir -p "$W/v1debs" "$W/v2/src" "$W/v2debs"
cp $(ls "$W"/v1/*.deb | grep -v dbgsym) "$W/v1debs/"
cp -a "$W/v1/src/blockhost-$v1" "$W/v2/src/blockhost-$v2"
( cd "$W/v2/src/blockhost-$v2" &&
  { printf 'blockhost (%s) bookworm; urgency=medium\n\n  * Rebuild for make test-packages (upgrade test).\n\n -- BlockHost developers <dev@blockhost.invalid>  %s\n\n' \
	"$v2" "$(date -R -u -d @$(( $(dpkg-parsechangelog -S Timestamp) + 60 )))"; cat debian/changelog; } > debian/changelog.new &&
  mv debian/changelog.new debian/changelog &&
  DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b ) > "$W/v2.log" 2>&1 || fail "rebuild as $v2 failed ($W/v2.log)"
cp $(ls "$W"/v2/src/*.deb | grep -v dbgsym) "$W/v2debs/"
xorriso -as mkisofs -quiet -o "$W/v2.iso" -V BHDEBS -J -r "$W/v2debs" 2> "$W/iso.log" || fail "ISO failed ($W/iso.log)"

# ---- 2. the image and the VM
say "building the Debian 12 image with the packages (blockhost-build-template)"
make -j1 "$BUILD/bin/blockhost-build-template" > /dev/null
install -D -m 0644 src/pam/vm/50-blockhost.conf "$BLOCKHOST_ROOT/usr/share/blockhost/vm/50-blockhost.conf"
rm -rf "$W/tpl" && mkdir -p "$W/tpl"
"$BIN/blockhost-build-template" --output "$W/base.qcow2" --packages-dir "$W/v1debs" \
	--work-dir "$W/tpl" > "$W/template.log" 2>&1 || { tail -20 "$W/template.log"; fail "image build failed ($W/template.log)"; }
fi
rm -f "$W/run.qcow2"
qemu-img create -q -f qcow2 -b "$W/base.qcow2" -F qcow2 "$W/run.qcow2"

start_anvil
rm -rf "$W/tpm"; mkdir -p "$W/tpm"; rm -f "$W/swtpm.sock" "$W/qga.sock"
swtpm socket --tpm2 --tpmstate dir="$W/tpm" --ctrl type=unixio,path="$W/swtpm.sock" \
	--log file="$W/swtpm.log",level=1 < /dev/null &
bh_track $!
for _ in $(seq 50); do [ -S "$W/swtpm.sock" ] && break; sleep 0.1; done
# TEST_PACKAGES_ACCEL=tcg (default) | kvm.  TCG by default: on a nested-virtualisation build
# machine /dev/kvm opens but the guest dies with "KVM internal error" in its boot loader
case ${TEST_PACKAGES_ACCEL:-tcg} in
kvm) accel="-accel kvm -cpu host" ;;
*) accel="-accel tcg" ;;
esac
say "booting ($accel)"
qemu-system-x86_64 $accel -m 1536 -smp 2 -display none -no-reboot \
	-drive file="$W/run.qcow2",if=virtio,format=qcow2 \
	-drive file="$W/v2.iso",media=cdrom,readonly=on \
	-nic user,model=virtio-net-pci \
	-chardev socket,id=chrtpm,path="$W/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm \
	-device tpm-tis,tpmdev=tpm0 \
	-chardev socket,id=qga0,path="$W/qga.sock",server=on,wait=off \
	-device virtio-serial -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
	-serial file:"$W/console.log" > "$W/qemu.log" 2>&1 &
bh_track $!
python3 "$QGA_PY" "$W/qga.sock" wait 600 || { tail -30 "$W/console.log"; fail "the guest agent never answered"; }
G() { python3 "$QGA_PY" "$W/qga.sock" exec "$1" "${2:-120}"; }
G 'systemctl is-system-running --wait' 300 > /dev/null 2>&1 || true

HOST_UNITS="blockhost-root-agent.service blockhost-keystore.service blockhost-engine.service"
ALL_UNITS="$HOST_UNITS blockhost-gc.timer blockhost-signup.socket web3-auth-svc.service"
PKGS="blockhost-policy blockhost-common blockhost-keystore blockhost-root-agent blockhost-engine-evm blockhost-provisioner-libvirt blockhost-signup libpam-web3"

# ---- 3. before set-up
say "before set-up"
bad_before=$bad
for p in $PKGS; do
	v=$(G "dpkg-query -W -f '\${Version}' $p" || true)
	[ "$v" = "$v1" ] || err "$p: installed version '$v', expected $v1"
done
for u in $ALL_UNITS; do
	e=$(G "systemctl is-enabled $u" || true)
	[ "$e" = enabled ] || err "$u is '$e', expected enabled"
done
for u in $HOST_UNITS; do
	s=$(G "systemctl show -p ActiveState --value $u; systemctl show -p ConditionResult --value $u" | tr '\n' ' ' || true)
	[ "$s" = "inactive no " ] || err "$u before set-up: '$s', expected 'inactive no' (not started: no marker)"
done
# the signup socket must not listen on 443 before set-up either
s=$(G "systemctl show -p ActiveState --value blockhost-signup.socket; systemctl show -p ConditionResult --value blockhost-signup.socket" | tr '\n' ' ' || true)
[ "$s" = "inactive no " ] || err "blockhost-signup.socket before set-up: '$s', expected 'inactive no'"
s=$(G 'systemctl is-active web3-auth-svc.service' || true)
[ "$s" = active ] || err "web3-auth-svc.service is '$s' (journal: $(G 'journalctl -b -u web3-auth-svc --no-pager | tail -n 5' | tr '\n' '|'))"
[ "$bad" != "$bad_before" ] || ok "before set-up: $(echo $PKGS | wc -w) packages at $v1, units enabled, host units waiting for the marker"

# ---- 4. set-up and the running daemons
say "set-up: keystore init, chain config, the marker"
addr=$(G 'blockhost-keystore init 2>&1' 120) || err "blockhost-keystore init: $addr"
G "cat > /etc/blockhost/web3-defaults.json <<'J'
{\"blockchain\": {\"chain_id\": 31337, \"rpc_url\": \"http://10.0.2.2:$ANVIL_PORT\",
 \"subscription_contract\": \"0x00000000000000000000000000000000000b0001\",
 \"nft_contract\": \"0x00000000000000000000000000000000000b0002\"}}
J
chmod 0640 /etc/blockhost/web3-defaults.json; chgrp blockhost /etc/blockhost/web3-defaults.json
touch /var/lib/blockhost/.setup-complete
systemctl start $HOST_UNITS" 120 || err "starting the host units failed"
sleep 8
for u in $HOST_UNITS web3-auth-svc.service; do
	s=$(G "systemctl is-active $u" || true)
	[ "$s" = active ] || err "$u is '$s' after set-up: $(G "journalctl -b -u $u --no-pager | tail -n 6" | tr '\n' '|')"
done
# a daemon killed by its own seccomp filter (status=31/SYS): the kernel's audit record names
# the system call (type=1326 ... syscall=N)
G "journalctl -k -b --no-pager | grep -E 'type=1326|SECCOMP' | tail -n 5" 2>/dev/null | sed 's/^/    seccomp: /' || true
st=$(G 'runuser -u blockhost-engine -- blockhost-engine status 2>&1') || err "blockhost-engine status failed: $st"
echo "$st" | sed 's/^/    status: /' | head -n 8

# /proc/PID/status against policy/: identity, no_new_privs, seccomp, capabilities
capmask() { # "CAP_A, CAP_B" -> %016x
	python3 - "$1" <<'PY'
import sys
names = ["CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL","SETGID","SETUID","SETPCAP",
 "LINUX_IMMUTABLE","NET_BIND_SERVICE","NET_BROADCAST","NET_ADMIN","NET_RAW","IPC_LOCK","IPC_OWNER",
 "SYS_MODULE","SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN","SYS_BOOT","SYS_NICE",
 "SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG","MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP",
 "MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND","AUDIT_READ","PERFMON","BPF","CHECKPOINT_RESTORE"]
m = 0
for c in sys.argv[1].replace(",", " ").split():
    m |= 1 << names.index(c.replace("CAP_", ""))
print("%016x" % m)
PY
}
pol() { sed -n "/^\[$2\]/,/^\[/p" "policy/$1.policy" | sed 's/#.*//' | sed -n "s/^$3[[:space:]]*=[[:space:]]*//p" | sed 's/[[:space:]]*$//'; }
for pair in blockhost-root-agent.service:blockhost-root-agent blockhost-keystore.service:blockhost-keystore \
	    blockhost-engine.service:blockhost-engine web3-auth-svc.service:web3-auth-svc; do
	u=${pair%%:*} svc=${pair#*:}
	pid=$(G "systemctl show -p MainPID --value $u" || echo 0)
	[ "${pid:-0}" != 0 ] || { err "$u has no main PID"; continue; }
	ps=$(G "cat /proc/$pid/status") || { err "$u: /proc/$pid/status unreadable"; continue; }
	f() { echo "$ps" | sed -n "s/^$1:[[:space:]]*//p" | awk '{print $1}'; }
	want_uid=$(G "id -u $(pol "$svc" identity user)" || true)
	keep=$(capmask "$(pol "$svc" capabilities keep)")
	[ "$(f Uid)" = "$want_uid" ] || err "$u: uid $(f Uid), policy user $(pol "$svc" identity user) is $want_uid"
	[ "$(f NoNewPrivs)" = 1 ] || err "$u: NoNewPrivs $(f NoNewPrivs)"
	[ "$(f Seccomp)" = 2 ] || err "$u: Seccomp $(f Seccomp) (2 = filter)"
	[ "$(f CapEff)" = "$keep" ] || err "$u: CapEff $(f CapEff), policy keep = $keep"
	[ "$(f CapPrm)" = "$keep" ] || err "$u: CapPrm $(f CapPrm), policy keep = $keep"
	[ "$(f CapAmb)" = 0000000000000000 ] || err "$u: CapAmb $(f CapAmb)"
	bnd=$(f CapBnd); bnd=${bnd:-ffffffffffffffff}
	# the bounding set: nothing beyond keep (the agent's is exactly keep: its plugins'
	# ceiling); a daemon that dropped to its user may have emptied it altogether
	[ $(( 0x$bnd & ~0x$keep )) = 0 ] || err "$u: CapBnd $bnd holds more than policy keep $keep"
	[ "$svc" != blockhost-root-agent ] || [ "$bnd" = "$keep" ] || err "$u: CapBnd $bnd, policy keep $keep"
	live=$(G "systemd-analyze security $u 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'" || true)
	off=$(systemd-analyze security --offline=true "systemd/$u" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ "$live" = "$off" ] || err "$u: live exposure '$live', offline $off"
	printf '    %-30s pid %-6s uid %-5s seccomp %s nnp %s CapEff %s CapBnd %s exposure live %s offline %s\n' \
		"$u" "$pid" "$(f Uid)" "$(f Seccomp)" "$(f NoNewPrivs)" "$(f CapEff)" "$bnd" "$live" "$off"
done

# ---- 5. upgrade
say "upgrade to $v2"
bad_before=$bad
pid_before=$(G 'systemctl show -p MainPID --value blockhost-engine.service' || true)
G 'mkdir -p /mnt/bhdebs && mount -o ro /dev/sr0 /mnt/bhdebs && dpkg -i /mnt/bhdebs/*.deb && umount /mnt/bhdebs' 600 \
	> "$W/upgrade.log" 2>&1 || err "upgrade failed ($W/upgrade.log)"
sleep 5
for p in $PKGS; do
	v=$(G "dpkg-query -W -f '\${Version}' $p" || true)
	[ "$v" = "$v2" ] || err "$p: version '$v' after the upgrade, expected $v2"
done
for u in $ALL_UNITS; do
	e=$(G "systemctl is-enabled $u" || true)
	[ "$e" = enabled ] || err "$u is '$e' after the upgrade (upstream's prerm disabled it)"
done
s=$(G 'systemctl is-active blockhost-engine.service' || true)
pid_after=$(G 'systemctl show -p MainPID --value blockhost-engine.service' || true)
[ "$s" = active ] || err "engine '$s' after the upgrade"
[ "$pid_after" != "$pid_before" ] || err "engine not restarted by the upgrade (pid $pid_before)"
[ "$bad" != "$bad_before" ] || ok "upgrade: enabled units still enabled, engine running (pid $pid_before -> $pid_after)"

# ---- 6. purge
say "purge"
G "dpkg -L $PKGS 2>/dev/null | sort -u > /root/ours.txt" || true
G "apt-get purge -y $PKGS 2>&1" 600 > "$W/purge.log" || err "purge failed ($W/purge.log)"
grep 'purge: deleting' "$W/purge.log" | sed 's/^/    /' || true
grep -q 'purge: deleting the sealed host keys' "$W/purge.log" || err "purge did not say it deleted the keys"
left=$(G 'while read -r f; do
	if [ -d "$f" ]; then
		case $f in *blockhost*|*pam-web3*|*pam_web3*) echo "$f/";; esac
	elif [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
done < /root/ours.txt
for d in /etc/blockhost /var/lib/blockhost /run/blockhost /var/lib/blockhost-root-agent /etc/libpam-web3 /run/libpam-web3; do
	[ -e "$d" ] && echo "$d"
done
find /etc/systemd /usr/lib/sysusers.d /usr/lib/tmpfiles.d -name "blockhost*" -o -name "web3-auth*" -o -name "libpam-web3*" 2>/dev/null
true' || true)
[ -z "$left" ] || err "purge left files of ours: $(echo "$left" | tr '\n' ' ')"
G 'poweroff' 10 > /dev/null 2>&1 || true

[ "$bad" = 0 ] || fail "$bad checks failed (logs in $W)"
ok "packages installed, ran under systemd as policy/ says, upgraded and purged cleanly"
