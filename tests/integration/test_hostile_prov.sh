#!/usr/bin/env bash
# The provisioner's catalogue of hostile command lines (tests/hostile_prov.tsv, issue 11
# item 9): blockhost-vm-<verb> run as the provisioner's user (prov_lib.sh), against
# libvirt's built-in test driver (test:///default, no daemon) with the root agent down —
# every row is refused by the CLI's own checks (or answers read-only), with its exit
# status and clear error, no crash or hang; nothing is allocated in vms.json, no disk,
# seed or lock is left behind.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/helpers/prov_lib.sh"

URI=test:///default write_prov_conf
as_user "$BIN/blockhost-vmdb" init > /dev/null
as_user "$BIN/blockhost-vmdb" register bh-rec --owner $OWNER --network-mode none > /dev/null
cp "$DB" "$T/before.json"

python3 "$TOP/tests/helpers/hostile_cli.py" "${HOSTILE_PROV_TSV:-$TOP/tests/hostile_prov.tsv}" --var O=$OWNER \
	-- setpriv --reuid=$PUID --regid=$PGID --groups="$AGID" --inh-caps=-all \
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$VHOME" XDG_RUNTIME_DIR="$VHOME/run" \
	BLOCKHOST_ROOT="$R" BLOCKHOST_POLICY_DIR="$BLOCKHOST_POLICY_DIR" \
	BLOCKHOST_SECCOMP_DIR="$BLOCKHOST_SECCOMP_DIR" "$BIN/blockhost-vm" ||
	fail "hostile provisioner rows"
ok "every row of tests/hostile_prov.tsv: exit status and error text"

cmp -s "$T/before.json" "$DB" || { diff "$T/before.json" "$DB" >&2; fail "a refused row changed vms.json"; }
left=$(find "$STATE/vms" "$STATE/cloud-init" -mindepth 1)
[ -z "$left" ] || fail "left behind: $left"
[ ! -e "$R/run/blockhost/provisioning.lock" ] || fail "provisioning lock left behind"
ok "vms.json unchanged, no disk, seed or lock left"
