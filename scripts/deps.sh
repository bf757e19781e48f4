#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (logger, busybox, python3, nftables,
# dropbear, ssh, namespaces…), then builds OpenWrt's own logd, logread, ubusd and uci from the
# sources beside this repository (../shared/tools/openwrt-build.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(util-linux bsdutils busybox python3 nftables iproute2 dropbear-bin openssh-client sshpass
      conntrack shellcheck socat iptables ipset procps gcc libc6-dev musl-tools make
      chromium chromium-driver python3-selenium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
owrt=../shared/tools/openwrt-build.sh
if [[ -f $owrt ]]; then
  bash "$owrt" | tail -1 | sed 's/^/deps.sh: OpenWrt tools at /' >&2 || true
else
  echo "deps.sh: WARNING: $owrt not found: tests that need OpenWrt's logd and uci will fail" >&2
fi
