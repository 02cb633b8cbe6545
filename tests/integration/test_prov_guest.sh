#!/usr/bin/env bash
# End to end with a real guest: the template from blockhost-build-template booted by
# create on qemu:///session (TCG), the guest agent awaited, then guest-exec and
# update-gecos through the root agent, and the cloud-init seed's effects checked inside
# the VM (user with the GECOS, pam_web3 config with the VM's secret, sshd drop-in).
# Needs a template image: BLOCKHOST_TEST_TEMPLATE_IMAGE=path or $BUILD/template/
# blockhost-base.qcow2 (`make template`); skipped otherwise (slow: a TCG boot, ~1-2 min).
. "$(dirname "$0")/../lib.sh"
IMG=${BLOCKHOST_TEST_TEMPLATE_IMAGE:-$BUILD/template/blockhost-base.qcow2}
[ -f "$IMG" ] || skip "no template image ($IMG): make template"
. "$TOP/tests/helpers/prov_lib.sh"

rm -f "$STATE/templates/blockhost-base.qcow2"
cp "$IMG" "$STATE/templates/blockhost-base.qcow2"
chown $PUID:$PGID "$STATE/templates/blockhost-base.qcow2"; chmod 0644 "$STATE/templates/blockhost-base.qcow2"
GA_TIMEOUT=400 write_prov_conf
start_session_libvirt
start_agent

W=0x00000000000000000000000000000000000000Aa  # mixed case in; the GECOS has it lower-case (host/gecos.h)
t0=$(date +%s)
expect_rc 0 vm create bh-g1 --owner-wallet $W --memory 1024 --disk 4 --apply
grep -q '^BLOCKHOST_RESULT: {"status":"ok","vm_name":"bh-g1"' "$T/out" || fail "result: $(cat "$T/out")"
ok "create waited for the guest agent ($(( $(date +%s) - t0 )) s)"

expect_rc 0 vm metrics bh-g1
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["guest_agent_responsive"] is True and j["state"]=="running", j' "$T/out" || fail "metrics: $(cat "$T/out")"

expect_rc 0 vm guest-exec bh-g1 'getent passwd admin'
grep -q "^admin:x:[0-9]*:[0-9]*:wallet=${W,,},nft=:" "$T/out" || fail "user/GECOS: $(cat "$T/out")"
expect_rc 3 vm guest-exec bh-g1 'echo to-stderr >&2; exit 3'
grep -qx to-stderr "$T/err" || fail "stderr relay: $(cat "$T/err")"
ok "guest-exec: stdout, stderr and exit code relayed; user created with GECOS wallet=..,nft="

expect_rc 0 vm guest-exec bh-g1 'cat /etc/pam_web3/config.toml; stat -c %a /etc/pam_web3/config.toml'
grep -qx 'id = "bh-g1"' "$T/out" && grep -Eq '^secret_key = "[0-9a-f]{64}"$' "$T/out" &&
	grep -qx 640 "$T/out" || fail "pam_web3 config: $(cat "$T/out")"
secret=$(grep -o '[0-9a-f]\{64\}' "$T/out")
grep -q "$secret" "$STATE/cloud-init/bh-g1/user-data" || fail "secret differs from the seed"
expect_rc 0 vm guest-exec bh-g1 'cat /etc/ssh/sshd_config.d/50-blockhost.conf /etc/pam.d/sshd'
grep -qx 'KbdInteractiveAuthentication yes' "$T/out" && grep -q 'pam_web3.so' "$T/out" ||
	fail "sshd/PAM: $(cat "$T/out")"
ok "cloud-init wrote the pam_web3 config (the VM's own secret), the sshd drop-in and PAM stack"

expect_rc 0 vm update-gecos bh-g1 $W --nft-id 7
expect_rc 0 vm guest-exec bh-g1 'getent passwd admin'
grep -q ":wallet=${W,,},nft=7:" "$T/out" || fail "update-gecos: $(cat "$T/out")"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["vms"]["bh-g1"]["gecos_synced"] is True' "$DB" || fail "gecos_synced"
ok "update-gecos: usermod -c through the guest agent, gecos_synced recorded"

expect_rc 0 vm destroy bh-g1
nothing_leaked bh-g1
ok "destroyed, nothing left"
