#!/usr/bin/env bash
# Replay throughput: `logtrigger test` against `fail2ban-regex` on the same
# generated router log, in the same run. Prints lines/s, CPU seconds, peak RSS, and whether each
# tool found exactly the failures (and logtrigger exactly the firings) the generator emitted.
#
#   bench/replay.sh                 # 1 000 000 lines, seed 1
#   LINES=200000 SEED=7 bench/replay.sh
#   CONFIG=uci/logtrigger bench/replay.sh   # also replays with the shipped default rules
#
# Run by hand (not in CI). Bounded: each tool gets at most $LIMIT seconds. Touches no socket.
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-1000000}
SEED=${SEED:-1}
LIMIT=${LIMIT:-1800}
CONFIG=${CONFIG:-}
FILTER=bench/fail2ban/filter.d/router-bench.conf

work=$(mktemp -d /tmp/lt-replay.XXXXXX)
trap 'rm -rf "$work"' EXIT

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return
  echo "replay.sh: installing $2" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$2" >/dev/null \
    || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
need fail2ban-regex fail2ban
need /usr/bin/time time
need python3 python3

cargo build --release --quiet --bin logtrigger --example gen_router_log
LT=target/release/logtrigger
GEN=target/release/examples/gen_router_log

echo "generating $LINES lines (seed $SEED)…" >&2
"$GEN" -n "$LINES" --seed "$SEED" --format syslog -o "$work/router.log" --expect "$work/expect"
cat "$work/router.log" >/dev/null # warm the page cache: both tools read it from memory

# measure NAME COMMAND… : wall, user, sys seconds and max RSS (KiB) into $work/NAME.time
measure() {
  local name=$1; shift
  echo "running $name…" >&2
  timeout "$LIMIT" /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" \
    || echo "$name: exit $? ($(tail -n 3 "$work/$name.err" | tr '\n' ' '))" >>"$work/failed"
}
measure logtrigger "$LT" test -c bench/logtrigger.uci --json "$work/router.log"
measure fail2ban "$(command -v fail2ban-regex)" --print-no-missed --print-no-ignored -r "$work/router.log" "$FILTER"
if [[ -n "$CONFIG" ]]; then
  measure default "$LT" test -c "$CONFIG" "$work/router.log"
fi

python3 bench/lib/replay_report.py "$work"
echo
echo "reproduce: LINES=$LINES SEED=$SEED${CONFIG:+ CONFIG=$CONFIG} bench/replay.sh"
