#!/bin/bash
# tests/vm/kernel.sh: make sure a guest kernel and initramfs are cached.
#
# The host kernel has no kprobes, so everything that attaches BPF to the
# kernel runs in a QEMU guest booting Debian's stock kernel (see
# shared/VM-NOTES.md).  This script downloads that kernel package (the one
# `apt-cache depends linux-image-amd64` names, or the MINIBT_VM_KERNEL series'
# newest: runcases --kernel 6.12), extracts it into the cache,
# runs depmod, links /lib/modules/VER to it (the guest sees the host root, so
# modprobe works there) and builds a busybox initramfs whose /init mounts the
# host root read-only over 9p and runs a command (tests/vm/init).
#
# Everything is cached in ${MINIBT_VM_CACHE:-/var/tmp/minibt-vm} and redone
# only when an input changes.  On success it prints three lines:
#   KVER=6.1.0-56-amd64
#   KERNEL=/var/tmp/minibt-vm/kernel/6.1.0-56-amd64/vmlinux   (or boot/vmlinuz-VER)
#   INITRD=/var/tmp/minibt-vm/initramfs-6.1.0-56-amd64-<hash>.cpio.gz
# Progress and errors go to stderr; the exit status is non-zero on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${MINIBT_VM_CACHE:-/var/tmp/minibt-vm}
die() { echo "kernel.sh: error: $*" >&2; exit 1; }
note() { echo "kernel.sh: $*" >&2; }

# The guest needs to find the cache at the same path as the host does.
case $cache in /*) ;; *) die "MINIBT_VM_CACHE must be an absolute path: $cache" ;; esac
mkdir -p "$cache" || die "cannot create cache dir $cache"
cache=$(cd "$cache" && pwd -P)
# one preparer at a time (two run-in-vm started together on a fresh machine)
exec 9>"$cache/.lock"
flock -w 900 9 || die "timed out waiting for the lock $cache/.lock"

# --- host packages ------------------------------------------------------------
apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return 0
	note "apt-get update"
	apt-get update -qq >&2 || note "apt-get update failed (offline?)"
	apt_updated=1
}
need_pkgs=()
for p in qemu-system-x86:qemu-system-x86_64 busybox-static:/bin/busybox \
	 cpio:cpio kmod:depmod xz-utils:xz zstd:zstd; do
	pkg=${p%%:*} cmd=${p#*:}
	if [[ $cmd = /* ]]; then
		# busybox (dynamic) can also provide /bin/busybox: we need the static one
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
			need_pkgs+=("$pkg")
	elif ! command -v "$cmd" >/dev/null 2>&1 &&
	     ! PATH=$PATH:/usr/sbin:/sbin command -v "$cmd" >/dev/null 2>&1; then
		need_pkgs+=("$pkg")
	fi
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages ${need_pkgs[*]} and not root to install them"
	apt_update
	note "installing ${need_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${need_pkgs[@]}" >&2 || die "apt-get install ${need_pkgs[*]} failed"
fi
export PATH=$PATH:/usr/sbin:/sbin

# --- which kernel -------------------------------------------------------------
# MINIBT_VM_KPKG pins a package (e.g. linux-image-6.1.0-56-amd64).
# MINIBT_VM_KERNEL picks a series (6.1, 6.12; runcases --kernel): the package
# its meta-package linux-image-SERIES-amd64 names (Debian 12 has one for
# 6.12), or linux-image-amd64's when that is of the series (6.1). Unset:
# linux-image-amd64's, the distribution's default kernel.
kpkg=${MINIBT_VM_KPKG:-}
series=${MINIBT_VM_KERNEL:-}
case $series in
linux-image-*) kpkg=$series series= ;;
''|[0-9]*.[0-9]*) ;;
*) die "MINIBT_VM_KERNEL=$series: give a series such as 6.1 or 6.12, or a linux-image-* package" ;;
esac
[ -z "$kpkg" ] || kpkg_from_cache=1
if [ -z "$kpkg" ]; then
	depends() { apt-cache depends "$1" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -n1; }
	pick() {
		[ -z "$series" ] && { depends linux-image-amd64; return; }
		local p; p=$(depends "linux-image-$series-amd64")
		[ -n "$p" ] || p=$(depends linux-image-amd64)
		case $p in "linux-image-$series".*|"linux-image-$series"-*) echo "$p" ;; esac
	}
	# apt-cache takes a second here (no pkgcache.bin): reuse the last answer
	# while apt's package lists are older than it and its kernel is cached
	last=$cache/last-kpkg${series:+-$series}
	if [ -s "$last" ] && [ -f "$cache/kernel/$(sed 's/^linux-image-//' "$last")/.extracted" ] &&
	   [ -z "$(find /var/lib/apt/lists -maxdepth 1 -newer "$last" -name '*Packages*' 2>/dev/null | head -n1)" ]; then
		kpkg=$(cat "$last")
		kpkg_from_cache=1
	else
		kpkg=$(pick)
		if [ -z "$kpkg" ]; then apt_update; kpkg=$(pick); fi
	fi
	if [ -z "$kpkg" ] && [ -f "$last" ]; then
		kpkg=$(cat "$last")
		note "apt-cache names no ${series:+$series }kernel package; using cached $kpkg"
	fi
	[ -n "$kpkg" ] || die "no ${series:+$series }kernel package: apt-cache depends" \
		"${series:+linux-image-$series-amd64 or }linux-image-amd64 names none${series:+ of the $series series}" \
		"(run apt-get update; is a Debian mirror reachable?)"
fi
case $kpkg in *-cloud-amd64) die "$kpkg: the cloud kernel has no 9p; use the plain -amd64 one" ;; esac
kver=${kpkg#linux-image-}
kroot=$cache/kernel/$kver

# Debian may rebuild a package under the same name (same ABI, new version):
# when apt's lists changed, compare the candidate version with the cached one.
if [ -z "${kpkg_from_cache:-}" ] && [ -f "$kroot/.extracted" ]; then
	want=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	have=$(cat "$kroot/.extracted")
	if [ -n "$want" ] && [ "$want" != "$have" ]; then
		note "$kpkg: cached version ${have:-?}, archive has $want: refreshing"
		rm -rf "$kroot" "$cache/pkg/${kpkg}_"*.deb
	fi
fi

# --- download and extract -----------------------------------------------------
if [ ! -f "$kroot/.extracted" ]; then
	mkdir -p "$cache/pkg"
	deb=$(ls "$cache/pkg/${kpkg}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		note "downloading $kpkg"
		(cd "$cache/pkg" && apt-get -o APT::Sandbox::User=root download "$kpkg" >&2) ||
			{ apt_update; (cd "$cache/pkg" && apt-get -o APT::Sandbox::User=root download "$kpkg" >&2); } ||
			die "apt-get download $kpkg failed: is the package still in the archive? (apt-get update)"
		deb=$(ls "$cache/pkg/${kpkg}_"*.deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || die "apt-get download $kpkg produced no .deb in $cache/pkg"
	fi
	note "extracting $(basename "$deb")"
	rm -rf "$kroot.tmp" "$kroot"
	mkdir -p "$kroot.tmp"
	dpkg-deb -x "$deb" "$kroot.tmp" || die "dpkg-deb -x $deb failed (corrupt download? delete it)"
	[ -f "$kroot.tmp/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
	# the package ships modules as .ko (6.1) or .ko.xz (later): make them plain
	find "$kroot.tmp/lib/modules/$kver" -name '*.ko.xz' -exec xz -d {} + 2>/dev/null || true
	find "$kroot.tmp/lib/modules/$kver" -name '*.ko.zst' -exec zstd -q --rm -d {} + 2>/dev/null || true
	depmod -b "$kroot.tmp" "$kver" || die "depmod failed"
	dpkg-deb -f "$deb" Version > "$kroot.tmp/.extracted"
	mv "$kroot.tmp" "$kroot"
fi
# (re)written after each look-up: its mtime says when apt was last asked
[ -n "${kpkg_from_cache:-}" ] || echo "$kpkg" > "$last"
kernel=$kroot/boot/vmlinuz-$kver
# Booting the uncompressed ELF through PVH skips the kernel's own xz
# decompression, which under TCG is half of the boot (~3 s of ~6.5 s).
# The payload is xz (6.1) or zstd (6.12): the first stream that decompresses
# to an ELF is it (the decompressor's complaint about the bytes after the
# stream is expected).
if [ "${MINIBT_VM_PVH:-1}" = 1 ]; then
	if [ ! -f "$kroot/vmlinux" ]; then
		for z in $'\xfd7zXZ':'xz -dcq' $'\x28\xb5\x2f\xfd':'zstd -dcq'; do
			off=$(LC_ALL=C grep -abo "${z%%:*}" "$kernel" | head -n1 | cut -d: -f1 || true)
			[ -n "$off" ] || continue
			tail -c +$((off + 1)) "$kernel" | ${z#*:} > "$kroot/vmlinux.tmp" 2>/dev/null || true
			[ "$(head -c4 "$kroot/vmlinux.tmp" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] &&
				mv "$kroot/vmlinux.tmp" "$kroot/vmlinux" && break
		done
		rm -f "$kroot/vmlinux.tmp"
		[ -f "$kroot/vmlinux" ] ||
			note "could not extract vmlinux from $(basename "$kernel"): booting the bzImage (slower)"
	fi
	[ -f "$kroot/vmlinux" ] && kernel=$kroot/vmlinux
fi
moddir=$kroot/lib/modules/$kver

# --- /lib/modules/VER on the host, seen by the guest through the shared root --
if [ ! -e "/lib/modules/$kver" ] || [ -L "/lib/modules/$kver" ]; then
	if [ "$(readlink "/lib/modules/$kver" 2>/dev/null)" != "$moddir" ]; then
		# /lib is sometimes a symlink to usr/lib: mkdir -p follows it
		mkdir -p /lib/modules 2>/dev/null &&
			ln -sfn "$moddir" "/lib/modules/$kver" ||
			note "warning: cannot link /lib/modules/$kver -> $moddir: modprobe will not work in the guest"
	fi
fi

# --- kernel headers --------------------------------------------------------------
# bpftrace 0.17 (the differential oracle) compiles a script's #include
# <net/sock.h> with clang against /lib/modules/VER/source and build, as
# Debian's linux-headers packages link them (the 2018 tcpretrans.bt and
# tcpdrop.bt need it). Optional: without them only those cases fail.
# MINIBT_VM_HEADERS=0 skips this.
hdr=$cache/headers/$kver
hcommon=linux-headers-${kver%-*}-common
if [ "${MINIBT_VM_HEADERS:-1}" = 1 ] && [ ! -f "$hdr/.extracted" ]; then
	mkdir -p "$cache/pkg"
	hok=1
	for p in "linux-headers-$kver" "$hcommon"; do
		ls "$cache/pkg/${p}_"*.deb >/dev/null 2>&1 && continue
		note "downloading $p"
		(cd "$cache/pkg" && apt-get -o APT::Sandbox::User=root download "$p" >&2) || { hok=0; break; }
	done
	if [ $hok = 1 ]; then
		rm -rf "$hdr.tmp" "$hdr"
		mkdir -p "$hdr.tmp"
		for d in "$cache/pkg/linux-headers-${kver}_"*.deb "$cache/pkg/${hcommon}_"*.deb; do
			dpkg-deb -x "$d" "$hdr.tmp" || hok=0
		done
		[ $hok = 1 ] && [ -d "$hdr.tmp/usr/src/$hcommon/include/linux" ] && touch "$hdr.tmp/.extracted" &&
			mv "$hdr.tmp" "$hdr"
	fi
	[ -f "$hdr/.extracted" ] || note "warning: no kernel headers for $kver: bpftrace cannot #include kernel headers in the guest"
fi
if [ -f "$hdr/.extracted" ]; then
	[ "$(readlink "$moddir/source")" = "$hdr/usr/src/$hcommon" ] || ln -sfn "$hdr/usr/src/$hcommon" "$moddir/source"
	[ "$(readlink "$moddir/build")" = "$hdr/usr/src/linux-headers-$kver" ] ||
		ln -sfn "$hdr/usr/src/linux-headers-$kver" "$moddir/build"
fi

# --- initramfs ------------------------------------------------------------------
# what mounting the root over 9p needs, in load order: the virtio PCI
# transport and the 9p modules with their dependencies, as modprobe resolves
# them (6.1: virtio as modules, netfs and fscache; 6.12: virtio built in,
# fscache part of netfs)
modpaths=$(modprobe -d "$kroot" -S "$kver" -a --show-depends virtio_pci 9pnet_virtio 9p |
	sed -n 's/^insmod \([^ ]*\.ko\) *$/\1/p' | awk '!seen[$0]++') ||
	die "modprobe -d $kroot cannot resolve the 9p modules of $kver"
[ -n "$modpaths" ] || die "no 9p modules found under $moddir"
# in this order where present (6.1's list: the same initramfs key as before)
order="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
modpaths=$(for m in $order; do printf '%s\n' $modpaths | grep "/$m\.ko\$" || true; done
	printf '%s\n' $modpaths | grep -vE "/($(echo $order | tr ' ' '|'))\.ko\$" || true)
mods=$(for f in $modpaths; do basename "$f" .ko; done | paste -sd' ')
bb=/bin/busybox
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 ||
	die "$bb is missing or not static (apt-get install busybox-static)"
key=$( { echo "$kver $mods"; cat "$here/init" "$bb" | sha256sum; } | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$kver-$key.cpio.gz
if [ ! -f "$initrd" ]; then
	note "building $(basename "$initrd")"
	t=$(mktemp -d "$cache/initramfs.XXXXXX")
	trap 'rm -rf "$t"' EXIT
	mkdir -p "$t"/{bin,sbin,proc,sys,dev,newroot,cachebind,modules}
	cp "$bb" "$t/bin/busybox"
	for a in sh mount umount mkdir insmod chroot poweroff ip cat echo sleep ln mknod \
		 switch_root setsid cttyhack stty; do
		ln -s busybox "$t/bin/$a"
	done
	for f in $modpaths; do
		cp "$f" "$t/modules/"
		basename "$f" .ko >> "$t/modules/order"
	done
	cp "$here/init" "$t/init"
	chmod 755 "$t/init"
	(cd "$t" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$initrd.tmp" ||
		die "cpio failed"
	mv "$initrd.tmp" "$initrd"
	# keep only the newest initramfs of this kernel
	for old in "$cache/initramfs-$kver-"*.cpio.gz; do
		[ "$old" = "$initrd" ] || rm -f "$old"
	done
fi

echo "KVER=$kver"
echo "KERNEL=$kernel"
echo "INITRD=$initrd"
