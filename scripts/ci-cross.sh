#!/usr/bin/env bash
# CI's cross leg: logtrigger's unit and portable integration tests on big-endian 32-bit MIPS
# (mips-unknown-linux-gnu, nightly -Zbuild-std, qemu-mips). A missing cross toolchain is a loud
# WARNING and exit 0 (scripts/cross-test.sh decides that); a build or test failure fails CI.
# Usage: scripts/ci-cross.sh [TARGET...]   (default: mips)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(mips)
for t in "${targets[@]}"; do
  echo "=== ci-cross: $t ===" >&2
  start=$SECONDS
  CROSS_UNAVAILABLE_RC=0 scripts/cross-test.sh "$t"
  echo "=== ci-cross: $t done in $((SECONDS - start))s ===" >&2
done
