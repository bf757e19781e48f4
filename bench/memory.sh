#!/usr/bin/env bash
# Memory: idle RSS of each receiver right after start, then peak RSS
# (VmHWM) after 1 000 000 messages over a temporary unix socket, half of them failures from
# 100 000 distinct attacker addresses (every address used in turn), so that every rule's key
# table fills up and evicts. Receivers: the logtrigger daemon (rules of bench/logtrigger.uci,
# count only), the minimal receiver lt_sink, rsyslog with the equivalent filter.
#
#   bench/memory.sh
#   ATTACKERS=100000 MESSAGES=1000000 RECEIVERS="logtrigger rsyslog" bench/memory.sh
#
# Run by hand, not in CI. Temp unix socket only (blocking sender: no loss); cleans up on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ATTACKERS=${ATTACKERS:-100000}
MESSAGES=${MESSAGES:-1000000}
RCVBUF=${RCVBUF:-1048576}
RECV_CORE=${RECV_CORE:-0}
SEND_CORE=${SEND_CORE:-1}
source bench/lib/common.sh

"$GEN" -n "$MESSAGES" --format frames --attackers "$ATTACKERS" --uniform --noise 50 \
  -o "$work/frames.log" --expect "$work/expect"
rss_kb() { awk '/^VmRSS:/ {print $2}' /proc/"$1"/status; }

printf "\nMemory: idle RSS, then peak RSS after %s messages from %s attacker addresses (unix socket)\n" "$MESSAGES" "$ATTACKERS"
printf "%-11s %12s %14s %14s %10s\n" receiver "idle RSS MB" "peak RSS MB" "RSS after MB" received
transport=unix
for recv in $RECEIVERS; do
  run="$work/run"; rm -rf "$run"; mkdir -p "$run"
  start_receiver "$recv" unix || { echo "memory.sh: $recv did not start" >&2; continue; }
  sleep 1
  idle=$(rss_kb "$RPID")
  timeout 600 taskset -c "$SEND_CORE" "$FLOOD" "${target[@]}" -f "$work/frames.log" >/dev/null
  sleep 0.5
  peak=$(hwm_kb "$RPID"); after=$(rss_kb "$RPID")
  GOT=0; received "$recv"
  [[ $recv == logtrigger ]] && cp "$run/status.json" "$work/lt-status.json" 2>/dev/null || true
  if [[ -n "$RPID" ]]; then kill -TERM "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true; RPID=""; fi
  awk -v r="$recv" -v i="$idle" -v p="$peak" -v a="$after" -v g="$GOT" \
    'BEGIN {printf "%-11s %12.2f %14.2f %14.2f %10s\n", r, i / 1024, p / 1024, a / 1024, g}'
done
if [[ -s "$work/lt-status.json" ]]; then echo; echo "logtrigger status after the run:"; cat "$work/lt-status.json"; fi
echo "(budgets: logtrigger idle RSS <= 1 MB, peak <= 4 MB with 100 000 attackers)"
echo "reproduce: BUILD=$BUILD PROFILE=$PROFILE RULES=$RULES ATTACKERS=$ATTACKERS MESSAGES=$MESSAGES RECEIVERS=\"$RECEIVERS\" bench/memory.sh"
