#!/usr/bin/env bash
# cross-test.sh - run logtrigger's portable tests on a foreign CPU under qemu-user (catches
# big-endian, 32-bit usize, and the missing 64-bit atomics of MIPS32). Adapted from
# shared/tools/cross-test.sh; same knobs, plus:
#   - no cargo args given -> `--lib --tests --no-fail-fast -j2` (unit tests + integration tests, never benches);
#   - LT_RUNNER is exported (the qemu command): tests that spawn the built binary run it through it;
#   - LT_CROSS=1 is exported: tests that need root-only host tools (netns, nft, dropbear, real
#     daemons) check it and return early with "skipped under qemu";
#   - CARGO_TARGET_DIR defaults to target/cross (keeps the host's target/ warm);
#   - if the cross TOOLCHAIN cannot be installed (apt, rustup), it prints
#     "WARNING: <target> cross toolchain unavailable: <reason>" and exits $CROSS_UNAVAILABLE_RC
#     (default 0); a build or test failure exits non-zero;
#   - no nightly and none installable -> the stable toolchain + rust-src with RUSTC_BOOTSTRAP=1.
#
# Usage: cross-test.sh <target> [extra cargo test args...]
#   target:  mips | mipsel | armv7 | aarch64 | i686 | mips-musl | mipsel-musl
#   e.g.     cross-test.sh mips
#            cross-test.sh aarch64 --release -- --nocapture
#
# What each target means (each checked on Debian 12 with qemu-user):
#   mips        mips-unknown-linux-gnu       tier 3: nightly -Zbuild-std, linker mips-linux-gnu-gcc,
#                                            runner "qemu-mips -L /usr/mips-linux-gnu"   (big-endian)
#   mipsel      mipsel-unknown-linux-gnu     same, little-endian
#   mips-musl   mips-unknown-linux-musl      OpenWrt ABI (musl, soft-float, static): nightly -Zbuild-std,
#                                            rust-lld, musl crt/libc.a borrowed from Rust 1.71.1's rust-std
#                                            (the last release that shipped it), runner qemu-mips
#   mipsel-musl mipsel-unknown-linux-musl    same, little-endian
#   armv7       armv7-unknown-linux-gnueabihf  rustup std, linker arm-linux-gnueabihf-gcc, qemu-arm -L ...
#   aarch64     aarch64-unknown-linux-musl   rustup std, rust-lld, static, qemu-aarch64
#   i686        i686-unknown-linux-musl      rustup std, rust-lld, static, qemu-i386
#
# Environment knobs:
#   CROSS_MODE=auto|rustup|build-std  force how std is obtained (default auto: rustup std if the
#                                     target is tier 2 and `rustup target add` works, else build-std;
#                                     build-std for aarch64/i686 switches to the *-linux-gnu triple)
#   CROSS_NIGHTLY=nightly             toolchain used for -Zbuild-std (default "nightly")
#   CROSS_NO_INSTALL=1                never install anything; fail with the command to run instead
#   CARGO_TARGET_<TRIPLE>_LINKER / _RUNNER / _RUSTFLAGS  if already set, they are respected.
# Needs: Debian/Ubuntu (apt-get) for the cross gcc and qemu-user, rustup in PATH.
set -euo pipefail

PROG=${0##*/}
log()  { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
# The toolchain (not the code) is missing: say so loudly, and let CI go on.
unavailable() {
  printf '\n*** WARNING: %s cross toolchain unavailable: %s ***\n\n' "${ARCH:-?}" "$*" >&2
  exit "${CROSS_UNAVAILABLE_RC:-0}"
}
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

[[ $# -ge 1 ]] || usage 2
ARCH=$1; shift
case "$ARCH" in -h|--help|help) usage 0 ;; esac

MODE=${CROSS_MODE:-auto}
NIGHTLY=${CROSS_NIGHTLY:-nightly}
MUSL_OBJS_TOOLCHAIN=1.71.1   # last Rust release with rust-std for mips(el)-unknown-linux-musl

# ---- target table -----------------------------------------------------------
# TRIPLE: rust target; GNU: Debian cross prefix (empty = no gcc needed); DEBARCH: Debian
# arch of the libc6-dev-<DEBARCH>-cross package (only a Recommends of gcc-<GNU>, so name it);
# QEMU: qemu-<QEMU>; TIER3=1: no rustup std exists -> must use -Zbuild-std.
TIER3=0; GNU=""; DEBARCH=""; LINKER=""; MUSL_STATIC=0
case "$ARCH" in
  mips)        TRIPLE=mips-unknown-linux-gnu;      GNU=mips-linux-gnu;     DEBARCH=mips;   QEMU=mips;   TIER3=1 ;;
  mipsel)      TRIPLE=mipsel-unknown-linux-gnu;    GNU=mipsel-linux-gnu;   DEBARCH=mipsel; QEMU=mipsel; TIER3=1 ;;
  mips-musl)   TRIPLE=mips-unknown-linux-musl;     QEMU=mips;    TIER3=1; MUSL_STATIC=1; LINKER=rust-lld ;;
  mipsel-musl) TRIPLE=mipsel-unknown-linux-musl;   QEMU=mipsel;  TIER3=1; MUSL_STATIC=1; LINKER=rust-lld ;;
  armv7)       TRIPLE=armv7-unknown-linux-gnueabihf; GNU=arm-linux-gnueabihf; DEBARCH=armhf; QEMU=arm ;;
  aarch64)     TRIPLE=aarch64-unknown-linux-musl;  QEMU=aarch64; LINKER=rust-lld ;;
  i686)        TRIPLE=i686-unknown-linux-musl;     QEMU=i386;    LINKER=rust-lld ;;
  *) log "unknown target '$ARCH'"; usage 2 ;;
esac
case "$MODE" in auto|rustup|build-std) ;; *) die "CROSS_MODE must be auto, rustup or build-std (got '$MODE')" ;; esac
[[ -f Cargo.toml ]] || die "no Cargo.toml in $(pwd); run this from the project root"
command -v rustup >/dev/null || unavailable "rustup not found in PATH (install from https://rustup.rs)"

# ---- helpers ----------------------------------------------------------------
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO=sudo; fi
fi
APT_UPDATED=0
ensure_pkgs() {   # ensure_pkgs pkg... : install the missing ones with apt-get
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  [[ ${CROSS_NO_INSTALL:-0} == 1 ]] && die "missing Debian packages; run: ${SUDO:+sudo }$cmd"
  command -v apt-get >/dev/null || unavailable "missing packages (${missing[*]}) and no apt-get"
  [[ $(id -u) -eq 0 || -n $SUDO ]] || unavailable "need root to run: apt-get install ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  if [[ $APT_UPDATED == 0 ]]; then
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq || log "apt-get update failed; trying install anyway"
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
      install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || unavailable "apt-get install ${missing[*]} failed"
}

# Sets CARGO=(...) to a toolchain that can -Zbuild-std: $NIGHTLY with rust-src, else stable
# with rust-src under RUSTC_BOOTSTRAP=1 (the nightly flags are then accepted by stable).
pick_build_std_toolchain() {
  local tc
  for tc in "$NIGHTLY" stable; do
    if ! rustup toolchain list | grep -q "^${tc}[-[:space:]]"; then
      [[ ${CROSS_NO_INSTALL:-0} == 1 ]] && continue
      log "installing toolchain $tc (+rust-src) for -Zbuild-std"
      rustup toolchain install "$tc" --profile minimal --component rust-src >&2 || continue
    fi
    if ! rustup component list --toolchain "$tc" --installed | grep -q '^rust-src'; then
      [[ ${CROSS_NO_INSTALL:-0} == 1 ]] && continue
      log "adding rust-src to $tc"
      rustup component add rust-src --toolchain "$tc" >&2 || continue
    fi
    NIGHTLY=$tc
    [[ $tc == stable ]] && { export RUSTC_BOOTSTRAP=1; log "using stable + RUSTC_BOOTSTRAP=1"; }
    return 0
  done
  unavailable "no toolchain with rust-src for -Zbuild-std (rustup toolchain install nightly --profile minimal --component rust-src)"
}

ensure_qemu() {
  if command -v "qemu-$QEMU" >/dev/null; then QEMU_BIN=qemu-$QEMU
  elif command -v "qemu-$QEMU-static" >/dev/null; then QEMU_BIN=qemu-$QEMU-static
  else ensure_pkgs qemu-user; QEMU_BIN=qemu-$QEMU
  fi
  command -v "$QEMU_BIN" >/dev/null || unavailable "$QEMU_BIN not found after installing qemu-user"
}

# Borrow musl crt objects + libc.a + libunwind.a for tier-3 musl MIPS targets from the
# last Rust release that shipped them, into the nightly sysroot (rustc looks there).
ensure_musl_selfcontained() {
  local sr sc src
  sr=$(rustc "+$NIGHTLY" --print sysroot)
  sc=$sr/lib/rustlib/$TRIPLE/lib/self-contained
  [[ -f $sc/crt1.o && -f $sc/libc.a && -f $sc/libunwind.a ]] && return 0
  [[ ${CROSS_NO_INSTALL:-0} == 1 ]] && unavailable "missing musl objects in $sc (run without CROSS_NO_INSTALL=1)"
  log "fetching musl crt/libc.a for $TRIPLE from Rust $MUSL_OBJS_TOOLCHAIN (one-off, ~650 MB toolchain)"
  rustup toolchain install "$MUSL_OBJS_TOOLCHAIN" --profile minimal --target "$TRIPLE" >/dev/null \
    || unavailable "could not install Rust $MUSL_OBJS_TOOLCHAIN with target $TRIPLE"
  src=$(rustc "+$MUSL_OBJS_TOOLCHAIN" --print sysroot)/lib/rustlib/$TRIPLE/lib/self-contained
  [[ -f $src/crt1.o ]] || unavailable "no self-contained objects in $src"
  mkdir -p "$(dirname "$sc")"
  cp -r "$src" "$(dirname "$sc")/"
  log "installed $sc"
}

# ---- decide how std is obtained ---------------------------------------------
USE_BUILD_STD=0
if [[ $TIER3 == 1 ]]; then
  [[ $MODE == rustup ]] && die "$TRIPLE is tier 3: rustup has no std for it; only build-std works"
  USE_BUILD_STD=1
elif [[ $MODE == build-std ]]; then
  USE_BUILD_STD=1
else
  if ! rustup target list --installed 2>/dev/null | grep -qx "$TRIPLE"; then
    log "rustup target add $TRIPLE"
    if ! rustup target add "$TRIPLE" >/dev/null 2>&1; then
      [[ $MODE == rustup ]] && die "rustup target add $TRIPLE failed"
      log "rustup target add $TRIPLE failed; falling back to nightly -Zbuild-std"
      USE_BUILD_STD=1
    fi
  fi
fi
# build-std cannot link the tier-2 musl targets without their rust-std (crt objects,
# libc.a), so fall back to the glibc triple + Debian cross gcc for those.
if [[ $USE_BUILD_STD == 1 && $TIER3 == 0 && $TRIPLE == *-musl ]]; then
  case "$ARCH" in
    aarch64) TRIPLE=aarch64-unknown-linux-gnu; GNU=aarch64-linux-gnu; DEBARCH=arm64; LINKER="" ;;
    i686)    TRIPLE=i686-unknown-linux-gnu;    GNU=i686-linux-gnu;    DEBARCH=i386;  LINKER="" ;;
  esac
fi

# ---- install what is needed ------------------------------------------------
ensure_qemu
[[ -n $GNU ]] && ensure_pkgs "gcc-$GNU" "libc6-dev-$DEBARCH-cross"
# cc-rs (criterion -> alloca builds a C file) needs a C compiler for *-musl targets: Debian's
# glibc cross gcc compiles that freestanding file fine.
if [[ $TRIPLE == aarch64-unknown-linux-musl && -z ${CC_aarch64_unknown_linux_musl:-} ]]; then
  ensure_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
fi
CARGO=(cargo)
if [[ $USE_BUILD_STD == 1 ]]; then
  pick_build_std_toolchain
  CARGO=(cargo "+$NIGHTLY")
  [[ $MUSL_STATIC == 1 ]] && ensure_musl_selfcontained
fi

# ---- configure cargo through env (respect values already set) ---------------
T_ENV=$(printf '%s' "$TRIPLE" | tr 'a-z.-' 'A-Z__')
lk=CARGO_TARGET_${T_ENV}_LINKER rn=CARGO_TARGET_${T_ENV}_RUNNER rf=CARGO_TARGET_${T_ENV}_RUSTFLAGS
if [[ -z ${!lk:-} ]]; then
  if [[ -n $GNU ]]; then export "$lk=$GNU-gcc"; else export "$lk=$LINKER"; fi
fi
if [[ -z ${!rn:-} ]]; then
  if [[ -n $GNU ]]; then export "$rn=$QEMU_BIN -L /usr/$GNU"; else export "$rn=$QEMU_BIN"; fi
fi
if [[ $MUSL_STATIC == 1 && -z ${!rf:-} ]]; then
  export "$rf=-C target-feature=+crt-static"   # mips*-musl default to dynamic linking
fi
if [[ $MUSL_STATIC == 1 && ${RUSTDOCFLAGS:-} != *crt-static* ]]; then
  export RUSTDOCFLAGS="${RUSTDOCFLAGS:+$RUSTDOCFLAGS }-C target-feature=+crt-static"  # for doctests
fi
[[ -n ${RUSTFLAGS:-} ]] && log "note: RUSTFLAGS is set and overrides $rf"

BS=()
if [[ $USE_BUILD_STD == 1 ]]; then
  BS=(-Zbuild-std)
  # A profile with panic="abort" makes `cargo test -Zbuild-std` build std twice (abort for the
  # bin/lib, unwind for the test harness) -> "E0152 duplicate lang item in crate core".
  # Tests always unwind anyway, so force unwind for the profiles this run may use.
  profs=(DEV RELEASE TEST BENCH); prev=""
  for a in "$@"; do
    [[ $prev == --profile ]] && profs+=("$a")
    [[ $a == --profile=* ]] && profs+=("${a#--profile=}")
    prev=$a
  done
  for p in "${profs[@]}"; do
    v=CARGO_PROFILE_$(printf '%s' "$p" | tr 'a-z-' 'A-Z_')_PANIC
    [[ -z ${!v:-} ]] && export "$v=unwind"
  done
fi
export LT_CROSS=1                                      # portable tests only (see header)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cross}
# Tests that spawn the built binary (env!("CARGO_BIN_EXE_logtrigger")) cannot exec a foreign ELF
# without binfmt_misc: they must prefix the command with $LT_RUNNER when it is set.
export LT_RUNNER=${!rn}
[[ $# -eq 0 ]] && set -- --lib --tests --no-fail-fast -j2
log "target $TRIPLE ($( [[ $USE_BUILD_STD == 1 ]] && echo "build-std on $NIGHTLY" || echo "rustup std" ))"
log "linker=${!lk}  runner=${!rn}${!rf:+  rustflags=${!rf}}"
log "running: ${CARGO[*]} test ${BS[*]} --target $TRIPLE $*"
start=$SECONDS
rc=0
"${CARGO[@]}" test "${BS[@]}" --target "$TRIPLE" "$@" || rc=$?
if [[ $rc -eq 0 ]]; then
  log "OK: tests passed on $TRIPLE under $QEMU_BIN ($((SECONDS - start))s)"
else
  log "FAILED (exit $rc) on $TRIPLE after $((SECONDS - start))s"
  if [[ $ARCH == mips* ]]; then
    log "hint: 32-bit MIPS has no 64-bit atomics: 'no AtomicU64 in sync::atomic' (E0432) means code must be"
    log "      gated with #[cfg(target_has_atomic = \"64\")] or use a Mutex / the portable-atomic crate."
  fi
  log "hint: SIGILL/SIGSEGV right at start usually means an ABI mismatch (wrong linker/libc for $TRIPLE)."
fi
exit "$rc"
