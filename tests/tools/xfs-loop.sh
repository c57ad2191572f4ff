#!/bin/bash
# tests/tools/xfs-loop.sh: an XFS filesystem on a loop device (guest only).
#
#   tests/tools/xfs-loop.sh mount DIR    # 320 MiB sparse image under /tmp
#   tests/tools/xfs-loop.sh umount DIR
#
# mount loads the loop and xfs modules (so a tracer started afterwards finds
# xfs's functions), makes the image /tmp/minibt-xfs-DIRNAME.img, a loop
# device on it, mkfs.xfs (xfsprogs: DEPS_TEST) and mounts it on DIR; prints
# the loop device. umount undoes it (the image included).
set -eu
[ "${MINIBT_IN_VM:-}" = 1 ] || { echo "xfs-loop.sh: guest only" >&2; exit 2; }
[ $# -eq 2 ] || { echo "usage: xfs-loop.sh mount|umount DIR" >&2; exit 2; }
dir=$2
img=/tmp/minibt-xfs-$(basename "$dir").img
case $1 in
mount)
	modprobe loop
	modprobe xfs
	truncate -s 320M "$img"
	dev=$(losetup -f --show "$img")
	mkfs.xfs -q "$dev"
	mkdir -p "$dir"
	mount -t xfs "$dev" "$dir"
	echo "$dev"
	;;
umount)
	dev=$(findmnt -n -o SOURCE "$dir" || true)
	umount "$dir"
	[ -n "$dev" ] && losetup -d "$dev"
	rm -f "$img"
	rmdir "$dir"
	;;
*)
	echo "usage: xfs-loop.sh mount|umount DIR" >&2; exit 2 ;;
esac
