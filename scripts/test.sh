#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what the README tells a user to run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
# The package as the OpenWrt feed builds it, for x86_64 (one release build; `feed-mips` adds
# mips): fails when the binary exceeds 400 KB or the ipk 200 KB.
scripts/sizes.sh feed
# The same code on big-endian 32-bit MIPS under qemu (unit + in-process integration tests).
# A cross toolchain that cannot be installed is a loud warning; a failing test fails the suite.
scripts/ci-cross.sh mips
