#!/usr/bin/env bash
# Ingest: the running logtrigger daemon, the minimal recvmmsg receiver
# (examples/lt_sink.rs, the ceiling of this machine) and rsyslog (imudp + imuxsock with an
# equivalent filter) receive the generated router log as datagrams from examples/lt_flood.rs over
# UDP loopback and a temporary unix socket, at each rate. Per run: loss (sent vs received), CPU µs
# per message (receiver's on-CPU time, all threads, from /proc/PID/task/*/schedstat), peak RSS
# (VmHWM). Receiver and sender are pinned to different cores; REPS repetitions, medians.
#
#   bench/ingest.sh
#   RATES="10000 100000 0" REPS=5 SECS=3 RECEIVERS="sink rsyslog logtrigger" bench/ingest.sh
#
# RATES: messages/s, 0 = flat out. SECS: seconds of traffic per paced run (flat out sends FLAT
# messages). Run by hand, not in CI. Sends only to 127.0.0.1 and to sockets in a temporary
# directory; never touches /dev/log; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"10000 50000 100000 200000 0"}
REPS=${REPS:-3}
SECS=${SECS:-3}
FLAT=${FLAT:-500000}
RCVBUF=${RCVBUF:-1048576}
TRANSPORTS=${TRANSPORTS:-"udp unix"}
RECV_CORE=${RECV_CORE:-0}
SEND_CORE=${SEND_CORE:-1}
DEADLINE=$((SECONDS + ${LIMIT:-3600}))

source bench/lib/common.sh
echo "receivers: $RECEIVERS; transports: $TRANSPORTS; rates: $RATES; reps: $REPS" >&2
"$GEN" -n 1000000 --format frames -o "$work/frames.log"

printf "receiver\ttransport\trate\trep\tsent\treceived\tcpu_ns\thwm_kb\tachieved\n" >"$work/results.tsv"
for rep in $(seq "$REPS"); do
  for transport in $TRANSPORTS; do
    for rate in $RATES; do
      for recv in $RECEIVERS; do
        (( SECONDS < DEADLINE )) || { echo "ingest.sh: LIMIT reached, stopping" >&2; break 4; }
        run="$work/run"; rm -rf "$run"; mkdir -p "$run"
        if (( rate > 0 )); then count=$((rate * SECS)); else count=$FLAT; fi
        if ! start_receiver "$recv" "$transport"; then
          echo "ingest.sh: $recv did not start on $transport" >&2; kill "$RPID" 2>/dev/null || true
          wait "$RPID" 2>/dev/null || true; RPID=""; continue
        fi
        cpu0=$(cpu_ns "$RPID")
        out=$(timeout $((count / (rate > 0 ? rate : 100000) + 60)) taskset -c "$SEND_CORE" \
          "$FLOOD" "${target[@]}" -f "$work/frames.log" --rate "$rate" --count "$count")
        sleep 0.5 # drain: the receiver empties its socket buffer
        cpu1=$(cpu_ns "$RPID"); hwm=$(hwm_kb "$RPID")
        GOT=0; received "$recv"
        if [[ -n "$RPID" ]]; then kill -TERM "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null || true; RPID=""; fi
        sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
        achieved=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$out")
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$recv" "$transport" "$rate" "$rep" \
          "$sent" "${GOT:-0}" $((cpu1 - cpu0)) "$hwm" "$achieved" | tee -a "$work/results.tsv" >&2
      done
    done
  done
done

python3 bench/lib/ingest_report.py "$work/results.tsv"
cp "$work/results.tsv" "${RESULTS:-/tmp/lt-ingest-results.tsv}"
echo
echo "raw results: ${RESULTS:-/tmp/lt-ingest-results.tsv}"
echo "reproduce: BUILD=$BUILD PROFILE=$PROFILE RULES=$RULES RATES=\"$RATES\" REPS=$REPS SECS=$SECS RCVBUF=$RCVBUF RECEIVERS=\"$RECEIVERS\" bench/ingest.sh"
