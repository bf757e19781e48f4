#!/usr/bin/env bash
# CI's cross leg: logtrigger's unit and portable integration tests on big-endian 32-bit MIPS
# (mips-unknown-linux-gnu, nightly -Zbuild-std, qemu-mips). A missing cross toolchain is a loud
# WARNING and exit 0 (scripts/cross-test.sh decides that); a build or test failure fails CI.
# Usage: scripts/ci-cross.sh [TARGET...]   (default: mips)
set -euo pipefail
cd "$(dirname "$0")/.."
# The in-process integration tests: `portable` (config, syslog, action runner), `alloc` (the
# allocation and memory audits under their counting allocator), the pattern tests and the shipped
# rules. The others (unprivileged, root, real_daemons, e2e_*) drive the real binary, namespaces,
# nft or daemons of the host, which a foreign-architecture test binary under qemu-user cannot do.
PORTABLE=()
for t in portable alloc pattern_spec pattern_oracle pattern_alloc track_default_rules; do
  PORTABLE+=(--test "$t")
done
# The code model the package ships with (openwrt-package/Makefile: not position-independent
# unless the image builds every package so), so that the tests run the code a router runs.
for t in MIPS MIPSEL; do
  v=CARGO_TARGET_${t}_UNKNOWN_LINUX_GNU_RUSTFLAGS
  export "$v=${!v:--Crelocation-model=static}"
done
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(mips)
for t in "${targets[@]}"; do
  echo "=== ci-cross: $t ===" >&2
  start=$SECONDS
  CROSS_UNAVAILABLE_RC=0 scripts/cross-test.sh "$t" --lib "${PORTABLE[@]}" --no-fail-fast -j2
  echo "=== ci-cross: $t done in $((SECONDS - start))s ===" >&2
done
