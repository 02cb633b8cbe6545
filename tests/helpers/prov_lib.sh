# Sourced by tests/integration/test_prov_*.sh after tests/lib.sh.
# A private provisioner host: the real root agent running the signed domain-* plugins,
# a qemu:///session libvirt daemon owned by an unprivileged user (nobody), and the
# blockhost-vm-* CLIs run as that same user with the agent's group (components.md §3).
[ "$(id -u)" = 0 ] || skip "provisioner integration tests need root (agent, setpriv)"
command -v libvirtd > /dev/null || skip "libvirtd missing"
command -v qemu-img > /dev/null || skip "qemu-img missing"
VM="$BIN/blockhost-vm"
AGENT_BIN="$BIN/blockhost-root-agent"
[ -x "$VM" ] && [ -x "$AGENT_BIN" ] && [ -f "$BUILD/prov-actions/domain-define.sig" ] ||
	fail "build first: make BUILD=... all \$(CHECK_DEPS)"

PUID=65534; PGID=65534          # the session user (also runs the CLIs, like 'blockhost')
AGENT_GROUP=${AGENT_GROUP:-users}
AGID=$(getent group "$AGENT_GROUP" | cut -d: -f3)
R=$BLOCKHOST_ROOT
ACT="$R/usr/share/blockhost/root-agent-actions"
KEYS="$T/plugin-keys"
SOCK="$R/run/blockhost/root-agent.sock"
# the session user's home (short: libvirt's channel socket paths live under it and must
# fit in sun_path)
VHOME=$(mktemp -d /tmp/bhv.XXXXXX)
STATE="$R/var/lib/blockhost"
DB="$STATE/vms.json"
OWNER=0x00000000000000000000000000000000000000aa

chmod 0755 "$T" "$R"
bh_agent_policy "$AGENT_GROUP"   # the agent's [socket] group and [callers] for the test group
# the verbs run as nobody:nogroup + the agent's group here (production: blockhost)
bh_policy_identity blockhost-provisioner nobody "$(getent group "$PGID" | cut -d: -f1)" "$AGENT_GROUP"
mkdir -p "$ACT" "$KEYS" "$R/run/blockhost" "$R/etc/blockhost" "$STATE/vms" "$STATE/cloud-init" \
	"$STATE/templates" "$VHOME/run" "$R/usr/share/blockhost/vm"
chown -R "$PUID:$PGID" "$STATE" "$VHOME"
chmod 0700 "$VHOME/run"
chgrp "$AGID" "$R/run/blockhost"; chmod 2775 "$R/run/blockhost"
cp "$BUILD"/agent-test-key/pub/*.pub "$KEYS/"
for f in "$BUILD"/prov-actions/domain-*; do
	case $f in *.manifest|*.sig) install -m 0644 "$f" "$ACT/" ;; *) install -m 0755 "$f" "$ACT/" ;; esac
done
# the agent's networking actions create/start/destroy call when a bridge is configured
for a in bridge-port-isolate ip6-route-add ip6-route-del; do
	[ -f "$BUILD/agent-actions/$a.sig" ] || continue
	install -m 0755 "$BUILD/agent-actions/$a" "$ACT/"
	install -m 0644 "$BUILD/agent-actions/$a.manifest" "$BUILD/agent-actions/$a.sig" "$ACT/"
done
# the VM-side files shipped by the pam component, when built in this tree
for f in pam.d-sshd 50-blockhost.conf; do
	[ -f "$TOP/src/pam/vm/$f" ] && cp "$TOP/src/pam/vm/$f" "$R/usr/share/blockhost/vm/"
done

# write_prov_conf [extra json members]
write_prov_conf() {
	local type=qemu
	cat > "$R/etc/blockhost/libvirt.json" <<JSON
{ "uri": "${URI:-qemu:///session}", "domain_type": "$type", "guest_agent_timeout": ${GA_TIMEOUT:-0},
  "template": "/var/lib/blockhost/templates/blockhost-base.qcow2",
  "storage_path": "${STORAGE:-/var/lib/blockhost/vms}",
  "cloud_init_dir": "/var/lib/blockhost/cloud-init",
  "session_user": { "uid": $PUID, "gid": $PGID, "home": "$VHOME", "runtime_dir": "$VHOME/run" } ${1:-} }
JSON
	chmod 0644 "$R/etc/blockhost/libvirt.json"
}
write_prov_conf
cat > "$R/etc/blockhost/db.json" <<'JSON'
{ "db_file": "/var/lib/blockhost/vms.json",
  "ip_pool": { "network": "192.168.122.0/24", "start": 200, "end": 203, "gateway": "192.168.122.1" },
  "ipv6_pool": { "prefix": "2001:db8:7::/64", "start": 2, "end": 254 },
  "default_expiry_days": 30, "gc_grace_days": 7 }
JSON
chmod 0644 "$R/etc/blockhost/db.json"

# as_user CMD...: run as the session user with the agent group and its libvirt env
as_user() {
	setpriv --reuid=$PUID --regid=$PGID --groups="$AGID" --inh-caps=-all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$VHOME" XDG_RUNTIME_DIR="$VHOME/run" \
		BLOCKHOST_ROOT="$R" BLOCKHOST_POLICY_DIR="$BLOCKHOST_POLICY_DIR" \
		BLOCKHOST_SECCOMP_DIR="${BLOCKHOST_SECCOMP_DIR}" ${BLOCKHOST_NOW:+BLOCKHOST_NOW=$BLOCKHOST_NOW} \
		${BLOCKHOST_SECCOMP_DEBUG:+BLOCKHOST_SECCOMP_DEBUG=$BLOCKHOST_SECCOMP_DEBUG} "$@"
}
# the same, replacing the shell (so `as_user_exec ... &` leaves $! = the daemon's PID)
as_user_exec() {
	exec setpriv --reuid=$PUID --regid=$PGID --groups="$AGID" --inh-caps=-all \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$VHOME" XDG_RUNTIME_DIR="$VHOME/run" \
		BLOCKHOST_ROOT="$R" "$@"
}
vm() { local v=$1; shift; as_user "$BIN/blockhost-vm-$v" "$@"; }
virsh_u() { as_user virsh -c qemu:///session "$@"; }

as_user qemu-img create -q -f qcow2 "$STATE/templates/blockhost-base.qcow2" 16M

# the session daemons, started by PID (not auto-spawned) so they can be stopped by PID
start_session_libvirt() {
	as_user_exec /usr/sbin/virtlogd > "$T/virtlogd.log" 2>&1 &
	bh_track $!
	as_user_exec /usr/sbin/libvirtd > "$T/libvirtd.log" 2>&1 &
	LIBVIRTD_PID=$!; bh_track "$LIBVIRTD_PID"
	for _ in $(seq 100); do
		[ -S "$VHOME/run/libvirt/libvirt-sock" ] && virsh_u list > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$T/libvirtd.log"; fail "session libvirtd did not start"
}

# At exit: power off every session domain (their qemu processes would outlive libvirtd),
# unmount what the test mounted, then lib.sh's cleanup stops the daemons by PID.
PROV_MOUNTS=()
prov_cleanup() {
	local d m
	if [ -n "${LIBVIRTD_PID:-}" ]; then
		for d in $(virsh_u list --name 2>/dev/null); do virsh_u destroy "$d" > /dev/null 2>&1 || true; done
	fi
	for m in "${PROV_MOUNTS[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	bh_cleanup
	rm -rf "$VHOME"
}
trap prov_cleanup EXIT

start_agent() {
	"$AGENT_BIN" --keys-dir "$KEYS" > "$T/agent.log" 2>&1 &
	AGENT_PID=$!; bh_track "$AGENT_PID"
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
	cat "$T/agent.log"; fail "agent did not start"
}
stop_agent() { kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; rm -f "$SOCK"; }

# rc VAR CMD...: run, keep stdout/stderr in $T/out, $T/err
run_rc() { set +e; "$@" > "$T/out" 2> "$T/err"; local r=$?; set -e; echo $r; }
expect_rc() { local want=$1; shift; local got; got=$(run_rc "$@")
	[ "$got" = "$want" ] || fail "$* -> exit $got, want $want; out: $(cat "$T/out"); err: $(cat "$T/err")"; }

# nothing_leaked NAME: no record (or a destroyed one), no disk, no seed, no domain,
# no allocated address
nothing_leaked() {
	local n=$1
	[ ! -e "$STATE/vms/$n.qcow2" ] || fail "leaked disk $n.qcow2"
	[ ! -e "$STATE/vms/$n-seed.iso" ] || fail "leaked seed copy $n-seed.iso"
	[ -z "${STORAGE:-}" ] || [ -z "$(ls -A "$R$STORAGE" | grep -F "$n")" ] || fail "leaked in $R$STORAGE: $(ls -A "$R$STORAGE")"
	[ ! -e "$STATE/cloud-init/$n" ] || fail "leaked seed dir $n"
	! virsh_u list --all --name | grepq -x "$n" || fail "leaked domain $n"
	if [ -f "$DB" ]; then
		python3 - "$DB" "$n" <<'PY' || fail "leaked database state for $n: $(cat "$DB")"
import json, sys
d = json.load(open(sys.argv[1])); n = sys.argv[2]
rec = d["vms"].get(n)
assert rec is None or rec["status"] == "destroyed", rec
live = [r for r in d["vms"].values() if r["status"] != "destroyed"]
used4 = {r.get("ip_address") for r in live}; used6 = {r.get("ipv6_address") for r in live}
assert set(d.get("allocated_ips", [])) <= used4, d.get("allocated_ips")
assert set(d.get("allocated_ipv6", [])) <= used6, d.get("allocated_ipv6")
PY
	fi
}
