#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/fuzz_targets for SECONDS each (default 60), one after the
# other, and exits non-zero at the first target that finds a crash (artifacts in fuzz/artifacts/).
#
#   fuzz/run.sh [SECONDS] [TARGET…]
#
# What works here (Debian, rustup):
#   - cargo-fuzz itself: `cargo install cargo-fuzz` (0.13.2 builds with stable).
#   - The targets need nightly rustc flags (-Zsanitizer, sancov passes). Either a nightly
#     toolchain (`rustup toolchain install nightly`; used when present: `cargo +nightly fuzz`),
#     or the stable toolchain with RUSTC_BOOTSTRAP=1, which this script falls back to.
#   - Sanitizer: `none` by default (FUZZ_SANITIZER=address for ASan, ~3x slower). The crate is
#     safe Rust except a few FFI calls, so ASan adds little; debug assertions (-a) stay on to
#     catch integer overflow.
# New corpus entries go to fuzz/target/corpus/TARGET (not committed); the committed seeds in
# fuzz/corpus/TARGET are read as a second corpus directory.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
sanitizer=${FUZZ_SANITIZER:-none}

if ! command -v cargo-fuzz >/dev/null; then
  echo "run.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2
  exit 2
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  cargo=(cargo +nightly)
else
  echo "run.sh: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1" >&2
  export RUSTC_BOOTSTRAP=1
  cargo=(cargo)
fi

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  targets=()
  for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

for t in "${targets[@]}"; do
  work="target/corpus/$t"
  mkdir -p "$work" "corpus/$t"
  echo "run.sh: fuzzing $t for ${seconds}s" >&2
  "${cargo[@]}" fuzz run -O -a -s "$sanitizer" "$t" "$work" "corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1
done
