#!/bin/sh
# ipblock.sh — logtrigger's ban action (SPEC §10).
#
#   ipblock.sh              ban $LT_ip for ${LT_bantime:-3600} s (run by logtrigger on a firing rule)
#   ipblock.sh ban ADDR [SECONDS]   the same by hand
#   ipblock.sh unban ADDR   lift a ban
#   ipblock.sh list         show the banned addresses
#   ipblock.sh flush        lift every ban
#   ipblock.sh teardown     remove logtrigger's table (or ipset sets and iptables rules) entirely
#
# Bans live in nftables `table inet logtrigger` (sets ban4/ban6 with per-element timeouts, dropped
# in the input and forward hooks just before fw4), or, on firmware without nft, in ipset sets
# logtrigger4/logtrigger6 matched by iptables/ip6tables rules.
#
# Invariants:
# - Every byte of $LT_ip is attacker-controlled. It is validated as exactly one IPv4 or IPv6
#   address (optional :port, [v6], [v6]:port, dropbear's unbracketed v6:port); anything else is
#   refused and logged, and never reaches a command line or the firewall.
# - The table, sets, chains and rules are (re)declared in the same atomic `nft -f` transaction that
#   adds the element: `add` is idempotent and the chains are flushed and refilled in that
#   transaction, so concurrent first uses can never duplicate a rule and existing bans survive.
# - A re-ban replaces the element (add, delete, add in one transaction), which restarts its
#   timeout on every kernel (older kernels ignore a new timeout on a plain `add`).
#
# Environment (tests and experts only; logtrigger passes none of these): NFT, CONNTRACK, IPSET,
# IPTABLES, IP6TABLES, LOGGER (command paths; default: found in PATH), LT_BLOCKLOG (log file),
# LT_LOCKDIR (lock directory for the iptables fallback), LT_ipport=1 (an unbracketed IPv6 value
# always ends in :port; implied when LT_program is dropbear and the rule captured no separate
# `port` field: the shipped rules capture `from %s:%d` as `ip port`, so their LT_ip has no port).
# Exit status: 0 done, 1 refused input or not banned, 2 firewall error.

set -f
umask 022

# logtrigger's variables (SPEC §7); empty when run by hand.
: "${LT_ip=}" "${LT_name=}" "${LT_count=}" "${LT_message=}" "${LT_program=}" "${LT_port=}"

TABLE=logtrigger
BLOCKLOG=${LT_BLOCKLOG:-/var/log/blockedIPs.log}
LOG_MAX=262144
DEFAULT_BANTIME=3600

NFT_BIN=${NFT:-$(command -v nft)}
IPSET_BIN=${IPSET:-$(command -v ipset)}
IPT_BIN=${IPTABLES:-$(command -v iptables)}
IP6T_BIN=${IP6TABLES:-$(command -v ip6tables)}
CT_BIN=${CONNTRACK:-$(command -v conntrack)}
LOGGER_BIN=${LOGGER:-$(command -v logger)}

# clean TEXT MAX: TEXT without control bytes, cut to MAX characters (safe to log).
clean() {
	printf '%s' "$1" | tr -d '\001-\037\177' | cut -c "1-$2"
}

# log PRIORITY MESSAGE: to syslog (tag logtrigger, never matched by logtrigger's own rules).
log() {
	[ -n "$LOGGER_BIN" ] && "$LOGGER_BIN" -t logtrigger -p "daemon.$1" "ipblock: $2" 2>/dev/null
	[ "$1" = err ] && printf 'ipblock: %s\n' "$2" >&2
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

is_ipv4() {
	case "$1" in
	'' | *[!0-9.]* | .* | *. | *..*) return 1 ;;
	esac
	_old_ifs=$IFS
	IFS=.
	# shellcheck disable=SC2086 # splitting on dots is the point; globbing is off (set -f)
	set -- $1
	IFS=$_old_ifs
	[ "$#" -eq 4 ] || return 1
	for _o in "$@"; do
		case "$_o" in
		0?* | ????*) return 1 ;; # no leading zeros (octal ambiguity), at most 3 digits
		esac
		[ "$_o" -le 255 ] || return 1
	done
	return 0
}

is_ipv6() {
	_a=$1
	case "$_a" in
	'' | *[!0-9A-Fa-f:.]* | *:::* | :[!:]* | *[!:]:) return 1 ;;
	esac
	_n_max=8
	case "$_a" in
	*::*)
		case "${_a#*::}" in *::*) return 1 ;; esac
		_n_max=7
		;;
	esac
	_last=${_a##*:}
	case "$_last" in
	*.*)
		is_ipv4 "$_last" || return 1
		_a="${_a%"$_last"}0:0"
		;;
	esac
	case "$_a" in *.*) return 1 ;; esac
	_old_ifs=$IFS
	IFS=:
	# shellcheck disable=SC2086 # splitting on colons is the point; globbing is off (set -f)
	set -- $_a
	IFS=$_old_ifs
	_n=0
	for _g in "$@"; do
		[ -z "$_g" ] && continue
		[ "${#_g}" -le 4 ] || return 1
		_n=$((_n + 1))
	done
	if [ "$_n_max" -eq 8 ]; then [ "$_n" -eq 8 ]; else [ "$_n" -le 7 ]; fi
}

is_port() {
	case "$1" in
	'' | *[!0-9]* | ??????*) return 1 ;;
	esac
	[ "$1" -le 65535 ]
}

# set_v6 ADDR: an IPv4-mapped address (::ffff:a.b.c.d) is banned as the IPv4 address it is.
set_v6() {
	case "$1" in
	::[fF][fF][fF][fF]:*.*)
		ADDR=${1##*:}
		FAM=4
		;;
	*)
		ADDR=$1
		FAM=6
		;;
	esac
}

# parse_addr VALUE: sets ADDR and FAM (4 or 6) when VALUE is one address in an accepted form.
parse_addr() {
	ADDR=
	FAM=
	_v=$1
	[ "${#_v}" -le 64 ] || return 1
	case "$_v" in
	'['*']')
		_h=${_v#'['}
		_h=${_h%']'}
		is_ipv6 "$_h" && set_v6 "$_h"
		;;
	'['*']:'*)
		_h=${_v#'['}
		_h=${_h%%']'*}
		is_port "${_v##*']:'}" && is_ipv6 "$_h" && set_v6 "$_h"
		;;
	*:*:*)
		if [ "$PORTMODE" != 1 ] && is_ipv6 "$_v"; then
			set_v6 "$_v"
		elif is_port "${_v##*:}" && is_ipv6 "${_v%:*}"; then
			set_v6 "${_v%:*}"
		fi
		;;
	*:*)
		is_port "${_v#*:}" && is_ipv4 "${_v%:*}" && ADDR=${_v%:*} && FAM=4
		;;
	*)
		is_ipv4 "$_v" && ADDR=$_v && FAM=4
		;;
	esac
	[ -n "$ADDR" ] || return 1
	case "$ADDR" in
	127.* | 0.0.0.0 | ::1 | ::) ADDR= ;; # never ban the router itself or nothing
	esac
	[ -n "$ADDR" ]
}

# need_addr VALUE: parse_addr, or log the refusal and exit 1.
need_addr() {
	PORTMODE=${LT_ipport:-0}
	# A rule that captured the port itself (LT_port) left a port-free address in LT_ip.
	[ "$LT_program" = dropbear ] && [ -z "$LT_port" ] && PORTMODE=1
	parse_addr "$1" && return 0
	_why="refused address '$(clean "$1" 64)' (rule '$(clean "$LT_name" 40)')"
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
	for _hook in input forward; do
		printf 'add chain inet %s %s { type filter hook %s priority -1; policy accept; }\n' \
			"$TABLE" "$_hook" "$_hook"
		printf 'flush chain inet %s %s\n' "$TABLE" "$_hook"
		printf 'add rule inet %s %s ip saddr @ban4 counter drop\n' "$TABLE" "$_hook"
		printf 'add rule inet %s %s ip6 saddr @ban6 counter drop\n' "$TABLE" "$_hook"
	done
}

nft_ban() {
	_set="ban$FAM"
	{
		nft_declare
		printf 'add element inet %s %s { %s timeout 1s }\n' "$TABLE" "$_set" "$ADDR"
		printf 'delete element inet %s %s { %s }\n' "$TABLE" "$_set" "$ADDR"
		printf 'add element inet %s %s { %s timeout %ss }\n' "$TABLE" "$_set" "$ADDR" "$1"
	} | "$NFT_BIN" -f -
}

nft_table_exists() { "$NFT_BIN" list table inet "$TABLE" >/dev/null 2>&1; }

# The iptables fallback: rules are checked and inserted under a lock (check-then-insert races).
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

flush_conntrack() {
	have_cmd "$CT_BIN" || return 0
	if [ "$FAM" = 6 ]; then _f=ipv6; else _f=ipv4; fi
	"$CT_BIN" -D -f "$_f" -s "$ADDR" >/dev/null 2>&1
	return 0
}

do_ban() { # VALUE [BANTIME]
	need_addr "$1"
	_bt=${2:-$DEFAULT_BANTIME}
	case "$_bt" in
	'' | *[!0-9]* | 0 | 0?* | ?????????*)
		log warning "bantime '$(clean "$_bt" 20)' is not 1..99999999 seconds, using $DEFAULT_BANTIME"
		_bt=$DEFAULT_BANTIME
		;;
	esac
	if have_nft; then
		nft_ban "$_bt" || { log err "nft failed to ban $ADDR"; exit 2; }
	else
		ipset_ban "$_bt" || { log err "ipset failed to ban $ADDR"; exit 2; }
	fi
	flush_conntrack
	_line="banned $ADDR for ${_bt}s (rule '$(clean "$LT_name" 40)', count $(clean "$LT_count" 10))"
	log notice "$_line"
	blocklog "$_line: $(clean "$LT_message" 300)"
}

do_unban() {
	need_addr "$1"
	if have_nft; then
		"$NFT_BIN" delete element inet "$TABLE" "ban$FAM" "{ $ADDR }" 2>/dev/null
	else
		have_cmd "$IPSET_BIN" && "$IPSET_BIN" del "logtrigger$FAM" "$ADDR" 2>/dev/null
	fi || { echo "$ADDR is not banned" >&2; exit 1; }
	log notice "unbanned $ADDR"
	blocklog "unbanned $ADDR by hand"
}

do_list() {
	if have_nft; then
		nft_table_exists || return 0
		"$NFT_BIN" list set inet "$TABLE" ban4 && "$NFT_BIN" list set inet "$TABLE" ban6
	elif have_cmd "$IPSET_BIN"; then
		"$IPSET_BIN" list logtrigger4 2>/dev/null
		"$IPSET_BIN" list logtrigger6 2>/dev/null
		return 0
	fi
}

do_flush() {
	if have_nft; then
		nft_table_exists || return 0
		printf 'flush set inet %s ban4\nflush set inet %s ban6\n' "$TABLE" "$TABLE" |
			"$NFT_BIN" -f - || exit 2
	elif have_cmd "$IPSET_BIN"; then
		"$IPSET_BIN" flush logtrigger4 2>/dev/null
		"$IPSET_BIN" flush logtrigger6 2>/dev/null
	fi
	log notice "all bans lifted"
	blocklog "all bans lifted by hand"
}

do_teardown() {
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
	echo "usage: ipblock.sh [ban ADDR [SECONDS] | unban ADDR | list | flush | teardown]" >&2
	echo "       (no argument: ban \$LT_ip for \${LT_bantime:-$DEFAULT_BANTIME} s, as a logtrigger action)" >&2
	exit 1
}

case "${1-}" in
'') do_ban "$LT_ip" "${LT_bantime:-$DEFAULT_BANTIME}" ;;
ban) [ "$#" -ge 2 ] || usage; do_ban "$2" "${3:-$DEFAULT_BANTIME}" ;;
unban) [ "$#" -eq 2 ] || usage; do_unban "$2" ;;
list) do_list ;;
flush) do_flush ;;
teardown) do_teardown ;;
*) usage ;;
esac
