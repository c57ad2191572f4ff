#!/bin/bash
# tests/tools/memcg.sh: run a command in a memory cgroup of its own (guest only).
#
#   tests/tools/memcg.sh [--swap MIB] [--oom] MAX CMD [ARGS...]
#
# Creates /sys/fs/cgroup/minibt-memcg-PID (cgroup v2, the memory controller
# enabled in the root), sets memory.max to MAX (e.g. 32M), runs CMD in it
# and removes the cgroup. --swap MIB first makes a swap device of that size
# (a loop device on a file under /tmp) and swaps on it for the run
# (memory.swap.max unlimited); without it memory.swap.max is 0. --oom: CMD
# must be killed by the OOM killer (SIGKILL and oom_kill in memory.events);
# that exits 0. Otherwise exits with CMD's status.
set -u
swap=0 oom=0
while [ $# -gt 0 ]; do
	case $1 in
	--swap) swap=$2; shift 2 ;;
	--oom) oom=1; shift ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || { echo "usage: memcg.sh [--swap MIB] [--oom] MAX CMD..." >&2; exit 2; }
[ "${MINIBT_IN_VM:-}" = 1 ] || { echo "memcg.sh: guest only (changes cgroups and swap)" >&2; exit 2; }
max=$1; shift
root=/sys/fs/cgroup
cg=$root/minibt-memcg-$$
swapfile= loopdev=
cleanup() {
	[ -d "$cg" ] && rmdir "$cg" 2>/dev/null
	if [ -n "$loopdev" ]; then
		swapoff "$loopdev" 2>/dev/null
		losetup -d "$loopdev"
	fi
	[ -n "$swapfile" ] && rm -f "$swapfile"
}
trap cleanup EXIT
grep -qw memory $root/cgroup.controllers || { echo "memcg.sh: no memory controller in $root" >&2; exit 1; }
echo +memory >$root/cgroup.subtree_control || exit 1
mkdir "$cg" || exit 1
echo "$max" >"$cg/memory.max" || exit 1
if [ "$swap" != 0 ]; then
	swapfile=/tmp/minibt-swap-$$
	modprobe loop || exit 1
	truncate -s "${swap}M" "$swapfile" || exit 1
	loopdev=$(losetup -f --show "$swapfile") || exit 1
	mkswap -q "$loopdev" >/dev/null || exit 1
	swapon "$loopdev" || exit 1
	echo max >"$cg/memory.swap.max" || exit 1
else
	echo 0 >"$cg/memory.swap.max" || exit 1
fi
# the child moves itself into the cgroup, then becomes CMD
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"
rc=$?
if [ $oom = 1 ]; then
	kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
	if [ $rc -ne 137 ] || [ "${kills:-0}" -lt 1 ]; then
		echo "memcg.sh: expected an OOM kill, got status $rc, oom_kill ${kills:-0}" >&2
		exit 1
	fi
	rc=0
fi
exit $rc
