# Shared by bench/ingest.sh, bench/memory.sh and bench/idle.sh (sourced, not run): a temporary
# work directory removed on exit, the builds, and starting / measuring / stopping one receiver at
# a time — lt_sink, the logtrigger daemon or rsyslog — on 127.0.0.1 and on a socket in the work
# directory (never /dev/log). RPID is the running receiver; the EXIT trap stops it.
# Expects: RCVBUF, RECV_CORE; sets LT GEN FLOOD SINK, RECEIVERS (when unset), work.
#
# Knobs (environment):
#   BUILD=musl (default)  the receivers (logtrigger, lt_sink) are static x86_64 musl binaries, as
#                         on OpenWrt (rustup target add x86_64-unknown-linux-musl when missing);
#   BUILD=glibc           the host's default target instead;
#   PROFILE=release (default) | openwrt   the cargo profile of the receivers (openwrt: opt-level
#                         z, stripped — the package's build);
#   RULES=FILE            the `config rule` sections given to the daemon (default
#                         bench/logtrigger.uci, the rules rsyslog's filter is equivalent to;
#                         uci/logtrigger is the package's default configuration).
# The generator and the sender (gen_router_log, lt_flood) are always release builds for the host.

work=$(mktemp -d /tmp/lt-bench.XXXXXX)
RPID=""
cleanup() {
  [[ -n "$RPID" ]] && kill -TERM "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return
  echo "bench: installing $2" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$2" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$2" >/dev/null; }
}
need rsyslogd rsyslog
need taskset util-linux
need python3 python3

BUILD=${BUILD:-musl}
PROFILE=${PROFILE:-release}
RULES=${RULES:-bench/logtrigger.uci}
[[ -r $RULES ]] || { echo "bench: RULES=$RULES is not readable" >&2; exit 1; }
cargo build --release --quiet --example gen_router_log --example lt_flood
GEN=target/release/examples/gen_router_log
FLOOD=target/release/examples/lt_flood
case $BUILD in
  musl)
    triple=x86_64-unknown-linux-musl
    rustup target list --installed 2>/dev/null | grep -qx "$triple" || rustup target add "$triple"
    # Building an example builds the dev-dependencies too; their C parts only need a compiler.
    export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-cc}
    cargo build --profile "$PROFILE" --target "$triple" --quiet --bin logtrigger --example lt_sink
    out=target/$triple/$PROFILE ;;
  glibc)
    cargo build --profile "$PROFILE" --quiet --bin logtrigger --example lt_sink
    out=target/$PROFILE ;;
  *) echo "bench: BUILD must be musl or glibc, not $BUILD" >&2; exit 1 ;;
esac
LT=$PWD/$out/logtrigger
SINK=$out/examples/lt_sink
echo "bench: receivers built for $BUILD, profile $PROFILE ($(stat -c %s "$LT") B logtrigger); rules: $RULES" >&2

# The daemon takes part once it runs: it must stay up on a temp config (not todo!()).
if [[ -z "${RECEIVERS:-}" ]]; then
  RECEIVERS="sink rsyslog"
  printf "config logtrigger 'global'\n\toption socket '%s/probe.sock'\n\toption takeover '0'\n\tlist udp 'none'\n\toption control '%s/probe.ctl'\n\toption forward '%s/no-logd.sock'\n" "$work" "$work" "$work" >"$work/probe.conf"
  # Alive after a second (timeout's status 124): the daemon has landed.
  if (timeout 1 "$LT" -c "$work/probe.conf" >/dev/null 2>&1; [[ $? == 124 ]]) 2>/dev/null; then
    RECEIVERS="sink logtrigger rsyslog"
  fi
fi

# wait_for CONDITION… : polls a shell condition for at most 5 s.
wait_for() {
  local i
  for i in $(seq 50); do eval "$*" && return 0; sleep 0.1; done
  return 1
}
udp_bound() { awk -v p=":$(printf "%04X" "$1")" 'substr($2, length($2) - 4) == p {f = 1} END {exit !f}' /proc/net/udp; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' /proc/"$1"/status; }

# Configurations of the peers; the filters are those of bench/logtrigger.uci.
write_rsyslog_conf() { # DIR PORT SOCKET
  cat >"$1/rsyslog.conf" <<EOF
global(workDirectory="$1" maxMessageSize="8k" net.enableDNS="off")
module(load="imuxsock" SysSock.Use="off")
module(load="imudp" threads="1")
$( ((${IMPSTATS:-1})) && echo 'module(load="impstats" interval="1" format="json" log.file="'"$1"'/stats" log.syslog="off" resetCounters="off")' )
input(type="imuxsock" Socket="$3" RateLimit.Interval="0" CreatePath="off")
input(type="imudp" address="127.0.0.1" port="$2" rcvbufSize="$RCVBUF")
template(name="line" type="string" string="%timereported% %hostname% %syslogtag%%msg%\n")
if (\$programname == "dropbear" and re_match(\$msg, "(Bad password attempt for '.*' from [^ ]+:[0-9]+|Login attempt for nonexistent user from [^ ]+:[0-9]+|Exit before auth from <[^ ]+:[0-9]+>: .*)\\\$"))
 or (\$programname == "luci" and re_match(\$msg, "failed login on [^ ]+ for [^ ]+ from [^ ]+\\\$"))
 or (\$programname == "freeswitch" and re_match(\$msg, "(\\\\[WARNING\\\\] sofia_reg\\\\.c:[0-9]+ SIP auth failure \\\\([^ ]+\\\\) on sofia profile '[^ ]+' for \\\\[[^ ]+\\\\] from ip [^ ]+|\\\\[WARNING\\\\] sofia_reg\\\\.c:[0-9]+ Can't find user \\\\[[^ ]+\\\\] from [^ ]+)"))
 or (\$programname == "Freeswitch" and re_match(\$msg, "SIP registration failed User:[^ ]+ IP:[^ ]+"))
 or (\$programname == "asterisk" and re_match(\$msg, "(Registration from .* failed for '[^ ]+:[0-9]+' - .*|Request '[^ ]+' from .* failed for '[^ ]+:[0-9]+' \\\\(callid: [^ ]+\\\\) - .*)\\\$"))
then action(type="omfile" file="$1/matches" template="line")
EOF
}
write_logtrigger_conf() { # DIR PORT SOCKET
  {
    printf "config logtrigger 'global'\n\toption socket '%s'\n\toption takeover '0'\n" "$3"
    printf "\tlist udp '127.0.0.1:%s'\n\toption rcvbuf '%s'\n\toption control '%s/lt.ctl'\n" "$2" "$RCVBUF" "$1"
    # forward: a path nothing listens on, so the daemon never writes to a real logger.
    printf "\toption forward '%s/no-logd.sock'\n" "$1"
    sed -n '/^config rule/,$p' "$RULES"
  } >"$1/logtrigger.conf"
}

# received RECEIVER : sets GOT, the datagrams the running receiver got (after the traffic ended).
received() {
  case $1 in
    sink)
      kill -TERM "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; RPID=""
      GOT=$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$run/sink.out") ;;
    rsyslog)
      sleep 2.2 # impstats writes every second; let one report cover the whole run
      GOT=$(python3 - "$run/stats" "$transport" <<'EOF'
import json, sys
last = {}
for line in open(sys.argv[1], errors="replace"):
    i = line.find("{")
    if i < 0:
        continue
    try:
        o = json.loads(line[i:])
    except ValueError:
        continue
    last[o.get("name", "")] = o
if sys.argv[2] == "udp":
    print(sum(o.get("msgs.received", 0) for n, o in last.items() if n.startswith("imudp(w")))
else:
    print(last.get("imuxsock", {}).get("submitted", 0))
EOF
)
      ;;
    logtrigger)
      "$LT" status --json -c "$run/logtrigger.conf" >"$run/status.json" 2>"$run/status.err" || true
      GOT=$(python3 - "$run/status.json" "$transport" <<'EOF'
import json, sys
# The status schema belongs to the daemon; take the "received" counter of the input whose
# description names the transport, else the sum of every "received" counter.
try:
    o = json.load(open(sys.argv[1]))
except ValueError:
    print(-1); sys.exit()
hits = []
def walk(x):
    if isinstance(x, dict):
        if isinstance(x.get("received"), int):
            hits.append((str(x.get("name", "")), x["received"]))
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(o)
mine = [v for n, v in hits if n.startswith(sys.argv[2] + ":")]
print(sum(mine) if mine else sum(v for _, v in hits))
EOF
)
      ;;
  esac
}

start_receiver() { # RECEIVER TRANSPORT
  local port=$((20000 + RANDOM % 20000)) sock="$run/in.sock"
  case $1 in
    sink)
      if [[ $2 == udp ]]; then a=(--udp "127.0.0.1:$port"); else a=(--unix "$sock"); fi
      taskset -c "$RECV_CORE" "$SINK" "${a[@]}" --rcvbuf "$RCVBUF" >"$run/sink.out" & RPID=$! ;;
    rsyslog)
      write_rsyslog_conf "$run" "$port" "$sock"
      rsyslogd -N1 -f "$run/rsyslog.conf" >"$run/rsyslog.check" 2>&1 \
        || { cat "$run/rsyslog.check" >&2; echo "bench: bad rsyslog config" >&2; exit 1; }
      taskset -c "$RECV_CORE" rsyslogd -n -f "$run/rsyslog.conf" -i "$run/rsyslog.pid" >"$run/rsyslog.err" 2>&1 & RPID=$! ;;
    logtrigger)
      write_logtrigger_conf "$run" "$port" "$sock"
      taskset -c "$RECV_CORE" "$LT" -c "$run/logtrigger.conf" >"$run/lt.err" 2>&1 & RPID=$! ;;
  esac
  if [[ $2 == udp ]]; then wait_for udp_bound "$port"; target=(--udp "127.0.0.1:$port")
  else wait_for test -S "$sock"; target=(--unix "$sock"); fi
  sleep 0.3 # let the receiver finish starting (threads, buffers) before the baseline
}

