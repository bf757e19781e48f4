#!/usr/bin/env bash
# Idle cost: context switches (voluntary + involuntary, all threads, from
# /proc/PID/task/*/status) of each receiver while nothing is sent, over IDLE seconds (default 10),
# after a settling second. Each wake-up of an idle daemon costs a router power and cache.
#
#   bench/idle.sh
#   BUILD=musl PROFILE=openwrt RULES=uci/logtrigger bench/idle.sh   (knobs: bench/lib/common.sh)
#   IDLE=30 RECEIVERS="logtrigger rsyslog" bench/idle.sh
#
# lt_sink wakes on purpose every 100 ms (its stop check); it is listed for reference only.
# Run by hand, not in CI. Temp sockets and 127.0.0.1 only; cleans up on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
IDLE=${IDLE:-10}
RCVBUF=${RCVBUF:-1048576}
RECV_CORE=${RECV_CORE:-0}
IMPSTATS=0 # its 1 s reports would be wake-ups of their own
source bench/lib/common.sh

switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null \
    | awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {s += $2} END {printf "%d", s}'
}

printf "\nIdle wake-ups over %s s (udp 127.0.0.1 and a unix socket bound, no traffic)\n" "$IDLE"
printf "%-11s %10s %12s %12s %8s\n" receiver switches "per second" "idle RSS MB" threads
for recv in $RECEIVERS; do
  run="$work/run"; rm -rf "$run"; mkdir -p "$run"
  # Both inputs open, as on a router: the unix socket here, UDP in the same config.
  start_receiver "$recv" unix || { echo "idle.sh: $recv did not start" >&2; continue; }
  sleep 1
  s0=$(switches "$RPID")
  sleep "$IDLE"
  s1=$(switches "$RPID")
  rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$RPID"/status)
  threads=$(ls /proc/"$RPID"/task | wc -l)
  kill -TERM "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true; RPID=""
  awk -v r="$recv" -v d=$((s1 - s0)) -v t="$IDLE" -v m="$rss" -v n="$threads" \
    'BEGIN {printf "%-11s %10d %12.2f %12.2f %8d\n", r, d, d / t, m / 1024, n}'
done
echo "(budget: logtrigger <= 1 wake-up per second, idle RSS <= 1 MB)"
echo "reproduce: BUILD=$BUILD PROFILE=$PROFILE RULES=$RULES IDLE=$IDLE RECEIVERS=\"$RECEIVERS\" bench/idle.sh"
