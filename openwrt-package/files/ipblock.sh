#!/bin/sh
# ipblock.sh — logtrigger's ban action (SPEC §10).
#
#   ipblock.sh                  ban $LT_ip (run by logtrigger on a firing rule; options below)
#   ipblock.sh ban ADDR [TIME]  ban by hand (ADDR may be an IPv6 network: 2001:db8:1:2::/64)
#   ipblock.sh unban ADDR       lift the ban of ADDR (or of the banned network holding it)
#   ipblock.sh list [--json]    address, rule, remaining time, until, bantime, times banned
#   ipblock.sh flush            lift every ban and forget every offender
#   ipblock.sh save FILE        write the bans and offenders with their remaining time
#   ipblock.sh restore FILE     put saved bans back with what is left of them (all or nothing)
#   ipblock.sh recreate         put the table back after `fw4 flush` (the firewall include)
#   ipblock.sh teardown         remove logtrigger's table (or ipset sets and iptables rules)
#
# Bans live in nftables `table inet logtrigger`: sets ban4/ban6 (addresses) and net6 (IPv6
# networks) with per-element timeouts and a comment "RULE TIMES BANTIME", dropped in the input and
# forward hooks just before fw4; sets mem4/mem6 remember offenders ("TIMES") for the ban plus
# bantime_memory so a repeat offender's ban grows. After every change a snapshot goes to RAM
# (bans.live): fw4 flush deletes every table, and the firewall include (recreate) restores it.
# On firmware without nft: ipset sets logtrigger4/logtrigger6 matched by iptables/ip6tables rules
# (plain bans: no memory, no networks, no snapshot).
#
# Rule options (passed as LT_<option>; durations take s m h d w suffixes):
#   bantime (1h)  bantime_increment (1; 0: every ban lasts bantime)  bantime_factor (2)
#   bantime_max (1w)  bantime_memory (1w after the ban ends)  ban_prefix6 (off; e.g. 64)
# A repeat offender's ban is bantime x factor^n (n: earlier bans still remembered), at most
# bantime_max.
#
# Invariants:
# - Every byte of $LT_ip is attacker-controlled. `logtrigger addr` decides what it names: exactly
#   one IPv4/IPv6 address (optional :port, [v6], [v6]:port, dropbear's unbracketed v6:port),
#   compared as an address (canonical, IPv4-mapped folded), never loopback, unspecified,
#   multicast, broadcast or one of the router's own addresses. Anything else is refused and
#   logged, and never reaches a command line or the firewall.
# - The table, sets, chains and rules are (re)declared in the same atomic `nft -f` transaction that
#   adds elements: `add` is idempotent and the chains are flushed and refilled in that
#   transaction, so concurrent first uses can never duplicate a rule and existing bans survive.
# - A re-ban replaces the element (add, delete, add in one transaction), which restarts its
#   timeout on every kernel (older kernels ignore a new timeout on a plain `add`).
# - A restore is validated whole and applied in one transaction: never half-applied.
#
# Environment (tests and experts only; logtrigger passes none of these): NFT, CONNTRACK, IPSET,
# IPTABLES, IP6TABLES, LOGGER (command paths; default: found in PATH), LOGTRIGGER (default: the
# daemon that runs this script, else found in PATH), LT_BLOCKLOG
# (log file), LT_LOCKDIR (lock directory), LT_RUNDIR (where the RAM snapshot lives),
# LT_SAVEFILE (the file saved at stop, rewritten when a ban is lifted by hand),
# LT_ipport=1 (an unbracketed IPv6 value always ends in :port; implied when LT_program is
# dropbear and the rule captured no separate `port` field).
# Exit status: 0 done, 1 refused input or not banned, 2 firewall error.

set -f
umask 022

# logtrigger's variables (SPEC §7); empty when run by hand.
: "${LT_ip=}" "${LT_name=}" "${LT_count=}" "${LT_message=}" "${LT_program=}" "${LT_port=}"
: "${LT_bantime_increment=}" "${LT_bantime_factor=}" "${LT_bantime_max=}"
: "${LT_bantime_memory=}" "${LT_ban_prefix6=}"

TABLE=logtrigger
BLOCKLOG=${LT_BLOCKLOG:-/var/log/blockedIPs.log}
RUNDIR=${LT_RUNDIR:-/var/run/logtrigger}
LIVE=$RUNDIR/bans.live
LOG_MAX=262144
DEFAULT_BANTIME=3600
UNDO=/etc/init.d/logtrigger

NFT_BIN=${NFT:-$(command -v nft)}
IPSET_BIN=${IPSET:-$(command -v ipset)}
IPT_BIN=${IPTABLES:-$(command -v iptables)}
IP6T_BIN=${IP6TABLES:-$(command -v ip6tables)}
CT_BIN=${CONNTRACK:-$(command -v conntrack)}
LOGGER_BIN=${LOGGER:-$(command -v logger)}

# find_logtrigger: the binary that checks addresses: $LOGTRIGGER, else the daemon that ran this
# script (its parent), else the one in PATH.
find_logtrigger() {
	for _c in "${LOGTRIGGER-}" "$(readlink "/proc/$PPID/exe" 2>/dev/null)" \
		"$(command -v logtrigger)" /usr/sbin/logtrigger; do
		case "${_c##*/}" in
		logtrigger*) [ -x "$_c" ] && { echo "$_c"; return 0; } ;;
		esac
	done
	echo /usr/sbin/logtrigger
}
LT_BIN=$(find_logtrigger)

# clean TEXT MAX: TEXT without control bytes, cut to MAX characters (safe to log).
clean() {
	printf '%s' "$1" | tr -d '\001-\037\177' | cut -c "1-$2"
}

# log PRIORITY MESSAGE: to syslog (tag logtrigger, never matched by logtrigger's own rules).
log() {
	[ -n "$LOGGER_BIN" ] && "$LOGGER_BIN" -t logtrigger -p "daemon.$1" "ipblock: $2" 2>/dev/null
	case "$1" in err | warning) printf 'ipblock: %s\n' "$2" >&2 ;; esac
	return 0
}

# blocklog MESSAGE: one dated line in the block log, rotated to .1 beyond LOG_MAX bytes.
blocklog() {
	if [ -f "$BLOCKLOG" ] && [ "$(($(wc -c <"$BLOCKLOG")))" -gt "$LOG_MAX" ]; then
		mv -f "$BLOCKLOG" "$BLOCKLOG.1"
	fi
	printf '%s %s\n' "$(date '+%Y/%m/%d %H:%M:%S')" "$1" >>"$BLOCKLOG" 2>/dev/null
	return 0
}

# secs VALUE: VALUE (N, Ns, Nm, Nh, Nd, Nw) in seconds, 1..99999999; fails otherwise.
secs() {
	_unit=1
	_num=$1
	case "$1" in
	*s) _num=${1%s} ;;
	*m) _num=${1%m} _unit=60 ;;
	*h) _num=${1%h} _unit=3600 ;;
	*d) _num=${1%d} _unit=86400 ;;
	*w) _num=${1%w} _unit=604800 ;;
	esac
	case "$_num" in '' | *[!0-9]* | 0* | ?????????*) return 1 ;; esac
	_s=$((_num * _unit))
	[ "$_s" -le 99999999 ] || return 1
	echo "$_s"
}

# opt NAME VALUE DEFAULT: VALUE in seconds, or DEFAULT with a warning when it is not a duration.
opt_secs() {
	[ -z "$2" ] && { echo "$3"; return 0; }
	secs "$2" && return 0
	log warning "$1 '$(clean "$2" 20)' is not 1..99999999 seconds (or 10m 2h 1d 1w), using $3"
	echo "$3"
}

# opt_int NAME VALUE DEFAULT MIN MAX: an integer option, or DEFAULT with a warning.
opt_int() {
	[ -z "$2" ] && { echo "$3"; return 0; }
	case "$2" in
	*[!0-9]* | 0?* | ????*) ;;
	*) [ "$2" -ge "$4" ] && [ "$2" -le "$5" ] && { echo "$2"; return 0; } ;;
	esac
	log warning "$1 '$(clean "$2" 20)' is not $4..$5, using $3"
	echo "$3"
}

# human SECONDS: 1w2d3h4m5s style (what the admin reads).
human() {
	_h=$1
	_out=
	for _u in 604800:w 86400:d 3600:h 60:m; do
		_n=$((_h / ${_u%:*}))
		[ "$_n" -gt 0 ] && _out="$_out$_n${_u#*:}" && _h=$((_h - _n * ${_u%:*}))
	done
	[ "$_h" -gt 0 ] || [ -z "$_out" ] && _out="$_out${_h}s"
	echo "$_out"
}

# check_addr VALUE [PREFIX6]: sets FAM, ADDR (the address) and UNIT (what is banned: ADDR or an
# IPv6 network) when `logtrigger addr` accepts VALUE; sets WHY otherwise.
check_addr() {
	FAM=
	ADDR=
	UNIT=
	WHY=
	if [ ! -x "$LT_BIN" ]; then
		WHY="cannot check addresses: $LT_BIN not found"
		return 1
	fi
	_flags=
	[ "$PORTMODE" = 1 ] && _flags=--port
	# A network (ADDR/LEN) only when an admin names one: never from a log line.
	[ "$NETOK" = 1 ] && _flags="$_flags --net"
	[ -n "$2" ] && _flags="$_flags --prefix6=$2"
	# shellcheck disable=SC2086 # $_flags is our own list of options
	_res=$("$LT_BIN" addr $_flags -- "$1" 2>&1)
	_rc=$?
	if [ "$_rc" -ne 0 ]; then
		WHY=${_res##*: }
		return 1
	fi
	case "$_res" in
	*[!0-9a-f.:/\ ]* | '') WHY="unexpected answer from $LT_BIN"; return 1 ;;
	esac
	# shellcheck disable=SC2086 # three words: family, address, unit
	set -- $_res
	FAM=$1
	ADDR=$2
	UNIT=$3
	[ -n "$UNIT" ]
}

# need_addr VALUE [PREFIX6]: check_addr, or log the refusal and exit 1.
need_addr() {
	PORTMODE=${LT_ipport:-0}
	# A rule that captured the port itself (LT_port) left a port-free address in LT_ip.
	[ "$LT_program" = dropbear ] && [ -z "$LT_port" ] && PORTMODE=1
	check_addr "$1" "$2" && return 0
	_why="refused address '$(clean "$1" 64)' (rule '$(clean "$LT_name" 40)'): $(clean "$WHY" 80)"
	log warning "$_why"
	blocklog "$_why"
	exit 1
}

have_nft() { [ -n "$NFT_BIN" ] && [ -x "$NFT_BIN" ]; }
have_cmd() { [ -n "$1" ] && [ -x "$1" ]; }

# nft_declare: the whole table, idempotent (see the header's invariants).
nft_declare() {
	printf 'add table inet %s\n' "$TABLE"
	printf 'add set inet %s ban4 { type ipv4_addr; flags timeout; }\n' "$TABLE"
	printf 'add set inet %s ban6 { type ipv6_addr; flags timeout; }\n' "$TABLE"
	printf 'add set inet %s net6 { type ipv6_addr; flags interval,timeout; }\n' "$TABLE"
	printf 'add set inet %s mem4 { type ipv4_addr; size 65536; flags timeout; }\n' "$TABLE"
	printf 'add set inet %s mem6 { type ipv6_addr; size 65536; flags timeout; }\n' "$TABLE"
	for _hook in input forward; do
		printf 'add chain inet %s %s { type filter hook %s priority -1; policy accept; }\n' \
			"$TABLE" "$_hook" "$_hook"
		printf 'flush chain inet %s %s\n' "$TABLE" "$_hook"
		printf 'add rule inet %s %s ip saddr @ban4 counter drop\n' "$TABLE" "$_hook"
		printf 'add rule inet %s %s ip6 saddr @ban6 counter drop\n' "$TABLE" "$_hook"
		printf 'add rule inet %s %s ip6 saddr @net6 counter drop\n' "$TABLE" "$_hook"
	done
}

# nft_put SET ELEMENT SECONDS COMMENT: add or replace one element (restarting its timeout).
nft_put() {
	printf 'add element inet %s %s { %s timeout 1s }\n' "$TABLE" "$1" "$2"
	printf 'delete element inet %s %s { %s }\n' "$TABLE" "$1" "$2"
	printf 'add element inet %s %s { %s timeout %ss comment "%s" }\n' "$TABLE" "$1" "$2" "$3" "$4"
}

# nft_table_exists: asked of the table names (listing the table would list every ban).
nft_table_exists() { "$NFT_BIN" list tables 2>/dev/null | grep -qx "table inet $TABLE"; }

# ban_set: the set UNIT goes in.
ban_set() {
	case "$UNIT" in
	*/*) echo net6 ;;
	*) echo "ban$FAM" ;;
	esac
}

# remembered KEY: how many times KEY was banned within the memory window (0: never).
remembered() {
	_c=$("$NFT_BIN" get element inet "$TABLE" "mem$FAM" "{ $1 }" 2>/dev/null |
		sed -n 's/.*comment "\([0-9]*\)".*/\1/p')
	case "$_c" in '' | *[!0-9]*) echo 0 ;; *) echo "$_c" ;; esac
}

# nft_elements: one line per element of the table: SET ELEMENT TIMEOUT EXPIRES COMMENT-WORDS
# (seconds; the comment's words, "-" when there is none).
# Fails when nft cannot list the table (a snapshot is never taken of half a listing).
nft_elements() {
	_listing=$("$NFT_BIN" list table inet "$TABLE" 2>/dev/null) || return 1
	printf '%s\n' "$_listing" | awk '
	function secs(d,   n, t, c, i) {
		n = 0; t = 0
		for (i = 1; i <= length(d); i++) {
			c = substr(d, i, 1)
			if (c ~ /[0-9]/) { n = n * 10 + c; continue }
			if (c == "m" && substr(d, i + 1, 1) == "s") { n = 0; i++; continue }
			if (c == "w") t += n * 604800
			else if (c == "d") t += n * 86400
			else if (c == "h") t += n * 3600
			else if (c == "m") t += n * 60
			else if (c == "s") t += n
			n = 0
		}
		return t
	}
	# nft breaks the element list between elements only: each line is read on its own.
	function elements(text,   n, parts, i, w, k, j, to, ex, cm) {
		n = split(text, parts, ",")
		for (i = 1; i <= n; i++) {
			k = split(parts[i], w, " ")
			if (k == 0) continue
			to = 0; ex = 0; cm = "-"
			for (j = 2; j <= k; j++) {
				if (w[j] == "timeout") to = secs(w[++j])
				else if (w[j] == "expires") ex = secs(w[++j])
				else if (w[j] == "comment") {
					cm = w[++j]
					while (j < k) cm = cm " " w[++j]
					gsub(/"/, "", cm)
				}
			}
			print set, w[1], to, ex, cm
		}
	}
	$1 == "set" { set = $2 }
	/elements = \{/ { inel = 1; sub(/.*elements = \{/, "") }
	inel {
		line = $0
		if (line ~ /\}/) { sub(/\}.*/, "", line); inel = 0 }
		elements(line)
	}'
}

# snapshot FILE: the table's elements with their remaining time, written whole (tmp + rename).
# Format: "logtrigger-bans 1", "saved EPOCH", then "ban SET ELEMENT REMAINING BANTIME RULE TIMES"
# and "mem SET ELEMENT REMAINING TIMES" lines, then "end COUNT".
snapshot() {
	mkdir -p "${1%/*}" 2>/dev/null
	_tmp="$1.tmp.$$"
	_els=$(nft_elements) || return 1
	printf '%s\n' "$_els" | awk -v now="$(date +%s)" '
	BEGIN { print "logtrigger-bans 1"; print "saved " now; n = 0 }
	$4 <= 0 { next }
	$1 ~ /^(ban4|ban6|net6)$/ {
		print "ban", $1, $2, $4, ($7 == "" ? $3 : $7), ($5 == "-" ? "manual" : $5), ($6 == "" ? 1 : $6)
		n++
	}
	$1 ~ /^mem[46]$/ { print "mem", $1, $2, $4, ($5 == "-" ? 1 : $5); n++ }
	END { print "end " n }' >"$_tmp" && mv -f "$_tmp" "$1"
	_rc=$?
	rm -f "$_tmp"
	return "$_rc"
}

# ensure_table: while the firewall is stopped (fw4 flush took the table) a change must start
# from the bans of the RAM snapshot, or it would replace them (and `recreate` would then keep
# only the change).
ensure_table() {
	nft_table_exists && return 0
	[ -f "$LIVE" ] || return 0
	(do_restore "$LIVE") >/dev/null 2>&1 || log warning "cannot restore $LIVE"
	return 0
}

# live_snapshot: refresh the RAM copy that `recreate` uses after fw4 flush.
live_snapshot() {
	snapshot "$LIVE" 2>/dev/null || log warning "cannot write $LIVE"
}

# The lock serialises read-modify-write of the table (escalation) and of the snapshots.
LOCKDIR=${LT_LOCKDIR:-/var/run}/logtrigger-ipblock.lock
lock() {
	_tries=0
	until mkdir "$LOCKDIR" 2>/dev/null; do
		_pid=$(cat "$LOCKDIR/pid" 2>/dev/null)
		if [ -n "$_pid" ] && ! kill -0 "$_pid" 2>/dev/null; then
			rm -rf "$LOCKDIR" # its holder died
			continue
		fi
		_tries=$((_tries + 1))
		[ "$_tries" -ge 100 ] && { log warning "lock $LOCKDIR stuck, going on"; return 0; }
		sleep 0.1 2>/dev/null || sleep 1
	done
	echo "$$" >"$LOCKDIR/pid"
	trap 'rm -rf "$LOCKDIR"' EXIT
	trap 'exit 2' INT TERM
}
unlock() {
	rm -rf "$LOCKDIR"
	trap - EXIT INT TERM
}

ipt_ensure() { # IPTABLES-BIN SET
	for _chain in INPUT FORWARD; do
		"$1" -w -C "$_chain" -m set --match-set "$2" src -j DROP 2>/dev/null ||
			"$1" -w -I "$_chain" -m set --match-set "$2" src -j DROP || return 1
	done
}

ipset_ban() {
	have_cmd "$IPSET_BIN" || { log err "neither nft nor ipset found"; return 1; }
	"$IPSET_BIN" create logtrigger4 hash:ip family inet timeout 0 -exist || return 1
	"$IPSET_BIN" create logtrigger6 hash:ip family inet6 timeout 0 -exist || return 1
	lock
	_rc=0
	if have_cmd "$IPT_BIN"; then ipt_ensure "$IPT_BIN" logtrigger4 || _rc=1; else _rc=1; fi
	if have_cmd "$IP6T_BIN"; then ipt_ensure "$IP6T_BIN" logtrigger6 || _rc=1; fi
	unlock
	[ "$_rc" -eq 0 ] || { log err "cannot insert the iptables rules"; return 1; }
	"$IPSET_BIN" add "logtrigger$FAM" "$ADDR" timeout "$1" -exist
}

# flush_conntrack: delete the address's tracked flows, which also takes them out of fw4's
# flowtable (offloaded flows never pass the drop rule). Without the tool, say so at every ban.
flush_conntrack() {
	if ! have_cmd "$CT_BIN"; then
		log warning "conntrack not installed: flows of $ADDR already established (offloaded ones too) are not cut; install conntrack"
		return 0
	fi
	if [ "$FAM" = 6 ]; then _f=ipv6; else _f=ipv4; fi
	"$CT_BIN" -D -f "$_f" -s "$ADDR" >/dev/null 2>&1
	return 0
}

# escalate BASE TIMES: BASE x FACTOR^TIMES, at most MAX (never less than BASE); sets BANTIME
# and STEP (the part of the ban line that says which step it is).
escalate() {
	BANTIME=$1
	STEP=
	[ "$2" -gt 0 ] || return 0
	if [ "$INC" != 1 ]; then
		STEP=", no escalation (bantime_increment 0)"
		return 0
	fi
	[ "$MAX" -lt "$1" ] && MAX=$1
	_i=0
	while [ "$_i" -lt "$2" ] && [ "$BANTIME" -lt "$MAX" ]; do
		BANTIME=$((BANTIME * FAC))
		_i=$((_i + 1))
	done
	[ "$BANTIME" -gt "$MAX" ] && BANTIME=$MAX
	STEP=", step $2: $(human "$1") x $FAC^$2"
	[ "$BANTIME" = "$MAX" ] && STEP="$STEP, capped at bantime_max $(human "$MAX")"
	return 0
}

# do_ban VALUE BANTIME KIND: KIND auto (a firing: escalation, ban_prefix6) or manual.
do_ban() {
	_p6=
	[ "$3" = auto ] && _p6=$(opt_int ban_prefix6 "$LT_ban_prefix6" '' 1 128)
	NETOK=0
	[ "$3" = manual ] && NETOK=1
	need_addr "$1" "$_p6"
	_base=$(opt_secs bantime "$2" "$DEFAULT_BANTIME")
	if [ "$3" = auto ]; then
		_rule=$(printf '%s' "${LT_name:-rule}" | tr -c 'A-Za-z0-9_.@:-' '_' | cut -c 1-40)
	else
		_rule=manual
	fi
	if ! have_nft; then
		ipset_ban "$_base" || { log err "ipset failed to ban $ADDR"; exit 2; }
		flush_conntrack
		_line="banned $ADDR for ${_base}s (rule '$_rule'); undo: $UNDO unban $ADDR"
		log notice "$_line"
		[ -n "$LT_message" ] && _line="$_line: $(clean "$LT_message" 300)"
		blocklog "$_line"
		return 0
	fi
	INC=$(opt_int bantime_increment "$LT_bantime_increment" 1 0 1)
	FAC=$(opt_int bantime_factor "$LT_bantime_factor" 2 1 100)
	MAX=$(opt_secs bantime_max "$LT_bantime_max" 604800)
	_mem=$(opt_secs bantime_memory "$LT_bantime_memory" 604800)
	_key=${UNIT%/*}
	ensure_table
	lock
	_before=0
	nft_table_exists && _before=$(remembered "$_key")
	BANTIME=$_base
	STEP=
	[ "$3" = auto ] && escalate "$_base" "$_before"
	_times=$((_before + 1))
	{
		nft_declare
		nft_put "$(ban_set)" "$UNIT" "$BANTIME" "$_rule $_times $BANTIME"
	} | "$NFT_BIN" -f - || { unlock; log err "nft failed to ban $UNIT"; exit 2; }
	# The memory is best effort: a full memory set never costs the ban itself.
	nft_put "mem$FAM" "$_key" "$((BANTIME + _mem))" "$_times" | "$NFT_BIN" -f - 2>/dev/null ||
		log warning "cannot remember $_key (memory set full?)"
	live_snapshot
	unlock
	flush_conntrack
	_count=
	[ -n "$LT_count" ] && _count=", count $(clean "$LT_count" 10)"
	_line="banned $UNIT for $(human "$BANTIME") (${BANTIME}s; rule '$_rule'$_count, ban $_times$STEP); undo: $UNDO unban $UNIT"
	log notice "$_line"
	[ "$3" = manual ] && echo "$_line"
	[ -n "$LT_message" ] && _line="$_line: $(clean "$LT_message" 300)"
	blocklog "$_line"
}

do_unban() {
	PORTMODE=0
	NETOK=1
	if [ ! -x "$LT_BIN" ]; then
		# Lifting a ban needs no safety check: a plain address, as nft reads it, will do.
		case "$1" in '' | *[!0-9a-fA-F.:]*)
			echo "ipblock: '$(clean "$1" 64)' is not an address" >&2
			exit 1
			;;
		esac
		[ "${#1}" -le 45 ] || exit 1
		case "$1" in *:*) FAM=6 ;; *) FAM=4 ;; esac
		ADDR=$1
		UNIT=$1
	elif ! check_addr "$1"; then
		echo "ipblock: '$(clean "$1" 64)' is not a bannable address: $WHY" >&2
		exit 1
	fi
	if ! have_nft; then
		if ! have_cmd "$IPSET_BIN" || ! "$IPSET_BIN" del "logtrigger$FAM" "$ADDR" 2>/dev/null; then
			echo "$ADDR is not banned" >&2
			exit 1
		fi
		log notice "unbanned $ADDR"
		blocklog "unbanned $ADDR by hand"
		return 0
	fi
	ensure_table
	nft_table_exists || { echo "$UNIT is not banned" >&2; exit 1; }
	lock
	_gone=
	if "$NFT_BIN" delete element inet "$TABLE" "$(ban_set)" "{ $UNIT }" 2>/dev/null; then
		_gone=$UNIT
	elif [ "$FAM" = 6 ]; then
		# An address inside a banned network lifts that network's ban.
		_net=$("$NFT_BIN" get element inet "$TABLE" net6 "{ $ADDR }" 2>/dev/null |
			sed -n 's/.*elements = { *\([0-9a-f:]*\/[0-9]*\).*/\1/p')
		[ -n "$_net" ] && "$NFT_BIN" delete element inet "$TABLE" net6 "{ $_net }" 2>/dev/null &&
			_gone=$_net
	fi
	if [ -z "$_gone" ]; then
		unlock
		echo "$UNIT is not banned" >&2
		exit 1
	fi
	# A ban lifted by hand was a mistake: forget the offence too.
	"$NFT_BIN" delete element inet "$TABLE" "mem$FAM" "{ ${_gone%/*} }" 2>/dev/null
	live_snapshot
	unlock
	resave
	log notice "unbanned $_gone"
	blocklog "unbanned $_gone by hand"
	echo "unbanned $_gone"
}

# resave: a ban lifted by hand must not come back from the file saved at the last stop.
resave() {
	[ -n "$LT_SAVEFILE" ] && [ -f "$LT_SAVEFILE" ] && snapshot "$LT_SAVEFILE"
	return 0
}

# do_list [--json]: the bans, one per line (or one JSON object).
do_list() {
	if ! have_nft; then
		have_cmd "$IPSET_BIN" || return 0
		"$IPSET_BIN" list logtrigger4 2>/dev/null
		"$IPSET_BIN" list logtrigger6 2>/dev/null
		return 0
	fi
	if ! "$NFT_BIN" list tables >/dev/null 2>&1; then
		echo "ipblock: cannot read the firewall (nft list tables failed; root only)" >&2
		exit 2
	fi
	nft_elements | awk -v json="$([ "$1" = --json ] && echo 1)" -v now="$(date +%s)" '
	function human(s,   o, u, n, i) {
		split("604800 86400 3600 60", u, " ")
		split("w d h m", n, " ")
		o = ""
		for (i = 1; i <= 4; i++) if (s >= u[i]) { o = o int(s / u[i]) n[i]; s = s % u[i] }
		if (s > 0 || o == "") o = o s "s"
		return o
	}
	$1 !~ /^(ban4|ban6|net6)$/ || $4 <= 0 { next }
	{
		n++
		addr[n] = $2; rule[n] = ($5 == "-" ? "manual" : $5); times[n] = ($6 == "" ? 1 : $6)
		left[n] = $4; total[n] = ($7 == "" ? $3 : $7)
	}
	END {
		if (json) {
			printf "{\"bans\":["
			for (i = 1; i <= n; i++)
				printf "%s{\"address\":\"%s\",\"rule\":\"%s\",\"remaining\":%d,\"until\":%d,\"bantime\":%d,\"banned\":%d}", \
					(i > 1 ? "," : ""), addr[i], rule[i], left[i], now + left[i], total[i], times[i]
			printf "]}\n"
			exit
		}
		if (n == 0) { print "no bans"; exit }
		printf "%-26s %-24s %-10s %-16s %-8s %s\n", "ADDRESS", "RULE", "REMAINING", "UNTIL", "BANTIME", "BANNED"
		for (i = 1; i <= n; i++)
			printf "%-26s %-24s %-10s %-16s %-8s %d\n", addr[i], rule[i], human(left[i]), \
				strftime("%Y-%m-%d %H:%M", now + left[i]), human(total[i]), times[i]
	}'
}

do_flush() {
	if have_nft; then
		ensure_table
		nft_table_exists || return 0
		lock
		printf 'flush set inet %s %s\n' "$TABLE" ban4 "$TABLE" ban6 "$TABLE" net6 "$TABLE" mem4 \
			"$TABLE" mem6 | "$NFT_BIN" -f - || { unlock; exit 2; }
		live_snapshot
		unlock
		resave
	elif have_cmd "$IPSET_BIN"; then
		"$IPSET_BIN" flush logtrigger4 2>/dev/null
		"$IPSET_BIN" flush logtrigger6 2>/dev/null
	fi
	log notice "all bans lifted"
	blocklog "all bans lifted by hand"
}

# do_save FILE: the bans as they are now (or, when fw4 flush took the table, as the RAM
# snapshot has them). Nothing to save and no file yet: no write at all.
do_save() {
	have_nft || return 0
	lock
	if nft_table_exists; then
		snapshot "$1" || { unlock; log err "cannot write $1"; exit 2; }
	elif [ -f "$LIVE" ]; then
		if ! cp -f "$LIVE" "$1.tmp.$$" || ! mv -f "$1.tmp.$$" "$1"; then
			unlock
			log err "cannot write $1"
			exit 2
		fi
	fi
	unlock
	return 0
}

# validate FILE NOW: the nft commands that restore FILE with what is left of each element,
# or a "line N: reason" on stderr and failure. Checks the whole file before printing anything.
validate() {
	awk -v now="$2" '
	function bad(why) { printf "line %d: %s\n", NR, why > "/dev/stderr"; failed = 1; exit 1 }
	function num(s) { return s ~ /^[0-9]+$/ && length(s) <= 10 }
	NR == 1 { if ($0 != "logtrigger-bans 1") bad("not a logtrigger ban file"); next }
	NR == 2 { if ($1 != "saved" || !num($2) || NF != 2) bad("no save time"); saved = $2; next }
	ended { bad("text after the end line") }
	$1 == "end" { if (NF != 2 || $2 != n) bad("end line does not match the " n " entries"); ended = 1; next }
	$1 == "ban" {
		if (NF != 7 || $2 !~ /^(ban4|ban6|net6)$/ || !num($4) || !num($5) || !num($7)) bad("malformed ban")
		if ($6 ~ /[^A-Za-z0-9_.@:-]/ || length($6) > 40) bad("malformed rule name")
	}
	$1 == "mem" { if (NF != 5 || $2 !~ /^mem[46]$/ || !num($4) || !num($5)) bad("malformed memory") }
	$1 != "ban" && $1 != "mem" { bad("unknown entry") }
	{
		if ($2 ~ /4$/ && ($3 !~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ || length($3) > 15)) bad("not an IPv4 address")
		if ($2 !~ /4$/ && $3 !~ /^[0-9a-f:]+(\/[0-9]+)?$/) bad("not an IPv6 address")
		if ($2 == "net6" && $3 !~ /\//) bad("a network without its length")
		n++; line[n] = $0
	}
	END {
		if (failed) exit 1
		if (!ended) { printf "line %d: truncated (no end line)\n", NR > "/dev/stderr"; exit 1 }
		gone = now - saved; if (gone < 0) gone = 0
		for (i = 1; i <= n; i++) {
			split(line[i], f, " ")
			left = f[4] - gone
			if (left <= 0) continue
			if (f[1] == "ban") printf "%s %s %s %d %s %s %s\n", f[1], f[2], f[3], left, f[5], f[6], f[7]
			else printf "%s %s %s %d %s\n", f[1], f[2], f[3], left, f[5]
		}
	}' "$1"
}

# do_restore FILE: all or nothing (one nft transaction); addresses are checked again (the
# router's own addresses may have changed since) and the ones refused now are left out.
do_restore() {
	have_nft || { log err "restore needs nft"; exit 2; }
	[ -f "$1" ] || { log err "restore: $1 does not exist"; exit 1; }
	if [ "$(($(wc -c <"$1")))" -gt 4194304 ]; then
		log err "restore: $1 is larger than any ban file; no ban restored"
		exit 1
	fi
	_plan=$(validate "$1" "$(date +%s)" 2>&1) || {
		log err "restore: $1: $(clean "$_plan" 120); no ban restored"
		exit 1
	}
	[ -n "$_plan" ] || return 0
	mkdir -p "$RUNDIR" || exit 2
	_addrs=$(printf '%s\n' "$_plan" | awk '{ print $3 }' | sort -u)
	# shellcheck disable=SC2086 # one word per address; every one matched [0-9a-f.:/]+ above
	_ok=$("$LT_BIN" addr --exact -- $_addrs 2>"$RUNDIR/why.$$" | awk '{ print $3 }')
	# An address that does not parse is corruption; one that may not be banned now (the
	# router's own address changed) is only left out.
	if grep -q -e 'not one' -e 'not canonical' -e 'not an IPv6' -e 'prefix length' -e 'host bits' -e 'longer than' \
		"$RUNDIR/why.$$"; then
		_why=$(head -n 1 "$RUNDIR/why.$$")
		rm -f "$RUNDIR/why.$$"
		log err "restore: $1: $(clean "$_why" 120); no ban restored"
		exit 1
	fi
	rm -f "$RUNDIR/why.$$"
	lock
	printf '%s\n' "$_plan" | awk -v ok="$_ok" -v table="$TABLE" '
	BEGIN { split(ok, a, "\n"); for (i in a) allowed[a[i]] = 1 }
	!($3 in allowed) { printf "refused %s\n", $3 > "/dev/stderr"; next }
	$1 == "ban" { printf "add element inet %s %s { %s timeout %ss comment \"%s %s %s\" }\n", table, $2, $3, $4, $6, $7, $5 }
	$1 == "mem" { printf "add element inet %s %s { %s timeout %ss comment \"%s\" }\n", table, $2, $3, $4, $5 }' \
		>"$RUNDIR/restore.$$" 2>"$RUNDIR/refused.$$" || true
	{
		nft_declare
		cat "$RUNDIR/restore.$$"
	} | "$NFT_BIN" -f - 2>"$RUNDIR/nfterr.$$"
	_rc=$?
	_bans=$(awk '$5 ~ /^(ban4|ban6|net6)$/ { n++ } END { print n + 0 }' "$RUNDIR/restore.$$")
	_err=$(head -c 200 "$RUNDIR/nfterr.$$")
	sed -n 's/^refused //p' "$RUNDIR/refused.$$" | while read -r _r; do
		log warning "restore: not restoring $_r (it may not be banned now)"
	done
	rm -f "$RUNDIR/restore.$$" "$RUNDIR/refused.$$" "$RUNDIR/nfterr.$$"
	if [ "$_rc" -ne 0 ]; then
		unlock
		log err "restore: nft refused $1: $(clean "$_err" 120); no ban restored"
		exit 2
	fi
	live_snapshot
	unlock
	log notice "restored $_bans bans from $1"
	echo "restored $_bans bans from $1"
}

# do_recreate: the firewall include. After `fw4 flush` (service firewall stop) the table is
# gone: put the last RAM snapshot back. A table that is there is left alone.
do_recreate() {
	have_nft || return 0
	nft_table_exists && return 0
	[ -f "$LIVE" ] || return 0
	do_restore "$LIVE"
}

do_teardown() {
	rm -f "$LIVE"
	if have_nft; then
		nft_table_exists || return 0
		"$NFT_BIN" delete table inet "$TABLE" || exit 2
	elif have_cmd "$IPSET_BIN"; then
		for _chain in INPUT FORWARD; do
			if have_cmd "$IPT_BIN"; then
				while "$IPT_BIN" -w -D "$_chain" -m set --match-set logtrigger4 src -j DROP 2>/dev/null; do :; done
			fi
			if have_cmd "$IP6T_BIN"; then
				while "$IP6T_BIN" -w -D "$_chain" -m set --match-set logtrigger6 src -j DROP 2>/dev/null; do :; done
			fi
		done
		"$IPSET_BIN" destroy logtrigger4 2>/dev/null
		"$IPSET_BIN" destroy logtrigger6 2>/dev/null
	fi
	return 0
}

usage() {
	echo "usage: ipblock.sh [ban ADDR [TIME] | unban ADDR | list [--json] | flush | save FILE |" >&2
	echo "                   restore FILE | recreate | teardown]" >&2
	echo "       (no argument: ban \$LT_ip for \${LT_bantime:-1h}, as a logtrigger action)" >&2
	exit 1
}

: "${LT_SAVEFILE=/etc/logtrigger/bans.save}"

case "${1-}" in
'') do_ban "$LT_ip" "${LT_bantime:-$DEFAULT_BANTIME}" auto ;;
ban) [ "$#" -eq 2 ] || [ "$#" -eq 3 ] || usage; do_ban "$2" "${3:-$DEFAULT_BANTIME}" manual ;;
unban) [ "$#" -eq 2 ] || usage; do_unban "$2" ;;
list) do_list "${2-}" ;;
flush) do_flush ;;
save) [ "$#" -eq 2 ] || usage; do_save "$2" ;;
restore) [ "$#" -eq 2 ] || usage; do_restore "$2" ;;
recreate) do_recreate ;;
teardown) do_teardown ;;
*) usage ;;
esac
