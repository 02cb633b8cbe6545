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
	iproute2 iptables xorriso cloud-image-utils curl ca-certificates python3
	chromium
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

# node + npm: use what the machine has (an image may ship Node 20 as package
# `nodejs` that conflicts with Debian's `npm`); otherwise Debian's (Node 18).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

stamp=tests/js/node_modules/.bh-stamp
if [ ! -f "$stamp" ] || ! cmp -s tests/js/package-lock.json "$stamp"; then
	echo "deps: npm ci in tests/js (pinned: ethers, noble, solc, anvil, OpenZeppelin, playwright-core)"
	(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
	cp tests/js/package-lock.json "$stamp"
else
	echo "deps: npm tools present"
fi
