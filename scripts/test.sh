#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what the README tells a user to run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
# The same code on big-endian 32-bit MIPS under qemu (unit + in-process integration tests).
# A cross toolchain that cannot be installed is a loud warning; a failing test fails the suite.
scripts/ci-cross.sh mips
