#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (logger, busybox, python3, nftables,
# dropbear, ssh, namespaces…). Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(util-linux bsdutils busybox python3 nftables iproute2 dropbear-bin openssh-client sshpass
      conntrack shellcheck socat iptables ipset procps gcc libc6-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
