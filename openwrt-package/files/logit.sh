#!/bin/sh
# logit.sh — logtrigger's logging action (SPEC §10): appends $LT_message to a file chosen by the
# rule name $LT_name, as the SecureOffice setup kept separate logs of DDNS updates, logins, failed
# logins, dropbear sessions and miniupnpd mappings.
#
#   ddns, DDNS            -> ddns.log           logins, Login          -> logins.log
#   failed_logins, LoginFailed -> failedlogins.log  dropbear, Dropbear   -> dropbear.log
#   miniupnpd, MiniUPnPd  -> miniupnpd.log      anything else          -> logtrigger.log
# Each name may carry a `_suffix` (`logins_luci` goes to logins.log).
#
# Files live in $LOGIT_DIR (default /var/log, a small tmpfs on routers): each is rotated to .1
# when it grows beyond $LOGIT_MAX bytes (default 256 KiB), so at most two files per name.
# Invariants: a rule name with '/' or '..' is refused (never a path outside LOGIT_DIR); the message
# (attacker-controlled) is written as data on one line, control bytes removed.
# Exit status: 0 written, 1 refused or not written.

set -f
umask 022
: "${LT_name=}" "${LT_message=}"

LOGIT_DIR=${LOGIT_DIR:-/var/log}
LOGIT_MAX=${LOGIT_MAX:-262144}

case "$LT_name" in
*/* | *..*)
	logger -t logtrigger -p daemon.warning "logit: refused rule name with '/' or '..'" 2>/dev/null
	exit 1
	;;
DDNS | DDNS_* | ddns | ddns_*) file=ddns.log ;;
Login | Login_* | logins | logins_*) file=logins.log ;;
LoginFailed | LoginFailed_* | failed_logins | failed_logins_*) file=failedlogins.log ;;
Dropbear | Dropbear_* | dropbear | dropbear_*) file=dropbear.log ;;
MiniUPnPd | MiniUPnPd_* | miniupnpd | miniupnpd_*) file=miniupnpd.log ;;
*) file=logtrigger.log ;;
esac
path="$LOGIT_DIR/$file"

case "$LOGIT_MAX" in '' | *[!0-9]*) LOGIT_MAX=262144 ;; esac
if [ -f "$path" ] && [ "$(($(wc -c <"$path")))" -gt "$LOGIT_MAX" ]; then
	mv -f "$path" "$path.1"
fi

line=$(printf '%s' "$LT_message" | tr -d '\001-\037\177')
printf '%s\n' "$line" >>"$path"
