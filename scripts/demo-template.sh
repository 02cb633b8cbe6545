#!/usr/bin/env bash
# Helper for scripts/demo.sh: the VM template with pam_web3 inside, cached.
#   scripts/demo-template.sh BIN_DIR LIB_DIR OUTPUT WORK_DIR
# Packs the built pam_web3.so into a minimal .deb (libpam-web3-demo: the module only, with
# its shared-library dependencies from the mirror) and runs blockhost-build-template with
# it as the VM-side package.  The image is written to OUTPUT.tmp and renamed into place
# only when the build succeeded, so a cached OUTPUT is always complete.
set -euo pipefail
BIN=$1 LIB=$2 OUT=$3 WORK=$4
[ -f "$LIB/pam_web3.so" ] || { echo "demo-template: $LIB/pam_web3.so not built" >&2; exit 1; }
command -v debootstrap > /dev/null || {
	echo "demo-template: debootstrap missing; installing it (apt-get install debootstrap)"
	apt-get install -y debootstrap > "$WORK/apt-debootstrap.log" 2>&1 ||
		{ echo "demo-template: apt-get install debootstrap failed (log: $WORK/apt-debootstrap.log)" >&2; exit 1; }
}
mkdir -p "$WORK/pkg/root/DEBIAN" "$WORK/pkg/root/lib/x86_64-linux-gnu/security" "$WORK/debs" \
	"$(dirname "$OUT")"
install -m 0644 "$LIB/pam_web3.so" "$WORK/pkg/root/lib/x86_64-linux-gnu/security/pam_web3.so"
cat > "$WORK/pkg/root/DEBIAN/control" <<CTL
Package: libpam-web3-demo
Version: 0.0.1
Architecture: amd64
Maintainer: BlockHost demo <demo@localhost>
Depends: libpam0g, libsecp256k1-1, libnettle8, libssl3, libaudit1, libcap-ng0
Section: admin
Priority: optional
Description: pam_web3 for the BlockHost demo template
 The PAM module from this source tree (wallet-signature SSH login), packed by
 scripts/demo-template.sh for the VM template; not a release package.
CTL
dpkg-deb --root-owner-group --build "$WORK/pkg/root" "$WORK/debs/libpam-web3-demo.deb" > /dev/null
rm -f "$OUT.tmp"
"$BIN/blockhost-build-template" --output "$OUT.tmp" --packages-dir "$WORK/debs" --work-dir "$WORK"
mv -f "$OUT.tmp" "$OUT"
echo "demo-template: $OUT ($(du -h "$OUT" | cut -f1))"
