#!/usr/bin/env bash
# sizes.sh - measures the router binary and prints sizes against their budgets.
#
#   feed        the build OpenWrt's packages feed runs (below) for x86_64-unknown-linux-musl, in
#               the configuration the package ships (LOGTRIGGER_SMALL_STD=y). Prints `feed TARGET
#               BYTES` and `feed-ipk TARGET BYTES` lines and fails when the binary exceeds 400 KB
#               or the ipk 200 KB. One release build: this is what CI runs.
#   feed-mips   the same, then for mips-unknown-linux-musl (installing its musl objects; when
#               that fails, a "skipped: reason" line).
#   feed-all    both targets with both std choices (LOGTRIGGER_SMALL_STD=y, and =n: the feed's
#               own std). Only the shipped configuration has budgets.
#   feed-pie    both targets as an image with "User space ASLR PIE compilation" = All builds them
#               (position-independent): `feed-pie` lines, for information. The budgets are held
#               by the default build above, as the SDK and the buildbots (Regular) build this
#               package: not PIE (the Makefile adds -Crelocation-model=static).
#   x86 mips x86-stable   what a size-tuned build reaches (nightly, -Zbuild-std, every size flag):
#       x86_64-unknown-linux-musl (nightly)  -Zbuild-std + optimize_for_size + SIZE_FLAGS   budget 400 KB
#       mips-unknown-linux-musl (nightly)    same, OpenWrt's ABI (big-endian, soft-float)    budget 300 KB
#       x86_64-unknown-linux-musl (stable)   plain `--profile openwrt`, static, for information
#
# The feed build follows openwrt/packages lang/rust: rust-package.mk (Build/Compile/Cargo at
# commit 3b3fa868590c: `cargo install -v --profile $(CARGO_PKG_PROFILE) --root ... --path ...
# --locked`) and rust-values.mk (CARGO_PKG_CONFIG_VARS at commit 84464a656c88: CARGO_BUILD_TARGET,
# CARGO_PROFILE_RELEASE_{CODEGEN_UNITS=1,DEBUG=false,DEBUG_ASSERTIONS=false,LTO=true,OPT_LEVEL=z,
# OVERFLOW_CHECKS=true,PANIC=unwind,RPATH=false}, the target linker, RUSTFLAGS=-Ctarget-feature=
# -crt-static, TARGET_CC, CC), plus openwrt-package/Makefile (CARGO_PKG_PROFILE=openwrt and the
# LOGTRIGGER_SMALL_STD switches, the inlining threshold, not PIE). Differences, none of which changes what
# is in the binary:
#   - the stable rustup toolchain instead of rust/host's build of the same release; x86_64 links
#     rustup's std (built like rust/host's: opt-level 3, panic=unwind, backtrace);
#   - x86_64 links with Debian's musl-gcc and a libgcc_s.so made from rustup's libunwind.a in
#     place of the OpenWrt toolchain's (the binary only records the NEEDED entries);
#   - mips links with rust-lld (no mips musl C toolchain here), dynamically against link-only
#     stand-ins for libc.so and libgcc_s.so made from Rust 1.71.1's musl objects (`mips_libs`);
#   - the default CARGO_HOME, not $(DL_DIR)/cargo; no -lssp_nonshared (toolchain stack-protector
#     glue, absent with Debian's musl);
#   - the feed's strip is llvm-objcopy --strip-all here.
# The ipk is built as ipkg-build does: data.tar.gz (binary, init script, config, action scripts,
# root-owned, gzip -n) + control.tar.gz + debian-binary, in a gzip'd tar.
#
# Every nightly binary is static and stripped with llvm-objcopy --strip-all (which also drops
# the MIPS .pdr sections that the linker's own strip keeps).
# Usage: scripts/sizes.sh [feed|feed-all|feed-mips|feed-pie|x86|mips|x86-stable]...   (default: feed-all x86 mips)
# Needs: rustup (stable + rust-src, x86_64-unknown-linux-musl: added here), Debian musl-tools and
# llvm (installed here when missing); nightly for the size-tuned rows; for mips the musl objects
# that scripts/cross-test.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/sizes}
NIGHTLY=${CROSS_NIGHTLY:-nightly}
which=("$@"); [[ ${#which[@]} -eq 0 ]] && which=(feed-all x86 mips)
rows=()
feed_lines=()
over=0

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
# apt_install PACKAGE...: Debian packages, reading the package lists first when they are stale.
apt_install() {
  local apt=(apt-get -o DPkg::Lock::Timeout=600)
  export DEBIAN_FRONTEND=noninteractive
  "${apt[@]}" install -y -qq --no-install-recommends "$@" >&2 ||
    { "${apt[@]}" update -qq >&2 && "${apt[@]}" install -y -qq --no-install-recommends "$@" >&2; }
}

OBJCOPY=$(find_objcopy) || {
  echo "sizes.sh: installing Debian llvm (for llvm-objcopy)" >&2
  apt_install llvm
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

# ---- feed: the build OpenWrt's packages feed runs (see the header) -----------------------------
FEED_BIN_BUDGET_KB=400
FEED_IPK_BUDGET_KB=200
FEED_DIR=$CARGO_TARGET_DIR/feed
# LOGTRIGGER_SMALL_STD=y in openwrt-package/Makefile: the same variables and flags.
SMALL_STD_VARS=(RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size)
SMALL_STD_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Cforce-unwind-tables=no"
# openwrt-package/Makefile's flags for every build (the inlining threshold).
FEED_RUSTFLAGS="-Cllvm-args=-inline-threshold=10"
# openwrt-package/Makefile's flag unless the image builds every package PIE.
NOT_PIE_RUSTFLAGS="-Crelocation-model=static"
MIPS_MUSL=mips-unknown-linux-musl

ensure_stable_src() {
  rustup component list --toolchain stable --installed | grep -q '^rust-src' ||
    rustup component add rust-src --toolchain stable >&2
}

# x86_64 linker: Debian's musl-gcc, with a libgcc_s.so (the OpenWrt toolchain ships one; Debian's
# musl does not) made from the LLVM libunwind that rustup ships for the musl target.
x86_linker() {
  local tc=$FEED_DIR/toolchain cc
  cc=$tc/x86_64-openwrt-linux-musl-gcc
  [[ -x $cc ]] && { echo "$cc"; return; }
  command -v musl-gcc >/dev/null || {
    echo "sizes.sh: installing Debian musl-tools (musl-gcc)" >&2
    apt_install musl-tools
  }
  mkdir -p "$tc"
  local unwind
  unwind=$(rustc +stable --print sysroot)/lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained/libunwind.a
  musl-gcc -shared -o "$tc/libgcc_s.so.1" -Wl,-soname,libgcc_s.so.1 \
    -Wl,--whole-archive "$unwind" -Wl,--no-whole-archive >&2
  ln -sf libgcc_s.so.1 "$tc/libgcc_s.so"
  printf '#!/bin/sh\nexec musl-gcc -L%s "$@"\n' "$(cd "$tc" && pwd)" >"$cc"
  chmod +x "$cc"
  echo "$cc"
}

# mips: tier 3, no rustup std; rust-lld and the musl objects scripts/cross-test.sh borrows from
# Rust 1.71.1, copied into the stable sysroot (rustc looks for them there). Returns 1 with a
# reason on stdout when they cannot be installed.
mips_ready() {
  local sc src
  sc=$(rustc +stable --print sysroot)/lib/rustlib/$MIPS_MUSL/lib/self-contained
  [[ -f $sc/crt1.o && -f $sc/libc.a ]] && return 0
  src=$(rustc +1.71.1 --print sysroot 2>/dev/null)/lib/rustlib/$MIPS_MUSL/lib/self-contained
  if [[ ! -f $src/crt1.o ]]; then
    echo "sizes.sh: installing Rust 1.71.1's $MIPS_MUSL (its musl objects; ~650 MB)" >&2
    rustup toolchain install 1.71.1 --profile minimal --target $MIPS_MUSL >&2 ||
      { echo "rustup could not install Rust 1.71.1 with $MIPS_MUSL"; return 1; }
  fi
  mkdir -p "$(dirname "$sc")"
  cp -r "$src" "$(dirname "$sc")/"
}

# mips_libs: link-only stand-ins for the OpenWrt toolchain's mips libc.so and libgcc_s.so (from
# the same musl objects and libunwind.a), so that mips links dynamically as in the feed. Only their
# symbol tables matter: nothing of them ends up in the binary. Prints their directory.
mips_libs() {
  local sc lld libs=$FEED_DIR/mips-libs
  sc=$(rustc +stable --print sysroot)/lib/rustlib/$MIPS_MUSL/lib/self-contained
  lld=$(rustc +stable --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld
  if [[ ! -f $libs/libgcc_s.so ]]; then
    mkdir -p "$libs"
    # Some objects carry relocations lld warns about; harmless for a library only linked against.
    "$lld" -flavor gnu -shared -soname libc.so -o "$libs/libc.so" --unresolved-symbols=ignore-all \
      --whole-archive "$sc/libc.a" 2>/dev/null
    "$lld" -flavor gnu -shared -z notext -soname libgcc_s.so.1 -o "$libs/libgcc_s.so.1" \
      --whole-archive "$sc/libunwind.a" --no-whole-archive "$libs/libc.so" 2>/dev/null
    ln -sf libgcc_s.so.1 "$libs/libgcc_s.so"
  fi
  echo "$libs"
}

# feed_build TRIPLE STD(small|feed|small-pie): prints the stripped binary's path.
feed_build() {
  local t=$1 std=$2 up root log linker rustflags
  up=$(tr 'a-z-' 'A-Z_' <<<"$t")
  root=$FEED_DIR/$t-$std; log=$FEED_DIR/$t-$std.log
  mkdir -p "$FEED_DIR"
  local env=(
    CARGO_TARGET_DIR="$FEED_DIR/target"
    CARGO_BUILD_TARGET="$t"
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
    CARGO_PROFILE_RELEASE_DEBUG=false
    CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=false
    CARGO_PROFILE_RELEASE_LTO=true
    CARGO_PROFILE_RELEASE_OPT_LEVEL=z
    CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true
    CARGO_PROFILE_RELEASE_PANIC=unwind
    CARGO_PROFILE_RELEASE_RPATH=false
    CC=cc
    TARGET_CFLAGS="-Os -pipe"
  )
  if [[ $t == "$MIPS_MUSL" ]]; then
    # Dynamic musl as in the feed, through rust-lld: musl's crt objects, the stand-in libraries,
    # OpenWrt's mips loader name. std is built from source, as rust/host does for this target
    # (with its default features when std=feed).
    linker=rust-lld
    rustflags="-Ctarget-feature=-crt-static -Clink-self-contained=yes -L$(mips_libs)"
    rustflags+=" -Clink-arg=--dynamic-linker=/lib/ld-musl-mips-sf.so.1 -Clink-arg=--allow-shlib-undefined"
    [[ $std == feed ]] && env+=(RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort)
  else
    linker=$(x86_linker); rustflags="-Ctarget-feature=-crt-static"
    env+=(TARGET_CC="$linker")
  fi
  env+=("CARGO_TARGET_${up}_LINKER=$linker")
  rustflags+=" $FEED_RUSTFLAGS"
  if [[ $std == small* ]]; then
    env+=("${SMALL_STD_VARS[@]}"); rustflags+=" $SMALL_STD_RUSTFLAGS"
  fi
  # openwrt-package/Makefile: PIE only with CONFIG_PKG_ASLR_PIE_ALL.
  [[ $std == *-pie ]] || rustflags+=" $NOT_PIE_RUSTFLAGS"
  env+=(RUSTFLAGS="$rustflags")
  env "${env[@]}" cargo +stable install -v --profile openwrt --root "$root" --path . --locked \
    >"$log" 2>&1 || { tail -30 "$log" >&2; echo "sizes.sh: feed build of $t failed (log: $log)" >&2; exit 1; }
  "$OBJCOPY" --strip-all "$root/bin/logtrigger" "$root/logtrigger.stripped"
  echo "$root/logtrigger.stripped"
}

# feed_ipk TRIPLE BINARY: builds the ipk as ipkg-build lays it out; prints its path.
feed_ipk() {
  local t=$1 bin=$2 root=${2%/*} d
  d=$FEED_DIR/ipk-${root##*/}
  rm -rf "$d"
  mkdir -p "$d/data/usr/sbin" "$d/data/etc/init.d" "$d/data/etc/config" "$d/data/etc/logtrigger" "$d/control"
  install -m 0755 "$bin" "$d/data/usr/sbin/logtrigger"
  install -m 0755 openwrt-package/files/logtrigger.init "$d/data/etc/init.d/logtrigger"
  install -m 0600 uci/logtrigger "$d/data/etc/config/logtrigger"
  install -m 0755 openwrt-package/files/ipblock.sh openwrt-package/files/logit.sh "$d/data/etc/logtrigger/"
  install -D -m 0644 openwrt-package/files/logtrigger.fw4 "$d/data/usr/share/logtrigger/fw4.include"
  install -D -m 0755 openwrt-package/files/logtrigger.uci-defaults "$d/data/etc/uci-defaults/90-logtrigger-firewall"
  install -D -m 0644 openwrt-package/files/logtrigger.keep "$d/data/lib/upgrade/keep.d/logtrigger"
  printf 'Package: logtrigger\nVersion: 0.1.0-r1\nDepends: libc\nLicense: MIT\nSection: net\nArchitecture: %s\nInstalled-Size: %s\nDescription: programmable syslog receiver\n' \
    "$t" "$(du -sk "$d/data" | cut -f1)" >"$d/control/control"
  printf '/etc/config/logtrigger\n/etc/logtrigger/ipblock.sh\n/etc/logtrigger/logit.sh\n' >"$d/control/conffiles"
  sed -n '/^define Package\/logtrigger\/prerm/,/^endef/p' openwrt-package/Makefile | sed '1d;$d' >"$d/control/prerm"
  local tarx=(--owner=0 --group=0 --numeric-owner --sort=name --mtime=@0)
  mkdir -p "$d/pkg"
  (cd "$d/data" && tar "${tarx[@]}" -cf - .) | gzip -n >"$d/pkg/data.tar.gz"
  (cd "$d/control" && tar "${tarx[@]}" -cf - .) | gzip -n >"$d/pkg/control.tar.gz"
  echo 2.0 >"$d/pkg/debian-binary"
  (cd "$d/pkg" && tar "${tarx[@]}" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -n >"$d/logtrigger.ipk"
  echo "$d/logtrigger.ipk"
}

# feed_row TRIPLE STD: builds, prints the `feed` lines, checks the shipped build's budgets.
feed_row() {
  local t=$1 std=$2 bin ipk bytes ipk_bytes kb ipk_kb verdict=OK note=""
  bin=$(feed_build "$t" "$std")
  ipk=$(feed_ipk "$t" "$bin")
  bytes=$(stat -c %s "$bin"); ipk_bytes=$(stat -c %s "$ipk")
  kb=$(( (bytes + 1023) / 1024 )); ipk_kb=$(( (ipk_bytes + 1023) / 1024 ))
  [[ $t == "$MIPS_MUSL" ]] && note=" (stand-in libc.so)"
  if [[ $std == small-pie ]]; then
    feed_lines+=("feed-pie $t $bytes")
    feed_lines+=("feed-pie-ipk $t $ipk_bytes")
    rows+=("$(printf '%-32s %9s %6s KB  ipk %7s B %4s KB  %-22s info  feed, LOGTRIGGER_SMALL_STD=y, CONFIG_PKG_ASLR_PIE_ALL (PIE)%s' \
      "$t" "$bytes" "$kb" "$ipk_bytes" "$ipk_kb" "" "$note")")
  elif [[ $std == small ]]; then
    if (( kb > FEED_BIN_BUDGET_KB || ipk_kb > FEED_IPK_BUDGET_KB )); then verdict=OVER; over=1; fi
    feed_lines+=("feed $t $bytes")
    feed_lines+=("feed-ipk $t $ipk_bytes")
    rows+=("$(printf '%-32s %9s %6s KB  ipk %7s B %4s KB  budget %s/%s KB  %-4s  feed, LOGTRIGGER_SMALL_STD=y%s' \
      "$t" "$bytes" "$kb" "$ipk_bytes" "$ipk_kb" $FEED_BIN_BUDGET_KB $FEED_IPK_BUDGET_KB "$verdict" "$note")")
  else
    feed_lines+=("feed-feedstd $t $bytes")
    feed_lines+=("feed-feedstd-ipk $t $ipk_bytes")
    rows+=("$(printf '%-32s %9s %6s KB  ipk %7s B %4s KB  %-22s info  feed, LOGTRIGGER_SMALL_STD=n (the feed'"'"'s std)%s' \
      "$t" "$bytes" "$kb" "$ipk_bytes" "$ipk_kb" "" "$note")")
  fi
  # The x86_64 binary must run (with the musl loader of Debian's musl). The mips one is linked
  # against stand-ins, so it is measured, not run: `scripts/sizes.sh mips` runs a static one.
  if [[ $t != "$MIPS_MUSL" ]]; then
    LD_LIBRARY_PATH=$FEED_DIR/toolchain "$bin" --help >/dev/null ||
      { echo "sizes.sh: $bin --help failed" >&2; exit 1; }
  fi
}

feed() {  # feed x86|mips|all|pie: the shipped build for x86_64, plus mips, plus the feed's std;
          # pie: both targets built as a CONFIG_PKG_ASLR_PIE_ALL image builds them
  local why
  # As the cross leg does: a toolchain that cannot be installed here (rustup's servers out of
  # reach) is a loud warning, not a size; a build or a budget failure still fails.
  if ! { ensure_target stable x86_64-unknown-linux-musl && ensure_stable_src; }; then
    echo "WARNING: stable x86_64-unknown-linux-musl or rust-src unavailable; feed size not measured" >&2
    feed_lines+=("feed x86_64-unknown-linux-musl skipped: toolchain unavailable")
    return 0
  fi
  if [[ $1 == pie ]]; then
    feed_row x86_64-unknown-linux-musl small-pie
    if why=$(mips_ready); then feed_row $MIPS_MUSL small-pie; else feed_lines+=("feed-pie $MIPS_MUSL skipped: $why"); fi
    return 0
  fi
  feed_row x86_64-unknown-linux-musl small
  if [[ $1 == all ]]; then feed_row x86_64-unknown-linux-musl feed; fi
  [[ $1 == x86 ]] && return 0
  if why=$(mips_ready); then
    feed_row $MIPS_MUSL small
    if [[ $1 == all ]]; then feed_row $MIPS_MUSL feed; fi
  else
    feed_lines+=("feed $MIPS_MUSL skipped: $why")
  fi
}

for w in "${which[@]}"; do
  case $w in x86) build_x86 ;; mips) build_mips ;; x86-stable) build_x86_stable ;;
    feed) feed x86 ;; feed-mips) feed mips ;; feed-all) feed all ;; feed-pie) feed pie ;;
    *) echo "unknown: $w" >&2; exit 2 ;; esac
done
echo
[[ " ${which[*]} " == *" x86"* || " ${which[*]} " == *" mips "* ]] && echo "SIZE_FLAGS=$SIZE_FLAGS"
printf '%-32s %9s %9s  %s\n' target bytes size "budget, verdict, how (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
printf '%s\n' "${rows[@]}"
if [[ ${#feed_lines[@]} -gt 0 ]]; then
  echo
  printf '%s\n' "${feed_lines[@]}"
fi
if (( over )); then
  echo "sizes.sh: the feed build exceeds its budget (binary ${FEED_BIN_BUDGET_KB} KB, ipk ${FEED_IPK_BUDGET_KB} KB)" >&2
  exit 1
fi
