#!/usr/bin/env bash
# sizes.sh - measures the router binary: (a) stripped static x86_64-unknown-linux-musl build with
# the `openwrt` profile, (b) mips-unknown-linux-musl (OpenWrt's ABI: big-endian, soft-float,
# static musl) with nightly -Zbuild-std + optimize_for_size, and prints a table with budgets.
# Usage: scripts/sizes.sh [x86|mips]...   (default: both)
# Needs what scripts/cross-test.sh installs for mips-musl (it is called once to set that up).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/sizes}
NIGHTLY=${CROSS_NIGHTLY:-nightly}
which=("$@"); [[ ${#which[@]} -eq 0 ]] && which=(x86 mips)
rows=()

row() {  # row NAME FILE BUDGET_KB COMMAND
  local bytes kb verdict
  bytes=$(stat -c %s "$2"); kb=$(( (bytes + 1023) / 1024 ))
  verdict=OK; (( kb > $3 )) && verdict=OVER
  rows+=("$(printf '%-26s %9s %6s KB  budget %4s KB  %-4s  %s' "$1" "$bytes" "$kb" "$3" "$verdict" "$4")")
}

build_x86() {
  local t=x86_64-unknown-linux-musl
  rustup target list --installed | grep -qx $t || rustup target add $t
  local cmd="cargo build --locked --profile openwrt --target $t --bin logtrigger"
  $cmd >&2
  row "$t" "$CARGO_TARGET_DIR/$t/openwrt/logtrigger" 400 "$cmd"
}

build_mips() {
  local t=mips-unknown-linux-musl sr
  # Let the cross-test script install nightly+rust-src and the musl objects (a no-op when present).
  if ! sr=$(rustc "+$NIGHTLY" --print sysroot 2>/dev/null) ||
     [[ ! -f $sr/lib/rustlib/$t/lib/self-contained/libc.a ]]; then
    echo "sizes.sh: setting up $t via scripts/cross-test.sh (toolchain only)" >&2
    CROSS_UNAVAILABLE_RC=3 scripts/cross-test.sh mips-musl --no-run --lib -j2 >&2 || {
      rc=$?; [[ $rc == 3 ]] && { echo "WARNING: mips-musl toolchain unavailable; size not measured" >&2; return 0; }
      return $rc; }
  fi
  export CARGO_TARGET_MIPS_UNKNOWN_LINUX_MUSL_LINKER=rust-lld
  export CARGO_TARGET_MIPS_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static"
  local cmd="cargo +$NIGHTLY build --locked -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --profile openwrt --target $t --bin logtrigger"
  $cmd >&2
  row "$t (nightly)" "$CARGO_TARGET_DIR/$t/openwrt/logtrigger" 300 "$cmd"
}

for w in "${which[@]}"; do
  case $w in x86) build_x86 ;; mips) build_mips ;; *) echo "unknown: $w" >&2; exit 2 ;; esac
done
echo
printf '%-26s %9s %9s  %-14s %-4s  %s\n' target bytes size budget "" "command (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
printf '%s\n' "${rows[@]}"
