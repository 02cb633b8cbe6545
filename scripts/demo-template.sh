#!/usr/bin/env bash
# Helper for scripts/demo.sh: the VM template with pam_web3 and web3-auth-svc inside, cached.
#   scripts/demo-template.sh BIN_DIR LIB_DIR OUTPUT WORK_DIR    build the image
#   scripts/demo-template.sh --key BIN_DIR LIB_DIR              print the cache key
# Packs this tree's VM side into a minimal .deb (libpam-web3-demo, its shared-library
# dependencies from the mirror): pam_web3.so; web3-auth-svc with its systemd unit, tmpfiles
# entry, policy, seccomp list and signing pages (enabled at boot: it runs as its own user
# web3-auth under the shipped unit and sandboxes itself); and, for the demo's user-mode
# NIC, /run/libpam-web3/signing_host = 127.0.0.1 (a tmpfiles entry), so pam_web3's "Sign
# at:" URL is the host's end of the forward (127.0.0.1:63108).  Then runs
# blockhost-build-template with it as the VM-side package.  The image is written to
# OUTPUT.tmp and renamed into place only when the build succeeded, so a cached OUTPUT is
# always complete.  The cache key (--key) is a SHA-256 over every input that ends up in the
# image: the binaries, the PAM module, the unit/tmpfiles/sshd/PAM files, policy, seccomp,
# pages, the template builder and this script.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KEY_ONLY=
[ "${1:-}" = --key ] && { KEY_ONLY=1; shift; }
BIN=$1 LIB=$2
INPUTS=("$LIB/pam_web3.so" "$BIN/web3-auth-svc" "$BIN/blockhost-build-template"
	"$TOP/systemd/web3-auth-svc.service" "$TOP/src/pam/vm/libpam-web3.tmpfiles"
	"$TOP/src/pam/vm/50-blockhost.conf" "$TOP/src/pam/vm/pam.d-sshd"
	"$TOP/policy/web3-auth-svc.policy" "$TOP/seccomp/web3-auth-svc" "$TOP/seccomp/base.inc"
	"$TOP/seccomp/sanitizer.inc"
	"$TOP/src/pam/pages/index.html" "$TOP/src/pam/pages/engine.js" "$TOP/scripts/demo-template.sh")
for f in "${INPUTS[@]}"; do
	[ -f "$f" ] || { echo "demo-template: $f missing (not built?)" >&2; exit 1; }
done
if [ -n "$KEY_ONLY" ]; then
	# the contents only (not the paths: two worktrees with equal files share a template)
	for f in "${INPUTS[@]}"; do sha256sum < "$f"; done | sha256sum | cut -c1-16
	exit 0
fi
OUT=$3 WORK=$4
command -v debootstrap > /dev/null || {
	echo "demo-template: debootstrap missing; installing it (apt-get install debootstrap)"
	apt-get install -y debootstrap > "$WORK/apt-debootstrap.log" 2>&1 ||
		{ echo "demo-template: apt-get install debootstrap failed (log: $WORK/apt-debootstrap.log)" >&2; exit 1; }
}
P="$WORK/pkg/root"
mkdir -p "$P/DEBIAN" "$P/lib/x86_64-linux-gnu/security" "$P/usr/bin" "$P/lib/systemd/system" \
	"$P/usr/lib/tmpfiles.d" "$P/usr/share/blockhost/policy" "$P/usr/share/blockhost/seccomp" \
	"$P/usr/share/blockhost/signing-pages/evm" "$WORK/debs" "$(dirname "$OUT")"
install -m 0644 "$LIB/pam_web3.so" "$P/lib/x86_64-linux-gnu/security/pam_web3.so"
install -m 0755 "$BIN/web3-auth-svc" "$P/usr/bin/web3-auth-svc"
install -m 0644 "$TOP/systemd/web3-auth-svc.service" "$P/lib/systemd/system/web3-auth-svc.service"
install -m 0644 "$TOP/src/pam/vm/libpam-web3.tmpfiles" "$P/usr/lib/tmpfiles.d/libpam-web3.conf"
install -m 0644 "$TOP/policy/web3-auth-svc.policy" "$P/usr/share/blockhost/policy/web3-auth-svc.policy"
# the service's list and the files it includes (base.inc, and sanitizer.inc for a
# SANITIZE=1 build)
install -m 0644 "$TOP/seccomp/web3-auth-svc" "$TOP/seccomp/base.inc" "$TOP/seccomp/sanitizer.inc" \
	"$P/usr/share/blockhost/seccomp/"
install -m 0644 "$TOP/src/pam/pages/index.html" "$TOP/src/pam/pages/engine.js" \
	"$P/usr/share/blockhost/signing-pages/evm/"
# the demo's VMs are reached through QEMU's user-mode forward on the host's loopback: the
# signing page's address as the host sees it (pam_web3 and the certificate use it)
cat > "$P/usr/lib/tmpfiles.d/libpam-web3-demo.conf" <<'TMP'
# BlockHost demo template: the VM's signing page is the host's 127.0.0.1:63108 (QEMU
# user-mode hostfwd, libvirt.json user_net_ssh.signing_port); pam_web3 builds its Sign at:
# URL and web3-auth-svc its certificate name from this file.
f /run/libpam-web3/signing_host 0644 root root - 127.0.0.1
TMP
cat > "$P/DEBIAN/control" <<CTL
Package: libpam-web3-demo
Version: 0.0.2
Architecture: amd64
Maintainer: BlockHost demo <demo@localhost>
Depends: adduser, libpam0g, libsecp256k1-1, libnettle8, libssl3, libaudit1, libcap-ng0, libseccomp2, libmicrohttpd12
Section: admin
Priority: optional
Description: pam_web3 and web3-auth-svc for the BlockHost demo template
 The PAM module (wallet-signature SSH login) and the signing service from this source
 tree, packed by scripts/demo-template.sh for the VM template; not a release package.
CTL
# the service's own user, its certificate directory (the unit's ReadWritePaths), and the
# unit enabled for multi-user.target (a symlink: no systemd runs in the chroot)
cat > "$P/DEBIAN/postinst" <<'POST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	getent passwd web3-auth > /dev/null ||
		adduser --quiet --system --group --no-create-home --home /nonexistent web3-auth
	install -d -m 0755 -o root -g root /etc/libpam-web3
	install -d -m 0750 -o web3-auth -g web3-auth /etc/libpam-web3/tls
	mkdir -p /etc/systemd/system/multi-user.target.wants
	ln -sf /lib/systemd/system/web3-auth-svc.service \
		/etc/systemd/system/multi-user.target.wants/web3-auth-svc.service
fi
POST
chmod 0755 "$P/DEBIAN/postinst"
dpkg-deb --root-owner-group --build "$P" "$WORK/debs/libpam-web3-demo.deb" > /dev/null
rm -f "$OUT.tmp"
"$BIN/blockhost-build-template" --output "$OUT.tmp" --packages-dir "$WORK/debs" --work-dir "$WORK"
mv -f "$OUT.tmp" "$OUT"
echo "demo-template: $OUT ($(du -h "$OUT" | cut -f1); libpam-web3-demo: pam_web3.so, web3-auth-svc enabled)"
