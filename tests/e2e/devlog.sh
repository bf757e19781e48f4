#!/bin/sh
# devlog.sh SOCKET STAGE [-v VARLOG] [-b BIN] -- CMD [ARG...]
# Runs CMD with /dev/log leading to SOCKET, an empty private /run (and /var/log being the
# directory VARLOG, and /usr/sbin/logtrigger being the binary BIN, as installed on a router),
# without touching the host's /dev, /run, /var/log or /usr/sbin.
#
# Must run in a private mount namespace (`unshare -m --propagation private sh devlog.sh ...`); it
# refuses to run otherwise. There it keeps the real /dev at STAGE (an empty directory of the test),
# mounts a small tmpfs over /dev holding a symlink to every entry of the real /dev, and makes
# /dev/log a symlink to SOCKET (which need not exist yet: syslog(3) reconnects on every message).
# Everything mounted here disappears with the namespace's last process.
set -eu
usage() { echo "usage: devlog.sh SOCKET STAGE [-v VARLOG] [-b BIN] -- CMD [ARG...]" >&2; exit 64; }
[ "$#" -ge 2 ] || usage
sock=$1
stage=$2
shift 2
varlog=
if [ "${1-}" = -v ]; then
	[ "$#" -ge 2 ] || usage
	varlog=$2
	shift 2
fi
bin=
if [ "${1-}" = -b ]; then
	[ "$#" -ge 2 ] || usage
	bin=$2
	shift 2
fi
[ "${1-}" = -- ] || usage
shift
[ "$#" -ge 1 ] || usage

# Our mount namespace must differ from PID 1's, or the mounts below would reach the host.
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/1/ns/mnt)" ]; then
	echo "devlog.sh: not in a private mount namespace, refusing to mount over /dev" >&2
	exit 70
fi
[ -d "$stage" ] || { echo "devlog.sh: $stage is not a directory" >&2; exit 66; }

mount --make-rprivate /
mount --rbind /dev "$stage"
mount -t tmpfs -o mode=0755,size=64k lt-e2e-dev /dev
for entry in "$stage"/* "$stage"/.[!.]*; do
	[ -e "$entry" ] || [ -L "$entry" ] || continue
	ln -s "$entry" "/dev/${entry##*/}"
done
ln -sfn "$sock" /dev/log
# A private, empty /run (/var/run): pid files (dropbear), ipblock.sh's lock and ban snapshot
# stay in this namespace and vanish with it.
mount -t tmpfs -o mode=0755,size=4m lt-e2e-run /run
if [ -n "$varlog" ]; then
	mount --bind "$varlog" /var/log
fi
# /usr/sbin as a tmpfs of symlinks to the real one, plus logtrigger (the daemon runs its
# scripts with PATH=/usr/sbin:/usr/bin:/sbin:/bin, and ipblock.sh calls logtrigger).
if [ -n "$bin" ]; then
	sbin=$stage.sbin
	mkdir -p "$sbin"
	mount --bind /usr/sbin "$sbin"
	mount -t tmpfs -o mode=0755,size=1m lt-e2e-sbin /usr/sbin
	for entry in "$sbin"/*; do
		ln -s "$entry" "/usr/sbin/${entry##*/}"
	done
	ln -sfn "$bin" /usr/sbin/logtrigger
fi
exec "$@"
