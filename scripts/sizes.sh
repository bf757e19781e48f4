#!/usr/bin/env bash
# sizes.sh - measures the router binary and prints a table with budgets:
#   x86_64-unknown-linux-musl (nightly)  -Zbuild-std + optimize_for_size + SIZE_FLAGS   budget 400 KB
#   mips-unknown-linux-musl (nightly)    same, OpenWrt's ABI (big-endian, soft-float)    budget 300 KB
#   x86_64-unknown-linux-musl (stable)   plain `--profile openwrt`, for information only (a
#                                        stable std alone is ~377 KB even for hello-world)
# Every binary is static and stripped with llvm-objcopy --strip-all (which also drops the MIPS
# .pdr sections that the linker's own strip keeps).
# Usage: scripts/sizes.sh [x86|mips|x86-stable]...   (default: all three)
# Needs nightly + rust-src; for mips what scripts/cross-test.sh installs for mips-musl (it is
# called once to set that up). Installs Debian `llvm` only when no llvm-objcopy is found.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/sizes}
NIGHTLY=${CROSS_NIGHTLY:-nightly}
which=("$@"); [[ ${#which[@]} -eq 0 ]] && which=(x86 mips x86-stable)
rows=()

# Each flag was measured on its own (README "Sizes"): no panic machinery at all, no Debug text
# (no `{:?}` may show anything to users), no unwind tables, no PIC indirection.
# (-Zlocation-detail=none saves nothing once panics abort immediately.)
SIZE_FLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none"
SIZE_FLAGS+=" -Cforce-unwind-tables=no -Crelocation-model=static"
BUILD_STD="-Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size"

# llvm-objcopy: on PATH, a versioned Debian one, or the copy rustup ships in every sysroot.
find_objcopy() {
  local c sr
  for c in llvm-objcopy $(compgen -c llvm-objcopy- | sort -t- -k3 -rn); do
    command -v "$c" >/dev/null && { command -v "$c"; return; }
  done
  for sr in "$(rustc "+$NIGHTLY" --print sysroot 2>/dev/null)" "$(rustc --print sysroot)"; do
    for c in "$sr"/lib/rustlib/*/bin/{llvm-objcopy,rust-objcopy}; do
      [[ -x $c ]] && { echo "$c"; return; }
    done
  done
  return 1
}
OBJCOPY=$(find_objcopy) || {
  echo "sizes.sh: installing Debian llvm (for llvm-objcopy)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends llvm >&2
  OBJCOPY=$(find_objcopy)
}

row() {  # row NAME BINARY BUDGET_KB COMMAND: strips a copy of BINARY and adds its table row
  local bytes kb verdict out=$2.stripped
  "$OBJCOPY" --strip-all "$2" "$out"
  bytes=$(stat -c %s "$out"); kb=$(( (bytes + 1023) / 1024 ))
  if [[ $3 == - ]]; then verdict=info; else verdict=OK; (( kb > $3 )) && verdict=OVER; fi
  rows+=("$(printf '%-32s %9s %6s KB  budget %4s KB  %-4s  %s' "$1" "$bytes" "$kb" "$3" "$verdict" "$4")")
}

ensure_target() {  # ensure_target TOOLCHAIN TRIPLE
  rustup target list --toolchain "$1" --installed | grep -qx "$2" || rustup target add --toolchain "$1" "$2" >&2
}

ensure_rust_src() {
  rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain "$NIGHTLY" >&2
}

build_x86_stable() {
  local t=x86_64-unknown-linux-musl
  ensure_target stable $t
  local cmd="cargo build --locked --profile openwrt --target $t --bin logtrigger"
  # A separate target dir: build_x86 (nightly) writes the same path.
  CARGO_TARGET_DIR=$CARGO_TARGET_DIR/stable CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS= $cmd >&2
  row "$t (stable)" "$CARGO_TARGET_DIR/stable/$t/openwrt/logtrigger" - "$cmd"
}

build_x86() {
  local t=x86_64-unknown-linux-musl
  ensure_rust_src; ensure_target "$NIGHTLY" $t
  local cmd="cargo +$NIGHTLY build --locked $BUILD_STD --profile openwrt --target $t --bin logtrigger"
  # Only this build: build_x86_stable must not see the nightly flags.
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS="$SIZE_FLAGS" $cmd >&2
  row "$t (nightly)" "$CARGO_TARGET_DIR/$t/openwrt/logtrigger" 400 "RUSTFLAGS=\$SIZE_FLAGS $cmd"
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
  # Identical-code folding merges the many identical monomorphised functions (MIPS only: on
  # x86_64 it gained nothing measurable).
  export CARGO_TARGET_MIPS_UNKNOWN_LINUX_MUSL_RUSTFLAGS="-C target-feature=+crt-static $SIZE_FLAGS -Clink-arg=--icf=all"
  local cmd="cargo +$NIGHTLY build --locked $BUILD_STD --profile openwrt --target $t --bin logtrigger"
  $cmd >&2
  local bin=$CARGO_TARGET_DIR/$t/openwrt/logtrigger
  row "$t (nightly)" "$bin" 300 "RUSTFLAGS=\"\$SIZE_FLAGS -Clink-arg=--icf=all\" $cmd"
  # The binary must still run: qemu-user is installed by the cross-test setup above.
  if command -v qemu-mips >/dev/null; then
    qemu-mips "$bin.stripped" --help >/dev/null || { echo "sizes.sh: $bin.stripped --help failed under qemu-mips" >&2; exit 1; }
  fi
}

for w in "${which[@]}"; do
  case $w in x86) build_x86 ;; mips) build_mips ;; x86-stable) build_x86_stable ;;
    *) echo "unknown: $w" >&2; exit 2 ;; esac
done
echo
echo "SIZE_FLAGS=$SIZE_FLAGS"
printf '%-32s %9s %9s  %-14s %-4s  %s\n' target bytes size budget "" "command (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
printf '%s\n' "${rows[@]}"
